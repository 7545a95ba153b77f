"""Failed sign-ins are slowed, then refused for a while: per e-mail and per address."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.throttle import Key
from settings import Settings
from tests.conftest import _Served, http_client
from tests.factories import PASSWORD, Staff, sign_in, unique_email

BAD_CREDENTIALS = {
    "error": "invalid_grant",
    "error_description": "The e-mail or the password is incorrect.",
}


async def attempt(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )


def too_many(response: httpx.Response, seconds: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == str(seconds)
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "error": "too_many_attempts",
        "error_description": f"Too many failed sign-ins: try again in {seconds} seconds.",
    }


async def fail(client: httpx.AsyncClient, email: str, times: int) -> None:
    for _ in range(times):
        response = await attempt(client, email, "not the password at all")
        assert response.status_code == 400, response.text
        assert response.json() == BAD_CREDENTIALS


async def end_lock(engine: AsyncEngine, email: str) -> None:
    """As if the lock on ``email`` had run out."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE login_throttle SET locked_until = now() - interval '1 second' "
                "WHERE key = :key"
            ),
            {"key": Key.of("email", email, threshold=1).digest},
        )


async def test_the_fifth_failure_locks_the_account_even_against_its_password(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given five failed sign-ins for one e-mail
    assert settings.login_failures_per_account == 5
    await fail(client, office.email, 5)

    # when its owner signs in with the right password, then it is refused for a while
    too_many(await attempt(client, office.email, PASSWORD), 2)


async def test_an_unknown_email_is_throttled_exactly_like_a_known_one(
    client: httpx.AsyncClient, office: Staff
) -> None:
    known: list[tuple[int, Any]] = []
    unknown: list[tuple[int, Any]] = []
    for email, answers in ((office.lawyer_email, known), (unique_email("nobody"), unknown)):
        for _ in range(6):
            response = await attempt(client, email, "not the password at all")
            answers.append((response.status_code, response.json()))
    assert known == unknown
    assert [status for status, _ in known] == [400] * 5 + [429]


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
        too_many(await attempt(client, office.email, PASSWORD), seconds)


async def test_the_lock_never_exceeds_the_configured_maximum(
    client: httpx.AsyncClient, office: Staff, engine: AsyncEngine, settings: Settings
) -> None:
    # given an e-mail with a very long history of failures
    await fail(client, office.email, 5)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE login_throttle SET failures = 5000, locked_until = NULL WHERE key = :key"),
            {"key": Key.of("email", office.email, threshold=1).digest},
        )
    # when it fails once more, then the lock is the maximum
    await fail(client, office.email, 1)
    too_many(await attempt(client, office.email, PASSWORD), settings.login_lockout_max)


async def test_many_failures_from_one_address_lock_that_address_only(
    client: httpx.AsyncClient, served: _Served, office: Staff, settings: Settings
) -> None:
    # given failures from one address, each for a different e-mail
    for _ in range(settings.login_failures_per_address):
        await fail(client, unique_email("guess"), 1)

    # then that address is refused, even for a real account
    too_many(await attempt(client, office.email, PASSWORD), 2)
    # while the same account signs in from another address
    async with http_client(served) as elsewhere:
        await sign_in(elsewhere, office.email)


async def test_the_throttle_keeps_no_email_in_clear(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    email = unique_email("typed-by-mistake")
    await fail(client, email, 1)
    async with engine.connect() as connection:
        keys = (await connection.execute(text("SELECT key FROM login_throttle"))).scalars().all()
    assert Key.of("email", email, threshold=1).digest in keys
    assert all(len(key) == 32 and email.encode() not in key for key in keys)
