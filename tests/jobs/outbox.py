"""The outbox and the job queue as the worker's tests read them, waiting for a state."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine


async def message_in(
    owner_engine: AsyncEngine, recipient: str, subject: str, status: str, *, wait: float = 30
) -> dict[str, Any]:
    """The e-mail to ``recipient`` whose subject starts with ``subject``, once it has
    ``status`` (failing after ``wait`` seconds)."""
    deadline = time.monotonic() + wait
    while True:
        async with owner_engine.connect() as connection:
            result = await connection.execute(
                sa.text(
                    "SELECT id, status, attempts, last_error, body FROM outbox_message "
                    "WHERE recipient = :recipient AND starts_with(subject, :subject)"
                ),
                {"recipient": recipient, "subject": subject},
            )
            row = result.mappings().first()
        if (row is not None and row["status"] == status) or time.monotonic() > deadline:
            assert row is not None
            assert row["status"] == status, dict(row)
            return dict(row)
        await asyncio.sleep(0.1)


async def delivery_jobs(owner_engine: AsyncEngine, message_id: Any) -> list[str]:
    """The states of the worker's delivery jobs for ``message_id``, once none is waiting
    or running (or after 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        async with owner_engine.connect() as connection:
            result = await connection.execute(
                sa.text(
                    "SELECT status::text FROM procrastinate_jobs "
                    "WHERE task_name = 'causa.deliver_mail' AND args->>'message_id' = :id"
                ),
                {"id": str(message_id)},
            )
            states = sorted(result.scalars())
        if not {"todo", "doing"} & set(states) or time.monotonic() > deadline:
            return states
        await asyncio.sleep(0.1)
