"""The portal's access log: what each client did (signed in, listed their folders, read
one, downloaded a document), when, and from which address and user agent; kept at
least six months (Marco Civil da Internet art. 15) and purged after.

A sign-in is written in the transaction that opens its session. Every read is handed
to the process's ``Recorder``, which keeps it in memory and writes what it holds in one
statement every second (or sooner, past ``BATCH`` records): the request that read does
no database work for its record, and a failed write is retried with the next batch
(``MAX_PENDING`` records at most wait; past that the oldest are dropped, and said so in
the log). What a process holds when it is killed outright is lost; a shutdown writes it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db.keyset import Order
from db.pages import Page, Window, fetch_page, fetch_pages_by
from db.scope import visible_activity
from db.session import Db
from db.tables import PortalAction, accounts, portal_activities
from domain.viewer import Viewer

logger = logging.getLogger("causa.activity")

NEWEST_FIRST = (portal_activities.c.occurred_at.desc(), portal_activities.c.id.desc())
PAGE_ORDER = Order.of(NEWEST_FIRST)
MAX_USER_AGENT = 500  # characters kept of a User-Agent
MAX_ADDRESS = 64


@dataclass(frozen=True, slots=True)
class Visit:
    """One thing a client did: an action, and the case and document it read."""

    action: PortalAction
    case_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who did it, and from where."""

    office_id: uuid.UUID
    account_id: uuid.UUID
    address: str | None
    user_agent: str | None
    person_id: uuid.UUID | None = None


def _row(visitor: Visitor, visit: Visit) -> dict[str, Any]:
    return {
        "office_id": visitor.office_id,
        "account_id": visitor.account_id,
        "person_id": visitor.person_id,
        "action": visit.action,
        "case_id": visit.case_id,
        "document_id": visit.document_id,
        "ip_address": (visitor.address or "")[:MAX_ADDRESS] or None,
        "user_agent": (visitor.user_agent or "")[:MAX_USER_AGENT] or None,
    }


async def insert_visits(db: Db, *, visitor: Visitor, visits: Sequence[Visit]) -> None:
    """Record ``visits`` in a transaction already acting for the visitor's account."""
    person_id = (
        sa.select(accounts.c.person_id)
        .where(accounts.c.office_id == visitor.office_id, accounts.c.id == visitor.account_id)
        .scalar_subquery()
    )
    await db.execute(
        sa.insert(portal_activities).values(
            [_row(visitor, visit) | {"person_id": person_id} for visit in visits]
        )
    )


BATCH = 500  # records that make the recorder write before its second is up
MAX_PENDING = 100_000  # records kept while the database cannot take them
INTERVAL = 1.0  # seconds between writes


COLUMNS = (
    ("office_id", "uuid"),
    ("account_id", "uuid"),
    ("person_id", "uuid"),
    ("action", "varchar"),
    ("case_id", "uuid"),
    ("document_id", "uuid"),
    ("ip_address", "varchar"),
    ("user_agent", "varchar"),
    ("occurred_at", "timestamptz"),
)
# One statement for a whole batch, whatever its size: a column's values are one array.
_NAMES = ", ".join(name for name, _ in COLUMNS)
_ARRAYS = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in COLUMNS)
WRITE = sa.text(f"INSERT INTO portal_activity ({_NAMES}) SELECT * FROM unnest({_ARRAYS})")  # noqa: S608  (constants)


async def write(engine: AsyncEngine, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (of several accounts and offices) in one statement of the
    un-switched runtime role, the one role that may (migration 0009)."""
    columns = {name: [row[name] for row in rows] for name, _ in COLUMNS}
    columns["action"] = [str(action) for action in columns["action"]]
    async with engine.begin() as connection:
        await connection.execute(WRITE, columns)


class Recorder:
    """The records of a process's reads, held in memory and written in batches."""

    def __init__(self, engine: AsyncEngine, *, interval: float = INTERVAL) -> None:
        self._engine = engine
        self._interval = interval
        self._pending: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._stopping = False

    def add(self, visitor: Visitor, visits: Sequence[Visit]) -> None:
        """Keep ``visits`` for the next write, stamped now, in the order given."""
        now = datetime.now(UTC)
        for n, visit in enumerate(visits):
            self._pending.append(_row(visitor, visit) | {"occurred_at": now + n * MICROSECOND})
        if len(self._pending) >= BATCH:
            self._wake.set()

    async def flush(self) -> None:
        """Write what is held; on failure, keep it for the next time (logged)."""
        rows, self._pending = self._pending, []
        if not rows:
            return
        try:
            await write(self._engine, rows)
        except Exception:
            kept = (rows + self._pending)[-MAX_PENDING:]
            lost = len(rows) + len(self._pending) - len(kept)
            self._pending = kept
            logger.exception(
                "the access log could not write %d records (kept for the next try; %d lost)",
                len(rows),
                lost,
            )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Recorder]:
        """Write every ``interval`` while the block runs, and what is left as it ends."""
        task = asyncio.create_task(self._loop())
        try:
            yield self
        finally:
            self._stopping = True  # not cancelled: a write under way ends whole
            self._wake.set()
            await task
            await self.flush()

    async def _loop(self) -> None:
        while not self._stopping:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            await self.flush()


MICROSECOND = timedelta(microseconds=1)


def activity_query(viewer: Viewer) -> sa.Select[Any]:
    return sa.select(portal_activities).where(visible_activity(viewer))


async def activity_of_persons(
    db: Db, *, viewer: Viewer, person_ids: Sequence[uuid.UUID], window: Window
) -> dict[uuid.UUID, Page]:
    """Each person's visible activity, newest first."""
    return await fetch_pages_by(
        db,
        activity_query(viewer),
        key=portal_activities.c.person_id,
        keys=person_ids,
        order=PAGE_ORDER,
        window=window,
    )


async def own_activity(db: Db, *, viewer: Viewer, window: Window) -> Page:
    """What the viewer's own account did, newest first."""
    query = activity_query(viewer).where(portal_activities.c.account_id == viewer.account_id)
    return await fetch_page(db, query, order=PAGE_ORDER, window=window)


async def purge(db: Db, *, keep_days: int) -> int:
    """Delete, in every office, what is older than ``keep_days`` days (never fewer than
    183: the database refuses); how many rows went."""
    purged = await db.scalar(sa.select(sa.func.causa_purge_portal_activity(keep_days)))
    return int(purged)
