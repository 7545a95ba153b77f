"""Failed sign-ins are slowed, then refused for a while: per e-mail and per address."""

from __future__ import annotations

import asyncio
import itertools
import math
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app import create_app
from auth import passwords
from cli import forwarded_headers
from db import offices, throttle
from db.session import transaction
from db.throttle import address_key, email_key
from domain.viewer import Role
from settings import Settings
from tests.factories import PASSWORD, Staff, sign_in, unique_email
from tests.serving import Served, http_client, serving

BAD_CREDENTIALS = {
    "error": "invalid_grant",
    "error_description": "The e-mail or the password is incorrect.",
}
WRONG = "not the password at all"


async def attempt(
    client: httpx.AsyncClient, email: str, password: str, **headers: str
) -> httpx.Response:
    return await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": email, "password": password},
        headers=headers,
    )


def too_many(response: httpx.Response, seconds: range) -> int:
    """A 429 whose Retry-After, and the same in words, is within ``seconds``."""
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert retry_after in seconds, (retry_after, seconds)
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "error": "too_many_attempts",
        "error_description": f"Too many failed sign-ins: try again in {retry_after} seconds.",
    }
    return retry_after


async def fail(client: httpx.AsyncClient, email: str, times: int) -> None:
    for _ in range(times):
        response = await attempt(client, email, WRONG)
        assert response.status_code == 400, response.text
        assert response.json() == BAD_CREDENTIALS


async def spray(client: httpx.AsyncClient, times: int) -> None:
    """Failed sign-ins from one address, each for an e-mail of its own."""
    for _ in range(times):
        await fail(client, unique_email("guess"), 1)


async def database_now(engine: AsyncEngine) -> datetime:
    async with engine.connect() as connection:
        now: datetime = (await connection.execute(text("SELECT clock_timestamp()"))).scalar_one()
    return now


def remaining(until: datetime, *, earliest: datetime, latest: datetime) -> range:
    """What a server answering between ``earliest`` and ``latest`` says is left until ``until``."""
    return range(
        max(1, math.ceil((until - latest).total_seconds())),
        max(1, math.ceil((until - earliest).total_seconds())) + 1,
    )


async def refused_by_lock(
    client: httpx.AsyncClient, engine: AsyncEngine, email: str, seconds: int
) -> None:
    """Even the right password is refused by a lock of ``seconds`` on ``email``, and
    Retry-After tells what is left of it when the server answered (the database's clock)."""
    before = await database_now(engine)
    response = await attempt(client, email, PASSWORD)
    after = await database_now(engine)
    async with engine.connect() as connection:
        until, length = (
            await connection.execute(
                text(
                    "SELECT locked_until, locked_until - last_failure_at FROM login_throttle "
                    "WHERE key = :key"
                ),
                {"key": email_key(email)},
            )
        ).one()
    assert length == timedelta(seconds=seconds)
    too_many(response, remaining(until, earliest=before, latest=after))


