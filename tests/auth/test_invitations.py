"""POST /auth/invitations/accept: setting a password from an invitation."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import (
    CLIENT_PASSWORD,
    REVOKE,
    Staff,
    accept,
    create_person,
    grant,
    invite_client,
    new_portal_client,
    sign_in,
    unique_email,
)
from tests.graphql_client import gql

ACCEPT = "/auth/invitations/accept"


async def password_is_set(owner_engine: AsyncEngine, email: str) -> bool:
    async with owner_engine.connect() as connection:
        value = await connection.scalar(
            text("SELECT password_hash IS NOT NULL FROM account WHERE email = :email"),
            {"email": email},
        )
    return bool(value)


def refusal(response: httpx.Response, error: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    description: str = body["error_description"]
    return description


async def test_accepting_sets_the_password_and_answers_the_login_and_office(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    email, invitation = await invite_client(client, office.token)
    token = invitation["token"]
    response = await accept(client, token, CLIENT_PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json() == {"login": email, "office": office.slug}
    assert await password_is_set(owner_engine, email)
    grant_ = await sign_in(client, email, CLIENT_PASSWORD)
    assert grant_["token_type"] == "Bearer"


async def test_an_invitation_works_once(client: httpx.AsyncClient, office: Staff) -> None:
    _, invitation = await invite_client(client, office.token)
    token = invitation["token"]
    assert (await accept(client, token, CLIENT_PASSWORD)).status_code == 200
    description = refusal(await accept(client, token, "another good passphrase 9"), "used_token")
    assert description.startswith("This invitation was already used")


async def test_an_expired_invitation_is_refused_and_sets_nothing(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    # given an invitation whose time has passed
    email, invitation = await invite_client(client, office.token)
    token = invitation["token"]
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE invitation SET expires_at = now() - interval '1 minute' "
                "WHERE account_id = (SELECT id FROM account WHERE email = :email)"
            ),
            {"email": email},
        )
    # when it is accepted, then it is refused and no password is set
    description = refusal(await accept(client, token, CLIENT_PASSWORD), "expired_token")
    assert description.startswith("This invitation expired at ")
    assert description.endswith("ask the office for a new one.")
    assert not await password_is_set(owner_engine, email)


async def test_a_forged_token_of_the_right_shape_is_an_invalid_token(
    client: httpx.AsyncClient, office: Staff
) -> None:
    _, invitation = await invite_client(client, office.token)
    token = invitation["token"]
    office_part = token.partition(".")[0]
    forged = f"{office_part}.{'A' * 43}"
    description = refusal(await accept(client, forged, CLIENT_PASSWORD), "invalid_token")
    assert description == "This invitation link is not valid."


@pytest.mark.parametrize(
    "token", ["", "garbage", f"{uuid.uuid4().hex}.short", f"not-hex.{'A' * 43}", "." * 50]
)
async def test_a_malformed_token_is_refused(client: httpx.AsyncClient, token: str) -> None:
    error = "invalid_request" if token == "" else "invalid_token"
    refusal(await accept(client, token, CLIENT_PASSWORD), error)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short 1", "The password needs at least 10 characters."),
        ("x" * 129, "The password may have at most 128 characters."),
        ("password123", "The password is too easy to guess. This is a very common password."),
        ("aaaaaaaaaaaa", "The password is too easy to guess. Repeats like"),
        ("1234567890", "The password is too easy to guess. This is a top-100 common password."),
        ("abcdefghijkl", 'The password is too easy to guess. Sequences like "abc"'),
    ],
)
async def test_a_weak_password_is_refused_and_leaves_the_invitation_usable(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine, password: str, message: str
) -> None:
    email, invitation = await invite_client(client, office.token)
    token = invitation["token"]
    description = refusal(await accept(client, token, password), "weak_password")
    assert description.startswith(message), description
    assert not await password_is_set(owner_engine, email)
    assert (await accept(client, token, CLIENT_PASSWORD)).status_code == 200


async def test_the_email_itself_is_refused_as_password(
    client: httpx.AsyncClient, office: Staff
) -> None:
    email, invitation = await invite_client(client, office.token)
    token = invitation["token"]
    description = refusal(await accept(client, token, email.upper()), "weak_password")
    assert description == "The password must not be the e-mail address."


async def test_accepting_after_revocation_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token))["id"]
    token = (await grant(client, office.token, person_id, unique_email()))["token"]
    await gql(client, office.token, REVOKE, {"personId": person_id})
    description = refusal(await accept(client, token, CLIENT_PASSWORD), "revoked_token")
    assert description.startswith("This invitation is no longer valid")


async def test_accepting_a_new_invitation_ends_the_sessions_of_the_old_password(
    client: httpx.AsyncClient, office: Staff
) -> None:
    portal = await new_portal_client(client, office)
    token = (await grant(client, office.token, portal.person_id, portal.email))["token"]
    assert (await accept(client, token, "orange kettle mountain 77")).status_code == 200
    await gql(client, portal.token, "{ viewer { role } }", status=401)


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (b"not json", "The body is not valid JSON."),
        (b"[1, 2]", "The body must be a JSON object."),
        (b'{"password": "quiet river lantern 42"}', "'token' is required, as a string."),
        (b'{"token": "x.y", "password": 42}', "'password' is required, as a string."),
    ],
)
async def test_a_malformed_body_is_an_invalid_request(
    client: httpx.AsyncClient, content: bytes, description: str
) -> None:
    response = await client.post(
        ACCEPT, content=content, headers={"Content-Type": "application/json"}
    )
    assert refusal(response, "invalid_request") == description


async def test_a_form_body_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post(ACCEPT, data={"token": "x", "password": "y"})
    refusal(response, "invalid_request")


async def test_an_oversized_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(ACCEPT, json={"token": "x" * 5_000, "password": "y"})
    refusal(response, "invalid_request", status=413)


async def test_the_invitation_page_is_served_without_the_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/invitation")
    assert response.status_code == 200
    assert "Criar sua senha" in response.text
    assert "/static/invitation/invitation.js" in response.text


async def test_an_invitation_is_checked_before_any_password_is_chosen(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    email, invitation = await invite_client(client, office.token)
    token = invitation["token"]

    # usable: said so, and nothing is changed by asking
    for _ in range(2):
        checked = await client.post("/auth/invitations/check", json={"token": token})
        assert checked.status_code == 200
        assert checked.json() == {"status": "usable"}
    assert not await password_is_set(owner_engine, email)

    # used: the page can say so before a password is typed
    assert (await accept(client, token, CLIENT_PASSWORD)).status_code == 200
    used = await client.post("/auth/invitations/check", json={"token": token})
    assert refusal(used, "used_token").startswith("This invitation was already used")

    # bogus, malformed
    bogus = await client.post("/auth/invitations/check", json={"token": "x.y"})
    refusal(bogus, "invalid_token")
    empty = await client.post("/auth/invitations/check", json={})
    assert "'token' is required" in refusal(empty, "invalid_request")


async def test_a_token_that_is_no_text_is_refused_as_invalid(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # JSON can spell a lone surrogate, which no UTF-8 holds
    token = f"{office.office_id.hex}.\\ud800{'a' * 40}"
    body = f'{{"token": "{token}", "password": "{CLIENT_PASSWORD}"}}'.encode()
    for path in ("/auth/invitations/check", "/auth/invitations/accept"):
        sent = await client.post(path, content=body, headers={"Content-Type": "application/json"})
        refusal(sent, "invalid_token")
