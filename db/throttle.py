"""Login throttling: sign-ins per e-mail and per address, counted in PostgreSQL.

An attempt takes a place among those being checked (``reserve``) before its password
is checked, by one statement per key that either reserves the place or refuses it; it
gives the place back once judged (``settle``): as a failure, as a success, or
uncounted when it ended before its password was judged. However many attempts arrive
at once, and at however many replicas, no more passwords are checked than the limits
allow, and attempts still being checked are never counted as failures.

Per e-mail: from the ``per_email``-th failure in a row the e-mail is locked, for 2
seconds doubling with each further failure, up to ``max_lock`` seconds. Attempts are
checked while failures and attempts being checked stay within ``per_email``, and once
it is reached, one at a time between locks. A success clears the count; a count is
forgotten after a day.

Per address, a sliding window: each failure counts 1, and the count fades out at
``per_address`` per ``window`` seconds; an attempt is refused while it would take the
failures and the attempts being checked over ``per_address``. A success from the
address earns a credit of one more failure, fading likewise and never above
``per_address``: colleagues behind one NAT who sign in make room for each other's
typos, while a spray from one address still gets ``per_address`` failures per window
over time (under twice that in one burst), however many successes it mixes in.

An attempt refused only because others are still being checked is not refused at
once: it waits for room, holding no connection, up to ``QUEUE_WAIT`` seconds. One
refused by failures is refused at once, with the true time left. A place not given
back (its process died) stops counting ``PENDING_EXPIRY`` after the key's latest one
was taken.

Keys are hashes, so an e-mail typed by mistake into the password field is never
stored as text, and an unknown e-mail is throttled exactly like a known one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import math
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import Db, transaction
from db.tables import address_throttles, login_throttles

FIRST_LOCK_SECONDS = 2
MAX_DOUBLINGS = 20
IPV6_NETWORK = 64  # one subscriber's share: rotating within it is no new address
FORGET_AFTER: sa.ColumnElement[timedelta] = sa.literal_column("interval '1 day'")
ONE_SECOND: sa.ColumnElement[timedelta] = sa.literal_column("interval '1 second'")
PENDING_EXPIRY: sa.ColumnElement[timedelta] = sa.literal_column("interval '60 seconds'")
NOW: sa.ColumnElement[datetime] = sa.func.now()
# Seconds an attempt waits for room among those being checked: long enough for a burst
# of sign-ins to be checked on a busy machine, the checks being what it waits for.
QUEUE_WAIT = 15.0
FIRST_PAUSE, LAST_PAUSE = 0.05, 0.25  # seconds between its tries, doubling
BUSY_RETRY = 1  # Retry-After when the wait was not enough

T = TypeVar("T")


class Throttled(Exception):
    """The attempt is refused, uncounted; ``seconds``: when to try again."""

    def __init__(self, seconds: int, *, busy: bool = False) -> None:
        if busy:
            message = f"Too many sign-ins at once: try again in {seconds} seconds."
        else:
            message = f"Too many failed sign-ins: try again in {seconds} seconds."
        super().__init__(message)
        self.seconds = seconds


class _Busy(Exception):
    """No room now, only because other attempts are still being checked."""


def email_key(email: str, kind: str = "email") -> bytes:
    """The e-mail's key; another ``kind`` counts apart from sign-in (password resets)."""
    return _digest(kind, email.strip().lower())


def address_key(host: str, kind: str = "address") -> bytes:
    """An IPv4 address, or the /64 network of an IPv6 one; ``kind`` as for email_key."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _digest(kind, host)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is None:
            network = ipaddress.IPv6Network((address, IPV6_NETWORK), strict=False)
            return _digest(kind, str(network))
        address = address.ipv4_mapped
    return _digest(kind, str(address))


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


async def reserve(engine: AsyncEngine, attempt: Attempt, then: Callable[[Db], Awaitable[T]]) -> T:
    """Take a place for ``attempt`` among those being checked, and run ``then`` in the
    same transaction; raise Throttled to refuse it, counted nowhere.

    While the only obstacle is other attempts being checked, it tries again when one
    of them gives its place back, or after a pause (one elsewhere may have), holding no
    connection meanwhile, for up to ``QUEUE_WAIT`` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + QUEUE_WAIT
    pause, first = FIRST_PAUSE, True
    while True:
        try:
            async with transaction(engine) as db:
                if first:
                    await _forget_old(db, attempt.limits)
                await _reserve_email(db, attempt)
                await _reserve_address(db, attempt)
                return await then(db)
        except _Busy:
            left = deadline - loop.time()
            if left <= 0:
                raise Throttled(BUSY_RETRY, busy=True) from None
        first = False
        jitter = random.uniform(pause / 2, pause)  # noqa: S311  (not a secret)
        await _room_made(attempt, min(left, jitter))
        pause = min(2 * pause, LAST_PAUSE)