async def end_lock(engine: AsyncEngine, email: str) -> None:
    """As if the lock on ``email`` had run out."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE login_throttle SET locked_until = now() - interval '1 second' "
                "WHERE key = :key"
            ),
            {"key": email_key(email)},
        )


class PasswordChecks:
    """Each real argon2 check made meanwhile: its thread, and how many ran with it."""

    def __init__(self) -> None:
        self.threads: list[int] = []
        self.at_once: list[int] = []
        self.started = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._running = 0

    def around(self, real: Callable[[str | None, str], bool]) -> Callable[[str | None, str], bool]:
        def counted(password_hash: str | None, password: str) -> bool:
            with self._lock:
                self._running += 1
                self.threads.append(threading.get_ident())
                self.at_once.append(self._running)
            self._loop.call_soon_threadsafe(self.started.set)
            try:
                return real(password_hash, password)
            finally:
                with self._lock:
                    self._running -= 1

        return counted


@contextmanager
def counted_password_checks() -> Iterator[PasswordChecks]:
    checks = PasswordChecks()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "verify_password", checks.around(passwords.verify_password))
        yield checks


# --- per e-mail ---------------------------------------------------------------------------


async def test_the_fifth_failure_locks_the_account_even_against_its_password(
    client: httpx.AsyncClient, office: Staff, settings: Settings, engine: AsyncEngine
) -> None:
    # given five failed sign-ins for one e-mail
    assert settings.login_failures_per_account == 5
    await fail(client, office.email, 5)

    # when its owner signs in with the right password, then it is refused for 2 seconds
    await refused_by_lock(client, engine, office.email, 2)


async def test_an_unknown_email_is_throttled_exactly_like_a_known_one(
    client: httpx.AsyncClient, office: Staff
) -> None:
    known: list[tuple[int, Any]] = []
    unknown: list[tuple[int, Any]] = []
    for email, answers in ((office.lawyer_email, known), (unique_email("nobody"), unknown)):
        for _ in range(6):
            response = await attempt(client, email, WRONG)
            answers.append((response.status_code, response.headers.get("retry-after")))
    assert known == unknown
    assert [status for status, _ in known] == [400] * 5 + [429]


async def test_parallel_wrong_guesses_reach_no_more_password_checks_than_the_limit(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given 30 wrong guesses for one e-mail, sent all at once
    with counted_password_checks() as checks:
        responses = await asyncio.gather(*(attempt(client, office.email, WRONG) for _ in range(30)))

    # then only as many passwords were checked as the limit allows; the rest were refused
    limit = settings.login_failures_per_account
    assert len(checks.threads) == limit
    assert sorted(response.status_code for response in responses) == [400] * limit + [429] * (
        30 - limit
    )
    assert all(
        response.json() == BAD_CREDENTIALS for response in responses if response.status_code == 400
    )


async def test_when_the_lock_ends_the_owner_signs_in_and_the_count_starts_over(
    client: httpx.AsyncClient, office: Staff, engine: AsyncEngine
) -> None:
    # given an e-mail locked by failures
    await fail(client, office.email, 5)
    # when the lock has run out, then the owner signs in
    await end_lock(engine, office.email)
    await sign_in(client, office.email)
    # and a later failure is an ordinary one again
    await fail(client, office.email, 4)


async def test_each_further_failure_doubles_the_lock(
    client: httpx.AsyncClient, office: Staff, engine: AsyncEngine
) -> None:
    await fail(client, office.email, 5)
    for seconds in (4, 8, 16):
        await end_lock(engine, office.email)
        await fail(client, office.email, 1)
        await refused_by_lock(client, engine, office.email, seconds)


async def test_the_lock_never_exceeds_the_configured_maximum(
    client: httpx.AsyncClient, office: Staff, engine: AsyncEngine, settings: Settings
) -> None:
    # given an e-mail with a very long history of failures
    await fail(client, office.email, 5)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE login_throttle SET failures = 5000, locked_until = NULL WHERE key = :key"),
            {"key": email_key(office.email)},
        )
    # when it fails once more, then the lock is the maximum
    await fail(client, office.email, 1)
    await refused_by_lock(client, engine, office.email, settings.login_lockout_max)


async def test_the_throttle_keeps_no_email_in_clear(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    email = unique_email("typed-by-mistake")
    await fail(client, email, 1)
    async with engine.connect() as connection:
        keys = (await connection.execute(text("SELECT key FROM login_throttle"))).scalars().all()
    assert email_key(email) in keys
    assert all(len(key) == 32 and email.encode() not in key for key in keys)


# --- attempts being checked at once --------------------------------------------------------


async def colleagues(engine: AsyncEngine, count: int) -> list[str]:
    """The e-mails of ``count`` lawyers of a new office, each with the password PASSWORD."""
    prefix = unique_email("colleague").partition("@")[0]
    async with transaction(engine) as db:
        office = await offices.ensure_office(db, name=f"Escritório {prefix}")
        return [
            (
                await offices.create_account(
                    db,
                    office_id=office["id"],
                    email=f"{prefix}-{n}@example.com",
                    name="Luís Lawyer",
                    role=Role.LAWYER,
                    password=PASSWORD,
                )
            )["email"]
            for n in range(count)
        ]


async def throttle_rows(engine: AsyncEngine, email: str, host: str) -> tuple[Any, Any]:
    """The e-mail's row (failures, locked_until, pending) and the address's (failures,
    pending), or None where there is none."""
    async with engine.connect() as connection:
        by_email = (
            await connection.execute(
                text("SELECT failures, locked_until, pending FROM login_throttle WHERE key = :key"),
                {"key": email_key(email)},
            )
        ).first()
        by_address = (
            await connection.execute(
                text("SELECT round(failures), pending FROM address_throttle WHERE key = :key"),
                {"key": address_key(host)},
            )
        ).first()
    return by_email, by_address


async def test_colleagues_signing_in_at_once_from_one_address_are_all_let_in(
    strict: Served, engine: AsyncEngine
) -> None:
    # given 30 colleagues behind one address that allows 4 failures
    emails = await colleagues(engine, 30)
    async with from_address(strict) as (nat, host):
        # when they all sign in with their right passwords at the same moment
        with counted_password_checks() as checks:
            responses = await asyncio.gather(*(attempt(nat, email, PASSWORD) for email in emails))

        # then every one is let in, none refused for the others still being checked
        assert [response.status_code for response in responses] == [200] * 30
        assert len(checks.threads) == 30
        # and nothing is left counted against the address or any of them
        for email in emails:
            by_email, by_address = await throttle_rows(engine, email, host)
            assert by_email is None
            assert tuple(by_address) == (0, 0)


async def test_one_account_signing_in_at_once_many_times_is_let_in_every_time(
    client: httpx.AsyncClient, office: Staff, engine: AsyncEngine, settings: Settings
) -> None:
    # given 30 sign-ins with the right password for one e-mail, six times its limit
    assert settings.login_failures_per_account == 5
    responses = await asyncio.gather(*(attempt(client, office.email, PASSWORD) for _ in range(30)))

    # then all are let in, and the e-mail is not locked afterwards
    assert [response.status_code for response in responses] == [200] * 30
    by_email, _ = await throttle_rows(engine, office.email, "")
    assert by_email is None
    await sign_in(client, office.email)


async def test_a_parallel_spray_from_one_address_reaches_no_more_checks_than_its_limit(
    strict: Served, engine: AsyncEngine
) -> None:
    async with from_address(strict) as (sprayer, host):
        # given 30 guesses at as many e-mails, sent at once from an address allowing 4
        with counted_password_checks() as checks:
            responses = await asyncio.gather(
                *(attempt(sprayer, unique_email("victim"), WRONG) for _ in range(30))
            )

        # then 4 passwords were checked, and the others were refused for those failures
        assert len(checks.threads) == FEW
        assert sorted(response.status_code for response in responses) == [400] * FEW + [429] * (
            30 - FEW
        )
        for response in responses:
            if response.status_code == 429:
                too_many(response, range(1, WINDOW // FEW + 1))
        _, by_address = await throttle_rows(engine, "", host)
        assert tuple(by_address) == (FEW, 0)


async def set_pending(engine: AsyncEngine, email: str, host: str, pending: int, age: int) -> None:
    """As if ``pending`` attempts for ``email`` from ``host`` were being checked, the
    latest admitted ``age`` seconds ago."""
    async with engine.begin() as connection:
        for table, key in (
            ("login_throttle", email_key(email)),
            ("address_throttle", address_key(host)),
        ):
            await connection.execute(
                text(
                    f"UPDATE {table} SET pending = :pending, "
                    "pending_since = now() - :age * interval '1 second' WHERE key = :key"
                ),
                {"pending": pending, "age": age, "key": key},
            )


async def test_an_attempt_finding_no_room_for_its_whole_wait_is_refused_for_a_second(
    strict: Served, engine: AsyncEngine, office: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "QUEUE_WAIT", 0.5)
    async with from_address(strict) as (client, host):
        # given an e-mail with as many attempts being checked as its limit allows
        await fail(client, office.lawyer_email, 1)
        await set_pending(engine, office.lawyer_email, host, 4, age=0)
        # when its owner signs in and no room is made meanwhile
        started = time.monotonic()
        response = await attempt(client, office.lawyer_email, PASSWORD)
        # then the attempt waited, and is refused for a second, counted nowhere
        assert time.monotonic() - started >= 0.5
        assert response.status_code == 429, response.text
        assert response.headers["retry-after"] == "1"
        assert response.json() == {
            "error": "too_many_attempts",
            "error_description": "Too many sign-ins at once: try again in 1 seconds.",
        }
        by_email, by_address = await throttle_rows(engine, office.lawyer_email, host)
        assert (by_email[0], by_email[2], tuple(by_address)) == (1, 4, (1, 4))


async def test_a_place_left_by_an_attempt_that_never_ended_stops_counting(
    strict: Served, engine: AsyncEngine, office: Staff
) -> None:
    async with from_address(strict) as (client, host):
        # given an e-mail and an address full of attempts whose process died a minute ago
        await fail(client, office.lawyer_email, 1)
        await set_pending(engine, office.lawyer_email, host, 4, age=61)
        # when its owner signs in, then the owner is let in at once
        started = time.monotonic()
        await sign_in(client, office.lawyer_email)
        assert time.monotonic() - started < throttle.FIRST_PAUSE + 1
        # and the dead attempts' places are gone
        by_email, by_address = await throttle_rows(engine, office.lawyer_email, host)
        assert by_email is None
        assert tuple(by_address) == (1, 0)


async def test_an_attempt_whose_check_breaks_gives_its_place_back_uncounted(
    client: httpx.AsyncClient, office: Staff, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an e-mail with one failure
    await fail(client, office.email, 1)

    # when an attempt's password check breaks
    def broken(password_hash: str | None, password: str) -> bool:
        raise RuntimeError("the check broke")

    monkeypatch.setattr(passwords, "verify_password", broken)
    with pytest.raises(RuntimeError, match="the check broke"):
        await attempt(client, office.email, PASSWORD)

    # then its place is given back, and it counts as no failure
    by_email, _ = await throttle_rows(engine, office.email, "")
    assert (by_email[0], by_email[2]) == (1, 0)


# --- password checks off the event loop ---------------------------------------------------


async def test_password_checks_run_off_the_event_loop_while_healthz_answers(
    served: Served,
) -> None:
    # given 30 sign-ins at once, each from an address of its own
    loop_thread = threading.get_ident()
    with counted_password_checks() as checks:
        async with AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(http_client(served)) for _ in range(30)]
            sign_ins = asyncio.gather(
                *(attempt(client, unique_email("busy"), WRONG) for client in clients)
            )
            await checks.started.wait()

            # when /healthz is asked meanwhile, then it answers before the sign-ins are done
            health = await clients[0].get("/healthz")
            assert health.status_code == 200
            assert not sign_ins.done()
            assert len(checks.threads) < 30
            responses = await sign_ins

    # and every password was checked off the event loop, a bounded number at a time
    assert [response.status_code for response in responses] == [400] * 30
    assert len(checks.threads) == 30
    assert loop_thread not in checks.threads
    assert max(checks.at_once) <= passwords.CHECKS_AT_ONCE


# --- per address ----------------------------------------------------------------------------

FEW = 4  # failures per address in the window of the app below
WINDOW = 600
_hosts = itertools.count(1)


@asynccontextmanager
async def from_address(app: Served) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client of ``app`` from a new address, and that address."""
    n = next(_hosts)
    host = f"198.19.{n // 250 % 250}.{n % 250 + 1}"
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://causa.test") as client:
        yield client, host


