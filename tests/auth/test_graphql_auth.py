"""Who may call /graphql: Bearer access tokens, checked on every request."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import replace

import httpx

from auth.tokens import AccessClaims, Signer
from settings import Settings
from tests.factories import Staff
from tests.graphql_client import data, gql

VIEWER = "{ viewer { email role } }"

NO_TOKEN = {
    "errors": [
        {
            "message": "Sign in: send Authorization: Bearer <access token>.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}
INVALID_TOKEN = {
    "errors": [
        {
            "message": "The access token is invalid or expired.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}
SESSION_ENDED = {
    "errors": [
        {
            "message": "The session has ended; sign in again.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}
INVALID_TOKEN_CHALLENGE = 'Bearer realm="causa", error="invalid_token"'


async def post_graphql(
    client: httpx.AsyncClient, authorization: str | None = None
) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return await client.post("/graphql", json={"query": VIEWER}, headers=headers)


def claims_of(settings: Settings, token: str) -> AccessClaims:
    return Signer(
        settings.signing_key,
        settings.access_token_ttl,
        issuer=settings.base_url,
        audience=settings.audience,
    ).read(token)


def b64url(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == INVALID_TOKEN_CHALLENGE
    assert response.json() == INVALID_TOKEN


async def test_the_office_token_itself_is_accepted(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # the control for the rejections below
    response = await post_graphql(client, f"Bearer {office.token}")

    assert response.status_code == 200
    assert data(response.json()) == {"viewer": {"email": office.email, "role": "ADMIN"}}


async def test_no_authorization_header_is_unauthenticated(client: httpx.AsyncClient) -> None:
    response = await post_graphql(client)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["www-authenticate"] == 'Bearer realm="causa"'
    assert response.json() == NO_TOKEN


async def test_basic_scheme_is_unauthenticated(client: httpx.AsyncClient) -> None:
    response = await post_graphql(client, "Basic xyz")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="causa"'
    assert response.json() == NO_TOKEN


async def test_bearer_without_token_is_unauthenticated(client: httpx.AsyncClient) -> None:
    response = await post_graphql(client, "Bearer ")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="causa"'
    assert response.json() == NO_TOKEN


async def test_tampered_signature_is_an_invalid_token(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given the admin's token with one character of the signature changed; a middle one,
    # since the last character of an unpadded base64url signature carries padding bits
    header, payload, signature = office.token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    tampered = f"{header}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"

    # when it is sent
    response = await post_graphql(client, f"Bearer {tampered}")

    # then it is rejected as an invalid token
    assert_invalid_token(response)


async def test_tampered_payload_is_an_invalid_token(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    # given the admin's token whose payload is swapped for another office's admin
    header, _, signature = office.token.split(".")
    _, other_payload, _ = other_office.token.split(".")

    response = await post_graphql(client, f"Bearer {header}.{other_payload}.{signature}")

    assert_invalid_token(response)


async def test_token_signed_with_another_key_is_an_invalid_token(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given the real claims of a live session signed with a key that is not the app's
    forged = Signer(b"x" * 48, 900, issuer=settings.base_url, audience=settings.audience).issue(
        claims_of(settings, office.token)
    )

    response = await post_graphql(client, f"Bearer {forged}")

    assert_invalid_token(response)


async def test_alg_none_token_is_an_invalid_token(client: httpx.AsyncClient, office: Staff) -> None:
    # given the real payload under an unsigned header
    _, payload, _ = office.token.split(".")
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())

    response = await post_graphql(client, f"Bearer {header}.{payload}.")

    assert_invalid_token(response)


async def test_expired_token_is_an_invalid_token(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given valid claims of a live session, signed with the app's key, expired a minute ago
    expired = Signer(
        settings.signing_key, ttl=-60, issuer=settings.base_url, audience=settings.audience
    ).issue(claims_of(settings, office.token))

    response = await post_graphql(client, f"Bearer {expired}")

    assert_invalid_token(response)


async def test_a_token_checked_before_is_refused_once_it_expires(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given a token of a live session that expires in a second (past the 5 s of leeway),
    # accepted once, so that its check is kept
    short = Signer(
        settings.signing_key, ttl=-4, issuer=settings.base_url, audience=settings.audience
    ).issue(claims_of(settings, office.token))
    assert (await post_graphql(client, f"Bearer {short}")).status_code == 200

    # when it is sent again after it expired
    await asyncio.sleep(1.5)
    response = await post_graphql(client, f"Bearer {short}")

    # then it is refused, as a token never seen before would be
    assert_invalid_token(response)


async def test_well_signed_token_of_an_unknown_session_is_rejected(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given a correctly signed token whose session id was never issued
    claims = replace(claims_of(settings, office.token), session_id=uuid.uuid4())
    token = Signer(
        settings.signing_key,
        settings.access_token_ttl,
        issuer=settings.base_url,
        audience=settings.audience,
    ).issue(claims)

    response = await post_graphql(client, f"Bearer {token}")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == INVALID_TOKEN_CHALLENGE
    assert response.json() == SESSION_ENDED


async def test_session_of_one_account_does_not_serve_another(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given a correctly signed token naming the lawyer with the admin's session
    claims = replace(claims_of(settings, office.token), account_id=office.lawyer_id)
    token = Signer(
        settings.signing_key,
        settings.access_token_ttl,
        issuer=settings.base_url,
        audience=settings.audience,
    ).issue(claims)

    body = await gql(client, token, VIEWER, status=401)

    assert body == SESSION_ENDED


async def test_get_with_html_accept_serves_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_get_without_html_accept_is_method_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "application/json"})

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {
        "errors": [
            {
                "message": "Send GraphQL operations with POST. GraphiQL, to explore the "
                "API, is this address opened in a browser (a GET that accepts text/html).",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }


async def test_healthz_is_ok_and_counts_the_reads_of_each_path(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert set(response.json()["reads"]) == {"compiled", "cached", "executor"}


async def test_readyz_is_ready_with_the_database_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
