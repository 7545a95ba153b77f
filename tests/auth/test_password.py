"""An account's own password: POST /auth/password (changed while signed in) and the
forgotten-password flow (POST /auth/password-reset, its e-mailed link, the link's page)."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from settings import Settings
from tests.factories import (
    CLIENT_PASSWORD,
    Staff,
    accept,
    new_portal_client,
    sign_in,
    unique_email,
)
from tests.mailbox import Mailbox

CHANGE = "/auth/password"
RESET = "/auth/password-reset"
NEW_PASSWORD = "amber tide compass 73"
VIEWER = "{ viewer { email } }"
RESET_SUBJECT = "Criar uma nova senha — "
LINK = re.compile(r"https://portal\.causa\.test/password-reset#token=([\w.-]+)")


async def change(
    client: httpx.AsyncClient, token: str | None, current: str, new: str
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.post(CHANGE, json={"current": current, "new": new}, headers=headers)


async def try_sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )


async def ask_reset(client: httpx.AsyncClient, login: str, **extra: str) -> httpx.Response:
    return await client.post(RESET, json={"login": login, **extra})


def refusal(response: httpx.Response, error: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    description: str = body["error_description"]
    return description


def resets_to(mailbox: Mailbox, email: str, *, count: int = 1, wait: float) -> list[EmailMessage]:
    """The reset e-mails received for ``email``, waiting up to ``wait`` seconds for ``count``."""
    deadline = time.monotonic() + wait
    while True:
        found = [m for m in mailbox.to(email) if m["Subject"].startswith(RESET_SUBJECT)]
        if len(found) >= count or time.monotonic() >= deadline:
            return found
        time.sleep(0.02)


def reset_token(mailbox: Mailbox, email: str, *, count: int = 1) -> str:
    """The token in the link of the ``count``-th reset e-mail to ``email``."""
    messages = resets_to(mailbox, email, count=count, wait=10)
    assert len(messages) == count, [m["Subject"] for m in messages]
    message = messages[count - 1]
    body = message.get_content()
    assert f"Seu login é este e-mail: {email}" in body
    assert "pode ser usado uma única vez" in body
    found = LINK.search(body)
    assert found is not None, body
    return found.group(1)


async def is_live(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- changing the password while signed in --------------------------------------------


async def test_a_change_replaces_the_password_ends_the_other_sessions_and_keeps_this_one(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a client signed in twice: on this device and on another
    portal = await new_portal_client(client, office)
    other = await sign_in(client, portal.email, CLIENT_PASSWORD)
    # when this session changes the password
    response = await change(client, portal.token, CLIENT_PASSWORD, NEW_PASSWORD)
    # then it is done, this session goes on and the other one has ended
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    assert await is_live(client, portal.token)
    assert not await is_live(client, other["access_token"])
    refreshed = await client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": other["refresh_token"]}
    )
    refusal(refreshed, "invalid_grant")
    # and only the new password signs in
    refusal(await try_sign_in(client, portal.email, CLIENT_PASSWORD), "invalid_grant")
    assert (await try_sign_in(client, portal.email, NEW_PASSWORD)).status_code == 200


async def test_staff_change_their_password_the_same_way(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await change(client, office.lawyer_token, office.password, NEW_PASSWORD)
    assert response.status_code == 204, response.text
    assert (await try_sign_in(client, office.lawyer_email, NEW_PASSWORD)).status_code == 200
    refusal(await try_sign_in(client, office.lawyer_email, office.password), "invalid_grant")


async def test_a_wrong_current_password_is_refused_and_counts_toward_the_lock(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    portal = await new_portal_client(client, office)
    for _ in range(settings.login_failures_per_account):
        description = refusal(
            await change(client, portal.token, "not my password 123", NEW_PASSWORD),
            "invalid_grant",
        )
        assert description == "The current password is incorrect."
    # then the login is locked for sign-in and for changes alike, the password unchanged
    locked = await try_sign_in(client, portal.email, CLIENT_PASSWORD)
    assert refusal(locked, "too_many_attempts", 429).startswith("Too many failed sign-ins")
    assert int(locked.headers["retry-after"]) >= 1
    refusal(
        await change(client, portal.token, CLIENT_PASSWORD, NEW_PASSWORD), "too_many_attempts", 429
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short 1", "The password needs at least 10 characters."),
        ("password123", "The password is too easy to guess. This is a very common password."),
        ("x" * 129, "The password may have at most 128 characters."),
    ],
)
async def test_a_weak_new_password_is_refused_with_the_reason(
    client: httpx.AsyncClient, office: Staff, new: str, message: str
) -> None:
    portal = await new_portal_client(client, office)
    description = refusal(await change(client, portal.token, CLIENT_PASSWORD, new), "weak_password")
    assert description.startswith(message)
    assert (await try_sign_in(client, portal.email, CLIENT_PASSWORD)).status_code == 200


async def test_the_e_mail_itself_is_too_weak(client: httpx.AsyncClient, office: Staff) -> None:
    portal = await new_portal_client(client, office)
    response = await change(client, portal.token, CLIENT_PASSWORD, portal.email)
    assert refusal(response, "weak_password") == "The password must not be the e-mail address."


async def test_without_a_token_or_with_a_bad_one_the_answer_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, office: Staff
) -> None:
    missing = await change(client, None, office.password, NEW_PASSWORD)
    refusal(missing, "invalid_request", 401)
    assert missing.headers["www-authenticate"] == 'Bearer realm="causa"'
    bad = await change(client, "not.a.token", office.password, NEW_PASSWORD)
    assert refusal(bad, "invalid_token", 401) == "The access token is invalid or expired."
    assert bad.headers["www-authenticate"] == 'Bearer realm="causa", error="invalid_token"'


async def test_an_ended_session_cannot_change_the_password(
    client: httpx.AsyncClient, office: Staff
) -> None:
    portal = await new_portal_client(client, office)
    await client.post("/auth/revoke", data={"token": portal.token})
    response = await change(client, portal.token, CLIENT_PASSWORD, NEW_PASSWORD)
    assert refusal(response, "invalid_token", 401) == "The session has ended; sign in again."
    assert (await try_sign_in(client, portal.email, CLIENT_PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    ("content", "body", "description"),
    [
        ("text/plain", b"{}", "Send a JSON object with current and new."),
        ("application/json", b"{", "The body is not valid JSON."),
        ("application/json", b"[]", "The body must be a JSON object."),
        ("application/json", b'{"current": "x"}', "'new' is required, as a string."),
        ("application/json", b'{"current": 1, "new": "y"}', "'current' is required, as a string."),
    ],
)
async def test_a_malformed_body_is_an_invalid_request(
    client: httpx.AsyncClient, office: Staff, content: str, body: bytes, description: str
) -> None:
    headers = {**bearer(office.lawyer_token), "Content-Type": content}
    response = await client.post(CHANGE, content=body, headers=headers)
    assert refusal(response, "invalid_request") == description


# --- a forgotten password ---------------------------------------------------------------


async def test_a_reset_answers_the_same_whether_or_not_the_login_exists(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    portal = await new_portal_client(client, office)
    unknown = unique_email("nobody")
    known_answer = await ask_reset(client, portal.email)
    unknown_answer = await ask_reset(client, unknown)
    for answer in (known_answer, unknown_answer):
        assert answer.status_code == 202, answer.text
        assert answer.headers["cache-control"] == "no-store"
    assert known_answer.content == unknown_answer.content
    assert known_answer.json() == {
        "detail": "If this login names an account, a link to set a new password was e-mailed to it."
    }
    assert reset_token(mailbox, portal.email)
    assert resets_to(mailbox, unknown, wait=0.5) == []


async def test_the_link_sets_a_password_once_and_ends_every_session(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    # given a signed-in client who asks for a reset
    portal = await new_portal_client(client, office)
    assert (await ask_reset(client, portal.email)).status_code == 202
    token = reset_token(mailbox, portal.email)
    # when the link sets a new password
    accepted = await accept(client, token, NEW_PASSWORD)
    # then the login signs in with it, and every session before it has ended
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"login": portal.email, "office": office.slug}
    assert not await is_live(client, portal.token)
    refusal(await try_sign_in(client, portal.email, CLIENT_PASSWORD), "invalid_grant")
    assert (await try_sign_in(client, portal.email, NEW_PASSWORD)).status_code == 200
    # and the link works once
    again = await accept(client, token, "yet another passphrase 55")
    assert refusal(again, "used_token").startswith("This invitation was already used")


async def test_an_expired_link_is_refused(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox, owner_engine: AsyncEngine
) -> None:
    portal = await new_portal_client(client, office)
    await ask_reset(client, portal.email)
    token = reset_token(mailbox, portal.email)
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE invitation SET expires_at = now() - interval '1 minute' "
                "WHERE account_id = (SELECT id FROM account WHERE email = :email)"
            ),
            {"email": portal.email},
        )
    refusal(await accept(client, token, NEW_PASSWORD), "expired_token")
    assert await is_live(client, portal.token)
    assert (await try_sign_in(client, portal.email, CLIENT_PASSWORD)).status_code == 200


async def test_a_link_lasts_the_configured_time(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox, owner_engine: AsyncEngine
) -> None:
    portal = await new_portal_client(client, office)
    await ask_reset(client, portal.email)
    reset_token(mailbox, portal.email)
    async with owner_engine.connect() as connection:
        seconds = await connection.scalar(
            text(
                "SELECT extract(epoch FROM i.expires_at - i.created_at) FROM invitation i "
                "JOIN account a ON a.office_id = i.office_id AND a.id = i.account_id "
                "WHERE a.email = :email AND i.used_at IS NULL AND i.revoked_at IS NULL"
            ),
            {"email": portal.email},
        )
    assert abs(float(seconds) - 3600) < 5


async def test_a_newer_link_or_a_changed_password_ends_the_link_before(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    portal = await new_portal_client(client, office)
    await ask_reset(client, portal.email)
    first = reset_token(mailbox, portal.email)
    await ask_reset(client, portal.email)
    second = reset_token(mailbox, portal.email, count=2)
    refusal(await accept(client, first, NEW_PASSWORD), "revoked_token")
    assert (await change(client, portal.token, CLIENT_PASSWORD, NEW_PASSWORD)).status_code == 204
    refusal(await accept(client, second, "yet another passphrase 55"), "revoked_token")


async def test_a_revoked_client_gets_no_link(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox, owner_engine: AsyncEngine
) -> None:
    portal = await new_portal_client(client, office)
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE account SET disabled_at = now() WHERE email = :email"),
            {"email": portal.email},
        )
    assert (await ask_reset(client, portal.email)).status_code == 202
    assert resets_to(mailbox, portal.email, wait=0.5) == []


async def test_the_outbox_keeps_the_reset_e_mail_without_its_link(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox, owner_engine: AsyncEngine
) -> None:
    portal = await new_portal_client(client, office)
    await ask_reset(client, portal.email)
    token = reset_token(mailbox, portal.email)
    async with owner_engine.connect() as connection:
        body = await connection.scalar(
            text(
                "SELECT body FROM outbox_message WHERE recipient = :email "
                "AND subject LIKE 'Criar uma nova senha%'"
            ),
            {"email": portal.email},
        )
    assert token not in body
    assert "[link de uso único: enviado somente ao destinatário]" in body


async def test_a_burst_of_resets_for_one_login_is_stopped(
    client: httpx.AsyncClient, office: Staff, settings: Settings, mailbox: Mailbox
) -> None:
    portal = await new_portal_client(client, office)
    for _ in range(settings.password_resets_per_login):
        assert (await ask_reset(client, portal.email)).status_code == 202
    stopped = await ask_reset(client, portal.email)
    description = refusal(stopped, "too_many_attempts", 429)
    assert description.startswith("Too many password resets: try again in ")
    assert int(stopped.headers["retry-after"]) >= 1
    # and the login still signs in: resets are counted apart from sign-in
    assert (await try_sign_in(client, portal.email, CLIENT_PASSWORD)).status_code == 200


async def test_a_burst_of_resets_from_one_address_is_stopped(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for _ in range(settings.password_resets_per_address):
        assert (await ask_reset(client, unique_email("spray"))).status_code == 202
    refusal(await ask_reset(client, unique_email("spray")), "too_many_attempts", 429)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"login": ""},
        {"login": 5},
        {"login": "a@b.test", "office": 3},
        {"login": "a\x00@b.test"},
    ],
)
async def test_a_malformed_reset_request_is_an_invalid_request(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    refusal(await client.post(RESET, json=body), "invalid_request")


async def test_the_reset_page_is_served_in_portuguese(client: httpx.AsyncClient) -> None:
    response = await client.get("/password-reset")
    assert response.status_code == 200
    assert '<html lang="pt-BR">' in response.text
    assert "Criar uma nova senha" in response.text