# Attempts of this process waiting for room, per key, first come first woken.
_waiting: dict[bytes, deque[asyncio.Future[None]]] = {}


async def _room_made(attempt: Attempt, seconds: float) -> None:
    """Wait until an attempt gives back a place for one of the keys of ``attempt``."""
    woken = asyncio.get_running_loop().create_future()
    queues = [_waiting.setdefault(key, deque()) for key in (attempt.email, attempt.address)]
    for queue in queues:
        queue.append(woken)
    try:
        await asyncio.wait({woken}, timeout=seconds)
    finally:
        woken.cancel()
        for key, queue in zip((attempt.email, attempt.address), queues, strict=True):
            with contextlib.suppress(ValueError):
                queue.remove(woken)
            if not queue and _waiting.get(key) is queue:
                del _waiting[key]


def _make_room(attempt: Attempt) -> None:
    """Wake the first attempt waiting for each key of ``attempt``."""
    for key in (attempt.email, attempt.address):
        queue = _waiting.get(key, deque())
        while queue:
            woken = queue.popleft()
            if not woken.done():
                woken.set_result(None)
                break


async def settle(engine: AsyncEngine, attempt: Attempt, succeeded: bool | None) -> None:
    """Give back the place of ``attempt``, in a transaction of its own: as a success
    (True), a failure (False), or uncounted (None: it ended before being judged).

    It runs to its end even if the request is cancelled meanwhile.
    """
    await asyncio.shield(asyncio.ensure_future(_settle(engine, attempt, succeeded)))


async def _settle(engine: AsyncEngine, attempt: Attempt, succeeded: bool | None) -> None:
    async with transaction(engine) as db:
        if succeeded is None:
            for table, key in (
                (login_throttles, attempt.email),
                (address_throttles, attempt.address),
            ):
                await db.execute(
                    sa.update(table).where(table.c.key == key).values(pending=_given_back(table))
                )
        elif succeeded:
            await _email_succeeded(db, attempt)
            await _address_succeeded(db, attempt)
        else:
            await _email_failed(db, attempt)
            await _address_failed(db, attempt)
    _make_room(attempt)


def _pending(table: sa.Table) -> sa.ColumnElement[int]:
    """The attempts being checked, none once the latest place taken has expired."""
    return sa.case(
        (table.c.pending_since > NOW - PENDING_EXPIRY, table.c.pending), else_=sa.literal(0)
    )


def _given_back(table: sa.Table) -> sa.ColumnElement[int]:
    return sa.func.greatest(0, _pending(table) - 1)


# --- per e-mail ---------------------------------------------------------------------------


def _email_failures() -> sa.ColumnElement[int]:
    """The failures in a row, none once the last is a day old."""
    table = login_throttles
    return sa.case(
        (table.c.last_failure_at < NOW - FORGET_AFTER, sa.literal(0)), else_=table.c.failures
    )


async def _reserve_email(db: Db, attempt: Attempt) -> None:
    table, limits = login_throttles, attempt.limits
    failures, pending = _email_failures(), _pending(table)
    unlocked = sa.or_(table.c.locked_until.is_(None), table.c.locked_until <= NOW)
    # Within the limit, as many at once as it leaves room for; past it, one at a time.
    room = sa.or_(failures + pending < limits.per_email, pending == 0)
    statement = insert(table).values(
        key=attempt.email, failures=0, last_failure_at=NOW, pending=1, pending_since=NOW
    )
    reserved = await db.scalar(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "pending": pending + 1,
                "pending_since": NOW,
            },
            where=sa.and_(unlocked, room),
        ).returning(table.c.key)
    )
    if reserved is None:
        # The refused row stays locked by this transaction: it is read as refused.
        locked = sa.case(
            (table.c.locked_until > NOW, sa.extract("epoch", table.c.locked_until - NOW)),
            else_=None,
        )
        await _refuse(db, sa.select(locked).where(table.c.key == attempt.email))


async def _email_failed(db: Db, attempt: Attempt) -> None:
    table, limits = login_throttles, attempt.limits
    failures = _email_failures() + 1
    statement = insert(table).values(
        key=attempt.email,
        failures=1,
        last_failure_at=NOW,
        locked_until=_lock(sa.literal(1), limits),
        pending=0,
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "last_failure_at": NOW,
                "locked_until": _lock(failures, limits),
                "pending": _given_back(table),
            },
        )
    )


