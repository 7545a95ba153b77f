"""The OAuth 2.0 token endpoint (RFC 6749 §5) and token revocation (RFC 7009)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db import offices
from db.session import transaction
from db.throttle import email_key
from domain.viewer import Role
from settings import Settings
from tests.factories import PASSWORD, Staff, sign_in
from tests.graphql_client import data, error, gql

VIEWER = "{ viewer { email role } }"

BAD_CREDENTIALS = {
    "error": "invalid_grant",
    "error_description": "The e-mail or the password is incorrect.",
}
BAD_REFRESH = {
    "error": "invalid_grant",
    "error_description": "The refresh token is invalid, expired or revoked.",
}
SESSION_ENDED = {
    "errors": [
        {
            "message": "The session has ended; sign in again.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ]
}


async def post_token(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post("/auth/token", data=form)


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await post_token(client, grant_type="refresh_token", refresh_token=refresh_token)


async def revoke(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/auth/revoke", data={"token": token})


async def assert_session_ended(client: httpx.AsyncClient, access_token: str) -> None:
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {access_token}"}
    )
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer realm="causa", error="invalid_token"'
    assert response.json() == SESSION_ENDED


def assert_no_store(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


# --- password grant -------------------------------------------------------------------------


async def test_password_grant_issues_a_bearer_token_that_works_on_graphql(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given an admin of an office
    # when they sign in with e-mail and password
    response = await post_token(
        client, grant_type="password", username=office.email, password=office.password
    )

    # then the grant is a non-cacheable Bearer token with a refresh token
    assert response.status_code == 200, response.text
    assert_no_store(response)
    body: dict[str, Any] = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl
    assert body["refresh_token"].startswith(f"{office.office_id.hex}.")
    # and the access token identifies them on /graphql
    viewer = data(await gql(client, body["access_token"], VIEWER))
    assert viewer == {"viewer": {"email": office.email, "role": "ADMIN"}}


async def test_email_is_case_insensitive_at_sign_in(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given an account whose e-mail is stored in lower case
    # when it signs in with the e-mail in upper case
    grant = await sign_in(client, office.email.upper(), office.password)

    # then it is the same account
    viewer = data(await gql(client, grant["access_token"], VIEWER))
    assert viewer == {"viewer": {"email": office.email, "role": "ADMIN"}}


async def test_wrong_password_and_unknown_email_answer_identically(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given an existing account and an e-mail that has none
    # when one signs in with a wrong password and the other with any password
    wrong_password = await post_token(
        client, grant_type="password", username=office.email, password="not the password"
    )
    unknown_email = await post_token(
        client, grant_type="password", username="nobody@example.com", password=PASSWORD
    )

    # then both get the same invalid_grant, telling nothing about which part was wrong
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert wrong_password.json() == unknown_email.json() == BAD_CREDENTIALS
    assert_no_store(wrong_password)
    assert_no_store(unknown_email)


async def test_missing_username_is_an_invalid_request_naming_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await post_token(client, grant_type="password", password=office.password)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The parameter 'username' is required.",
    }


async def test_missing_password_is_an_invalid_request_naming_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await post_token(client, grant_type="password", username=office.email)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The parameter 'password' is required.",
    }


async def test_empty_password_is_an_invalid_request_naming_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await post_token(client, grant_type="password", username=office.email, password="")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The parameter 'password' is required.",
    }


async def test_missing_grant_type_is_an_invalid_request_naming_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await post_token(client, username=office.email, password=office.password)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The parameter 'grant_type' is required.",
    }


async def test_unsupported_grant_type_is_rejected(client: httpx.AsyncClient, office: Staff) -> None:
    response = await post_token(
        client, grant_type="client_credentials", username=office.email, password=office.password
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "unsupported_grant_type",
        "error_description": "Use grant_type=authorization_code, refresh_token or password.",
    }
    assert_no_store(response)


async def test_json_body_instead_of_form_is_an_invalid_request(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await client.post(
        "/auth/token",
        json={"grant_type": "password", "username": office.email, "password": office.password},
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "Send the parameters as application/x-www-form-urlencoded.",
    }


def invalid_request(response: httpx.Response, description: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"error": "invalid_request", "error_description": description}
    assert_no_store(response)


async def post_raw(
    client: httpx.AsyncClient, body: bytes, path: str = "/auth/token"
) -> httpx.Response:
    return await client.post(
        path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )


async def test_a_control_character_in_any_parameter_is_an_invalid_request_naming_it(
    client: httpx.AsyncClient, office: Staff, engine: AsyncEngine
) -> None:
    # given sign-ins whose username, password or office holds a NUL, a newline or an escape
    cases = {
        "username": f"username=a%00b%40example.com&password={PASSWORD}",
        "password": f"username={office.email}&password=correct%1Bhorse",
        "office": f"username={office.email}&password={PASSWORD}&office=x%0Ay",
    }
    for name, form in cases.items():
        response = await post_raw(client, f"grant_type=password&{form}".encode())
        # then each is refused, naming the parameter, before anything is counted
        invalid_request(response, f"The parameter {name!r} contains a control character.")
    async with engine.connect() as connection:
        counted = await connection.scalar(
            text("SELECT count(*) FROM login_throttle WHERE key = :key"),
            {"key": email_key(office.email)},
        )
    assert counted == 0
    # and the same for a refresh token and for revocation
    response = await post_raw(client, b"grant_type=refresh_token&refresh_token=a%00b")
    invalid_request(response, "The parameter 'refresh_token' contains a control character.")
    response = await post_raw(client, b"token=a%00b", "/auth/revoke")
    invalid_request(response, "The parameter 'token' contains a control character.")


async def test_a_form_that_is_not_utf8_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    for body in (b"grant_type=password&username=%FF%FE&password=x", b"grant_type=password\xff"):
        invalid_request(await post_raw(client, body), "The form is not valid UTF-8.")


async def test_a_huge_form_is_refused_unread(client: httpx.AsyncClient) -> None:
    body = b"grant_type=password&username=a%40b.c&password=" + b"x" * 20_000
    invalid_request(await post_raw(client, body), "The form may have at most 16384 bytes.", 413)


async def test_a_form_of_many_parameters_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    body = "&".join(f"p{n}=1" for n in range(21)).encode()
    invalid_request(await post_raw(client, body), "The form may have at most 20 parameters.")


async def test_a_repeated_parameter_is_an_invalid_request(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # RFC 6749 §3.2: parameters MUST NOT be included more than once
    body = f"grant_type=password&username={office.email}&password=x&password={PASSWORD}"
    invalid_request(await post_raw(client, body.encode()), "The parameter 'password' is repeated.")


# --- one e-mail in two offices ----------------------------------------------------------------


async def test_email_in_two_offices_needs_the_office_parameter(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, other_office: Staff
) -> None:
    # given the same e-mail and password in two offices
    async with transaction(engine) as db:
        await offices.create_account(
            db,
            office_id=other_office.office_id,
            email=office.email,
            name="Ana Again",
            role=Role.LAWYER,
            password=office.password,
        )

    # when it signs in without naming the office
    ambiguous = await post_token(
        client, grant_type="password", username=office.email, password=office.password
    )

    # then it is asked for the office
    assert ambiguous.status_code == 400
    assert ambiguous.json() == {
        "error": "invalid_request",
        "error_description": "This e-mail signs in to several offices: add the office parameter.",
    }

    # and naming either office signs in to that office's account
    in_other = await sign_in(client, office.email, office.password, office=other_office.slug)
    viewer = data(await gql(client, in_other["access_token"], VIEWER))
    assert viewer == {"viewer": {"email": office.email, "role": "LAWYER"}}
    assert in_other["refresh_token"].startswith(f"{other_office.office_id.hex}.")

    in_first = await sign_in(client, office.email, office.password, office=office.slug)
    viewer = data(await gql(client, in_first["access_token"], VIEWER))
    assert viewer == {"viewer": {"email": office.email, "role": "ADMIN"}}


# --- refresh grant ----------------------------------------------------------------------------


async def test_refresh_grant_rotates_the_refresh_token(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given a signed-in admin
    # when they spend their refresh token
    response = await refresh(client, office.refresh_token)

    # then they get a new access token and a different refresh token
    assert response.status_code == 200, response.text
    assert_no_store(response)
    grant = response.json()
    assert set(grant) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] == settings.access_token_ttl
    assert grant["refresh_token"] != office.refresh_token
    # and both the old and the new access token work: the session is the same
    expected = {"viewer": {"email": office.email, "role": "ADMIN"}}
    assert data(await gql(client, office.token, VIEWER)) == expected
    assert data(await gql(client, grant["access_token"], VIEWER)) == expected
    # and the new refresh token can be spent in turn
    again = await refresh(client, grant["refresh_token"])
    assert again.status_code == 200, again.text


async def test_reusing_a_spent_refresh_token_revokes_the_whole_session(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a session whose refresh token was rotated twice
    first = (await refresh(client, office.refresh_token)).json()
    newest = (await refresh(client, first["refresh_token"])).json()

    # when the original, already spent, refresh token is presented again
    reused = await refresh(client, office.refresh_token)

    # then it is refused
    assert reused.status_code == 400
    assert reused.json() == BAD_REFRESH
    # and the newest refresh token of the session is refused too
    latest = await refresh(client, newest["refresh_token"])
    assert latest.status_code == 400
    assert latest.json() == BAD_REFRESH
    # and every access token of the session is rejected on the next request
    for access_token in (office.token, first["access_token"], newest["access_token"]):
        await assert_session_ended(client, access_token)


async def test_reuse_revokes_only_that_session(client: httpx.AsyncClient, office: Staff) -> None:
    # given the admin's session and the lawyer's session of the same office
    await refresh(client, office.refresh_token)

    # when the admin's spent refresh token is reused
    reused = await refresh(client, office.refresh_token)

    # then only the admin's session ends
    assert reused.status_code == 400
    await assert_session_ended(client, office.token)
    viewer = data(await gql(client, office.lawyer_token, VIEWER))
    assert viewer == {"viewer": {"email": office.lawyer_email, "role": "LAWYER"}}


async def test_garbage_refresh_token_is_an_invalid_grant(client: httpx.AsyncClient) -> None:
    for garbage in ("garbage", "0" * 32 + "." + "x" * 43, "not-hex.secret-long-enough-" + "x" * 32):
        response = await refresh(client, garbage)

        assert response.status_code == 400, garbage
        assert response.json() == BAD_REFRESH


async def test_missing_refresh_token_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    response = await post_token(client, grant_type="refresh_token")

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The parameter 'refresh_token' is required.",
    }


# --- revocation (RFC 7009) --------------------------------------------------------------------


async def test_revoking_the_refresh_token_ends_the_session(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a signed-in admin
    # when their refresh token is revoked
    response = await revoke(client, office.refresh_token)

    # then the revocation succeeds with no body
    assert response.status_code == 200
    assert response.content == b""
    assert_no_store(response)
    # and the access token of that session is rejected on the next request
    await assert_session_ended(client, office.token)
    # and the refresh token cannot be spent any more
    spent = await refresh(client, office.refresh_token)
    assert spent.status_code == 400
    assert spent.json() == BAD_REFRESH


async def test_revoking_the_access_token_ends_the_session(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a signed-in admin
    # when their access token is revoked
    response = await revoke(client, office.token)

    # then the session ends: the access token and the refresh token are both refused
    assert response.status_code == 200
    assert response.content == b""
    await assert_session_ended(client, office.token)
    spent = await refresh(client, office.refresh_token)
    assert spent.status_code == 400
    assert spent.json() == BAD_REFRESH
    # and the other sessions of the office are untouched
    viewer = data(await gql(client, office.lawyer_token, VIEWER))
    assert viewer == {"viewer": {"email": office.lawyer_email, "role": "LAWYER"}}


async def test_revoking_a_garbage_token_answers_200(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # RFC 7009 §2.2: an invalid token is not an error of the revocation request
    for garbage in ("garbage", "a.b.c", office.office_id.hex + "." + "x" * 43):
        response = await revoke(client, garbage)

        assert response.status_code == 200, garbage
        assert response.content == b""

    # and the real session is untouched
    viewer = data(await gql(client, office.token, VIEWER))
    assert viewer == {"viewer": {"email": office.email, "role": "ADMIN"}}


async def test_revoke_without_token_is_an_invalid_request(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/revoke", data={"token_type_hint": "refresh_token"})

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The parameter 'token' is required.",
    }


# --- disabled accounts ------------------------------------------------------------------------


async def test_disabled_account_cannot_sign_in_and_loses_its_session(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, office: Staff
) -> None:
    # given a signed-in lawyer
    assert data(await gql(client, office.lawyer_token, VIEWER))["viewer"]["role"] == "LAWYER"

    # when the account is disabled
    async with owner_engine.begin() as connection:
        await connection.execute(
            text("UPDATE account SET disabled_at = now() WHERE office_id = :office AND id = :id"),
            {"office": office.office_id, "id": office.lawyer_id},
        )

    # then signing in answers exactly as for a wrong password
    response = await post_token(
        client, grant_type="password", username=office.lawyer_email, password=office.password
    )
    assert response.status_code == 400
    assert response.json() == BAD_CREDENTIALS
    # and the existing access token is rejected on the very next request
    body = await gql(client, office.lawyer_token, VIEWER, status=401)
    assert error(body) == SESSION_ENDED["errors"][0]
