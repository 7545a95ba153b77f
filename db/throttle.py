"""Login throttling: sign-ins per e-mail and per address, counted in PostgreSQL.

An attempt is counted *before* its password is checked (``admit``), by one statement
per key that either reserves the attempt or refuses it, and a success gives the
reservation back (``succeeded``). However many attempts arrive at once, and at however
many replicas, no more passwords are checked than the limits allow.

Per e-mail: from the ``per_email``-th attempt in a row that has not succeeded the
e-mail is locked, for 2 seconds doubling with each further attempt, up to
``max_lock`` seconds. A success clears the count; a count is forgotten after a day.

Per address, a sliding window: each failure counts 1, and the count fades out at
``per_address`` per ``window`` seconds; an attempt is refused while it would take the
count over ``per_address``. A success from the address gives its reservation back
and earns a credit of one more failure, fading likewise and never above
``per_address``: colleagues behind one NAT who sign in make room for each other's
typos, while a spray from one address still gets ``per_address`` failures per window
over time (under twice that in one burst), however many successes it mixes in.

Keys are hashes, so an e-mail typed by mistake into the password field is never
stored as text, and an unknown e-mail is throttled exactly like a known one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from db.session import Db
from db.tables import address_throttles, login_throttles

FIRST_LOCK_SECONDS = 2
MAX_DOUBLINGS = 20
IPV6_NETWORK = 64  # one subscriber's share: rotating within it is no new address
FORGET_AFTER: sa.ColumnElement[timedelta] = sa.literal_column("interval '1 day'")
ONE_SECOND: sa.ColumnElement[timedelta] = sa.literal_column("interval '1 second'")
NOW: sa.ColumnElement[datetime] = sa.func.now()


class Throttled(Exception):
    """The attempt is refused, uncounted; ``seconds``: when to try again."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"Too many failed sign-ins: try again in {seconds} seconds.")
        self.seconds = seconds


def email_key(email: str) -> bytes:
    return _digest("email", email.strip().lower())


def address_key(host: str) -> bytes:
    """An IPv4 address, or the /64 network of an IPv6 one."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _digest("address", host)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            network = ipaddress.IPv6Network((address, IPV6_NETWORK), strict=False)
            return _digest("address", str(network))
        address = address.ipv4_mapped
    return _digest("address", str(address))


def _digest(kind: str, value: str) -> bytes:
    return hashlib.sha256(f"{kind}:{value}".encode()).digest()


@dataclass(frozen=True, slots=True)
class Limits:
    per_email: int
    per_address: int
    window: int  # seconds
    max_lock: int

    @property
    def fade_per_second(self) -> float:
        return self.per_address / self.window


@dataclass(frozen=True, slots=True)
class Attempt:
    email: bytes
    address: bytes
    limits: Limits


async def admit(db: Db, attempt: Attempt) -> None:
    """Count ``attempt`` as a failure until it succeeds; raise Throttled to refuse it.

    The e-mail is counted first, then the address; the caller rolls both back on a
    refusal, so a refused attempt counts nowhere.
    """
    await _forget_old(db, attempt.limits)
    await _admit_email(db, attempt)
    await _admit_address(db, attempt)


async def succeeded(db: Db, attempt: Attempt) -> None:
    await db.execute(sa.delete(login_throttles).where(login_throttles.c.key == attempt.email))
    table, limits = address_throttles, attempt.limits
    failures, successes = _faded(table.c.failures, limits), _faded(table.c.successes, limits)
    await db.execute(
        sa.update(table)
        .where(table.c.key == attempt.address)
        .values(
            failures=sa.func.greatest(0.0, failures - 1),
            successes=sa.func.least(float(limits.per_address), successes + 1),
            counted_at=NOW,
        )
    )


async def _admit_email(db: Db, attempt: Attempt) -> None:
    table, limits = login_throttles, attempt.limits
    failures = sa.case(
        (table.c.last_failure_at < NOW - FORGET_AFTER, 1), else_=table.c.failures + 1
    )
    statement = insert(table).values(
        key=attempt.email,
        failures=1,
        last_failure_at=NOW,
        locked_until=_lock(sa.literal(1), limits),
    )
    admitted = await db.scalar(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "last_failure_at": NOW,
                "locked_until": _lock(failures, limits),
            },
            where=sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= NOW),
        ).returning(table.c.key)
    )
    if admitted is None:
        remaining = sa.extract("epoch", table.c.locked_until - NOW)
        await _refuse(db, sa.select(remaining).where(table.c.key == attempt.email))


def _lock(failures: sa.ColumnElement[int], limits: Limits) -> sa.ColumnElement[datetime]:
    doublings = sa.func.least(failures - limits.per_email, MAX_DOUBLINGS)
    seconds = sa.func.least(limits.max_lock, FIRST_LOCK_SECONDS * sa.func.power(2, doublings))
    return sa.case((failures >= limits.per_email, NOW + seconds * ONE_SECOND), else_=None)


async def _admit_address(db: Db, attempt: Attempt) -> None:
    table, limits = address_throttles, attempt.limits
    failures, successes = _faded(table.c.failures, limits), _faded(table.c.successes, limits)
    statement = insert(table).values(
        key=attempt.address, failures=1.0, successes=0.0, counted_at=NOW
    )
    admitted = await db.scalar(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"failures": failures + 1, "successes": successes, "counted_at": NOW},
            where=failures + 1 <= limits.per_address + successes,
        ).returning(table.c.key)
    )
    if admitted is None:
        # Refused means failures + 1 > per_address + successes. Both fade at the same
        # rate, so only once the credit has faded away can the failures fall low enough.
        remaining = (failures + 1 - limits.per_address) / limits.fade_per_second
        await _refuse(db, sa.select(remaining).where(table.c.key == attempt.address))


def _faded(count: sa.ColumnElement[float], limits: Limits) -> sa.ColumnElement[float]:
    elapsed = sa.extract("epoch", NOW - address_throttles.c.counted_at)
    return sa.func.greatest(0.0, count - elapsed * limits.fade_per_second)


async def _refuse(db: Db, remaining: sa.Select[Any]) -> None:
    seconds = await db.scalar(remaining)
    raise Throttled(max(1, math.ceil(seconds or 0)))


async def _forget_old(db: Db, limits: Limits) -> None:
    """Remove counts that no longer matter, skipping rows other attempts hold."""
    table = login_throttles
    await _delete(
        table,
        sa.and_(
            table.c.last_failure_at < NOW - FORGET_AFTER,
            sa.or_(table.c.locked_until.is_(None), table.c.locked_until < NOW),
        ),
        db,
    )
    # Failures reach at most twice the limit: gone after two windows.
    faded_out = NOW - 2 * limits.window * ONE_SECOND
    await _delete(address_throttles, address_throttles.c.counted_at < faded_out, db)


async def _delete(table: sa.Table, old: sa.ColumnElement[bool], db: Db) -> None:
    rows = sa.select(table.c.key).where(old).with_for_update(skip_locked=True)
    await db.execute(sa.delete(table).where(table.c.key.in_(rows.scalar_subquery())))
