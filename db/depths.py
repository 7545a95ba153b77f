"""How many e-mails wait in the outbox and jobs in the queue, across offices (migration
0012's function): counts by status, for /metrics, and nothing else."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def queue_depths(engine: AsyncEngine) -> list[tuple[str, str, int]]:
    """``(queue, status, items)`` for ``outbox`` and ``jobs``."""
    async with engine.connect() as connection:
        result = await connection.execute(text("SELECT * FROM causa_queue_depths()"))
        return [(row.queue, row.status, row.items) for row in result]