@pytest.fixture(scope="module")
async def strict(settings: Settings) -> AsyncIterator[Served]:
    """The app with a small per-address limit: 4 failures per 10 minutes."""
    stricter = settings.model_copy(
        update={"login_failures_per_address": FEW, "login_address_window": WINDOW}
    )
    async with serving(stricter) as served:
        yield served


async def address_retry(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    host: str,
    email: str,
    *,
    limit: int = FEW,
    window: int = WINDOW,
) -> int:
    """An attempt refused by its address, with the Retry-After its faded count gives."""
    before = await database_now(engine)
    response = await attempt(client, email, PASSWORD)
    after = await database_now(engine)
    async with engine.connect() as connection:
        failures, counted_at = (
            await connection.execute(
                text("SELECT failures, counted_at FROM address_throttle WHERE key = :key"),
                {"key": address_key(host)},
            )
        ).one()
    per_second = limit / window

    def wait(now: datetime) -> float:
        elapsed: float = (now - counted_at).total_seconds()
        faded = float(failures) - elapsed * per_second
        return (faded + 1 - limit) / per_second

    return too_many(response, range(math.ceil(wait(after)), math.ceil(wait(before)) + 1))


async def test_many_failures_from_one_address_refuse_that_address_only(
    served: Served, office: Staff, settings: Settings, engine: AsyncEngine
) -> None:
    limit, window = settings.login_failures_per_address, settings.login_address_window
    assert (limit, window) == (20, 3600)
    async with from_address(served) as (client, host):
        # given as many failures from one address as it may have, each for another e-mail
        await spray(client, limit)

        # then that address is refused, even for a real account, until one failure has
        # faded out of the window (the count fades by the limit per window)
        retry = await address_retry(engine, client, host, office.email, limit=limit, window=window)
        assert 0 < retry <= window // limit
    # while the same account signs in from another address
    async with http_client(served) as elsewhere:
        await sign_in(elsewhere, office.email)


