"""Login throttling: failed sign-ins per e-mail and per address, counted in PostgreSQL.

From the ``threshold``-th failure in a row a key is locked, for a time that doubles
with each further failure, up to ``max_lock`` seconds. A success clears the e-mail's
count; any count is forgotten after a day without failures. Keys are hashes, so an
e-mail typed by mistake into the password field is never stored as text, and an
unknown e-mail is throttled exactly like a known one.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from db.session import Db
from db.tables import login_throttles

FIRST_LOCK_SECONDS = 2
MAX_DOUBLINGS = 20
FORGET_AFTER: sa.ColumnElement[timedelta] = sa.literal_column("interval '1 day'")
ONE_SECOND: sa.ColumnElement[timedelta] = sa.literal_column("interval '1 second'")


@dataclass(frozen=True, slots=True)
class Key:
    digest: bytes
    threshold: int

    @classmethod
    def of(cls, kind: str, value: str, *, threshold: int) -> Key:
        return cls(hashlib.sha256(f"{kind}:{value}".encode()).digest(), threshold)


async def seconds_locked(db: Db, keys: list[Key]) -> int:
    """How long the longest lock among ``keys`` still lasts (0: none is locked)."""
    until = await db.scalar(
        sa.select(sa.func.max(login_throttles.c.locked_until)).where(
            login_throttles.c.key.in_([key.digest for key in keys]),
            login_throttles.c.locked_until > sa.func.now(),
        )
    )
    if not isinstance(until, datetime):
        return 0
    return max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))


def _lock(failures: sa.ColumnElement[int], key: Key, max_lock: int) -> sa.ColumnElement[datetime]:
    doublings = sa.func.least(failures - key.threshold, MAX_DOUBLINGS)
    seconds = sa.func.least(max_lock, FIRST_LOCK_SECONDS * sa.func.power(2, doublings))
    return sa.case((failures >= key.threshold, sa.func.now() + seconds * ONE_SECOND), else_=None)


async def record_failure(db: Db, keys: list[Key], *, max_lock: int) -> None:
    table = login_throttles
    for key in keys:
        failures = sa.case(
            (table.c.last_failure_at < sa.func.now() - FORGET_AFTER, 1),
            else_=table.c.failures + 1,
        )
        statement = insert(table).values(
            key=key.digest,
            failures=1,
            last_failure_at=sa.func.now(),
            locked_until=_lock(sa.literal(1), key, max_lock),
        )
        await db.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": failures,
                    "last_failure_at": sa.func.now(),
                    "locked_until": _lock(failures, key, max_lock),
                },
            )
        )
    await db.execute(
        sa.delete(table).where(
            table.c.last_failure_at < sa.func.now() - FORGET_AFTER,
            sa.or_(table.c.locked_until.is_(None), table.c.locked_until < sa.func.now()),
        )
    )


async def clear(db: Db, key: Key) -> None:
    await db.execute(sa.delete(login_throttles).where(login_throttles.c.key == key.digest))