async def _email_succeeded(db: Db, attempt: Attempt) -> None:
    """A success clears the count; the row goes once no other attempt is being checked."""
    table = login_throttles
    await db.execute(
        sa.update(table)
        .where(table.c.key == attempt.email)
        .values(failures=0, locked_until=None, pending=_given_back(table))
    )
    await db.execute(sa.delete(table).where(table.c.key == attempt.email, table.c.pending == 0))


def _lock(failures: sa.ColumnElement[int], limits: Limits) -> sa.ColumnElement[datetime]:
    doublings = sa.func.least(failures - limits.per_email, MAX_DOUBLINGS)
    seconds = sa.func.least(limits.max_lock, FIRST_LOCK_SECONDS * sa.func.power(2, doublings))
    return sa.case((failures >= limits.per_email, NOW + seconds * ONE_SECOND), else_=None)


async def _reserve_address(db: Db, attempt: Attempt) -> None:
    table, limits = address_throttles, attempt.limits
    failures, successes = _faded(table.c.failures, limits), _faded(table.c.successes, limits)
    pending = _pending(table)
    statement = insert(table).values(
        key=attempt.address,
        failures=0.0,
        successes=0.0,
        counted_at=NOW,
        pending=1,
        pending_since=NOW,
    )
    reserved = await db.scalar(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures,
                "successes": successes,
                "counted_at": _counted_now(table),
                "pending": pending + 1,
                "pending_since": NOW,
            },
            where=failures + pending + 1 <= limits.per_address + successes,
        ).returning(table.c.key)
    )
    if reserved is None:
        # Refused by its failures when failures + 1 > per_address + successes. Both fade
        # at the same rate, so only once the credit has faded away can the failures
        # fall low enough. Otherwise only attempts being checked are in the way.
        over = failures + 1 - limits.per_address
        remaining = sa.case((over > successes, over / limits.fade_per_second), else_=None)
        await _refuse(db, sa.select(remaining).where(table.c.key == attempt.address))


async def _address_failed(db: Db, attempt: Attempt) -> None:
    table, limits = address_throttles, attempt.limits
    failures, successes = _faded(table.c.failures, limits), _faded(table.c.successes, limits)
    statement = insert(table).values(
        key=attempt.address, failures=1.0, successes=0.0, counted_at=NOW, pending=0
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": failures + 1,
                "successes": successes,
                "counted_at": _counted_now(table),
                "pending": _given_back(table),
            },
        )
    )


async def _address_succeeded(db: Db, attempt: Attempt) -> None:
    table, limits = address_throttles, attempt.limits
    failures, successes = _faded(table.c.failures, limits), _faded(table.c.successes, limits)
    await db.execute(
        sa.update(table)
        .where(table.c.key == attempt.address)
        .values(
            failures=failures,
            successes=sa.func.least(float(limits.per_address), successes + 1),
            counted_at=_counted_now(table),
            pending=_given_back(table),
        )
    )


def _faded(count: sa.ColumnElement[float], limits: Limits) -> sa.ColumnElement[float]:
    # now() is when this transaction began, which may be before a concurrent one
    # counted: time never runs backwards here, so a count never grows by fading.
    elapsed = sa.func.greatest(0.0, sa.extract("epoch", NOW - address_throttles.c.counted_at))
    return sa.func.greatest(0.0, count - elapsed * limits.fade_per_second)


def _counted_now(table: sa.Table) -> sa.ColumnElement[datetime]:
    """The time a count is as of once this transaction has updated it."""
    return sa.func.greatest(table.c.counted_at, NOW)


async def _refuse(db: Db, remaining: sa.Select[Any]) -> None:
    """Throttled for the time ``remaining`` gives, or _Busy when it gives none."""
    seconds = await db.scalar(remaining)
    if seconds is None or seconds <= 0:
        raise _Busy
    raise Throttled(math.ceil(seconds))


async def _forget_old(db: Db, limits: Limits) -> None:
    """Remove counts that no longer matter, skipping rows other attempts hold."""
    table = login_throttles
    await _delete(
        table,
        sa.and_(
            table.c.last_failure_at < NOW - FORGET_AFTER,
            sa.or_(table.c.locked_until.is_(None), table.c.locked_until < NOW),
            _pending(table) == 0,
        ),
        db,
    )
    # Failures reach at most twice the limit: gone after two windows, by when no place
    # taken (which counts it anew) is still pending.
    faded_out = NOW - 2 * limits.window * ONE_SECOND
    await _delete(address_throttles, address_throttles.c.counted_at < faded_out, db)


async def _delete(table: sa.Table, old: sa.ColumnElement[bool], db: Db) -> None:
    rows = sa.select(table.c.key).where(old).with_for_update(skip_locked=True)
    await db.execute(sa.delete(table).where(table.c.key.in_(rows.scalar_subquery())))