async def test_failures_fade_out_of_the_window_one_by_one(
    strict: Served, engine: AsyncEngine
) -> None:
    async with from_address(strict) as (client, host):
        # given an address at its limit: refused until one failure has faded out
        await spray(client, FEW)
        retry = await address_retry(engine, client, host, unique_email("typo"))
        assert 0 < retry <= WINDOW // FEW

        # when that time has passed, then one more attempt is let through, and only one
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "UPDATE address_throttle SET counted_at = counted_at - :age * interval "
                    "'1 second' WHERE key = :key"
                ),
                {"age": WINDOW // FEW, "key": address_key(host)},
            )
        await spray(client, 1)
        await address_retry(engine, client, host, unique_email("typo"))


async def test_a_count_made_after_this_attempt_began_does_not_grow_by_fading(
    strict: Served, engine: AsyncEngine
) -> None:
    async with from_address(strict) as (client, host):
        # given an address at its limit, counted by a transaction that began after the
        # next attempt's (concurrent attempts commit out of order)
        await spray(client, FEW)
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "UPDATE address_throttle SET counted_at = now() + interval '30 seconds' "
                    "WHERE key = :key"
                ),
                {"key": address_key(host)},
            )
        # then the next attempt waits for one failure to fade, and no longer
        response = await attempt(client, unique_email("typo"), WRONG)
        too_many(response, range(1, WINDOW // FEW + 1))


async def test_colleagues_signing_in_make_room_for_each_others_typos(
    strict: Served, engine: AsyncEngine, office: Staff
) -> None:
    async with from_address(strict) as (nat, host):
        # given an office behind one address, one failure short of its limit
        await spray(nat, FEW - 1)
        # when a colleague signs in from it
        await sign_in(nat, office.lawyer_email)
        # then two more typos are let through where one would have been
        await spray(nat, 2)
        await address_retry(engine, nat, host, unique_email("typo"))


async def test_successes_never_let_one_address_spray_more_than_twice_its_limit(
    strict: Served, engine: AsyncEngine, office: Staff
) -> None:
    async with from_address(strict) as (sprayer, host):
        # given a client who signs in to their own account again and again
        for _ in range(FEW + 2):
            await sign_in(sprayer, office.lawyer_email)
        # when it sprays guesses at other e-mails, then its credit lets it fail more than
        # the limit, but never twice the limit (the credit began to fade first)
        await spray(sprayer, 2 * FEW - 1)
        await address_retry(engine, sprayer, host, unique_email("victim"))


def test_an_ipv6_client_is_counted_by_its_64_bit_network() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.7") == address_key("192.0.2.7")
    assert address_key("192.0.2.7") != address_key("192.0.2.8")


# --- forwarded headers ----------------------------------------------------------------------


@contextmanager
def uvicorn_on_loopback(settings: Settings) -> Iterator[str]:
    """The app as `causa serve` runs it, on a loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        **forwarded_headers(settings),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def counted_for(engine: AsyncEngine, host: str) -> bool:
    """Whether any sign-in has been counted for ``host``."""
    async with engine.connect() as connection:
        found = await connection.execute(
            text("SELECT 1 FROM address_throttle WHERE key = :key"), {"key": address_key(host)}
        )
        return found.first() is not None


async def sign_in_through(url: str, email: str, forwarded: str) -> None:
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post(
            "/auth/token",
            data={"grant_type": "password", "username": email, "password": PASSWORD},
            headers={"X-Forwarded-For": forwarded},
        )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        ((), {"proxy_headers": False, "forwarded_allow_ips": []}),
        (
            ("10.0.0.0/8", "127.0.0.1"),
            {"proxy_headers": True, "forwarded_allow_ips": ["10.0.0.0/8", "127.0.0.1"]},
        ),
    ],
)
def test_serve_passes_the_trusted_proxies_to_uvicorn(
    settings: Settings, trusted: tuple[str, ...], expected: dict[str, Any]
) -> None:
    configured = settings.model_copy(update={"trusted_proxies": trusted})
    assert forwarded_headers(configured) == expected


async def test_x_forwarded_for_from_loopback_is_ignored_without_trusted_proxies(
    settings: Settings, engine: AsyncEngine, office: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given uvicorn's own setting, which would trust everyone, and no CAUSA_TRUSTED_PROXIES
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    assert settings.trusted_proxies == ()
    with uvicorn_on_loopback(settings) as url:
        # when a local process claims to sign in for another address
        await sign_in_through(url, office.lawyer_email, "203.0.113.10")
    # then the sign-in counts for the connecting address
    assert not await counted_for(engine, "203.0.113.10")
    assert await counted_for(engine, "127.0.0.1")


async def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(
    settings: Settings, engine: AsyncEngine, office: Staff
) -> None:
    behind_proxy = settings.model_copy(update={"trusted_proxies": ("127.0.0.1",)})
    with uvicorn_on_loopback(behind_proxy) as url:
        # when the proxy passes on its client's address
        await sign_in_through(url, office.lawyer_email, "203.0.113.11")
    # then the sign-in counts for that client
    assert await counted_for(engine, "203.0.113.11")


def test_trusted_proxies_are_read_as_addresses_and_networks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAUSA_TRUSTED_PROXIES", "10.1.2.3/16, ::1,192.0.2.1")
    assert Settings().trusted_proxies == ("10.1.0.0/16", "::1", "192.0.2.1")
    monkeypatch.setenv("CAUSA_TRUSTED_PROXIES", "*")
    with pytest.raises(ValueError, match="'\\*' is not an IP address or network"):
        Settings()
