"""Granting and revoking portal access, from the person's record."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mail.letters import WITHHELD_LINK
from tests.factories import (
    CLIENT_PASSWORD,
    GRANT,
    REVOKE,
    Staff,
    accept,
    create_person,
    grant,
    key_of,
    new_portal_client,
    sign_in,
    unique_email,
)
from tests.graphql_client import data, error, gql, hidden, refused
from tests.mailbox import Mailbox

PORTAL_ACCESS = """
query Access($id: ID!) {
  person(id: $id) { portalAccess { enabled login grantedAt revokedAt lastLoginAt } }
}
"""
NEVER_GRANTED = {
    "enabled": False,
    "login": None,
    "grantedAt": None,
    "revokedAt": None,
    "lastLoginAt": None,
}


async def portal_access(
    client: httpx.AsyncClient, office: Staff, person_id: str
) -> dict[str, object]:
    body = await gql(client, office.token, PORTAL_ACCESS, {"id": person_id})
    access: dict[str, object] = data(body)["person"]["portalAccess"]
    return access


async def invitation_states(owner_engine: AsyncEngine, person_id: str) -> list[tuple[bool, bool]]:
    """(used, revoked) of each invitation of the person's client account, oldest first."""
    async with owner_engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT i.used_at IS NOT NULL, i.revoked_at IS NOT NULL FROM invitation i "
                "JOIN account a ON a.office_id = i.office_id AND a.id = i.account_id "
                "WHERE a.person_id = :person ORDER BY i.created_at"
            ),
            {"person": key_of(person_id)},
        )
        return [(row[0], row[1]) for row in rows]


async def test_a_person_never_granted_has_access_disabled_and_no_login(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token))["id"]
    assert await portal_access(client, office, person_id) == NEVER_GRANTED


async def test_grant_enables_access_with_the_email_as_login_and_returns_the_invitation(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    # given a person
    person_id = (await create_person(client, office.token, name="João Santos"))["id"]
    email = unique_email()

    # when a lawyer grants access with a mixed-case e-mail
    invitation = await grant(
        client,
        office.lawyer_token,
        person_id,
        email.upper().replace("@EXAMPLE.COM.BR", "@Example.com.br"),
    )

    # then the login is the e-mail in lower case, and the invitation is single-use and expiring
    assert invitation["access"]["enabled"] is True
    assert invitation["access"]["login"] == email
    assert invitation["access"]["grantedAt"] is not None
    assert invitation["access"]["revokedAt"] is None
    assert invitation["access"]["lastLoginAt"] is None
    assert invitation["url"] == f"https://portal.causa.test/invitation#token={invitation['token']}"
    assert invitation["message"]["recipient"] == email
    assert invitation["message"]["status"] == "QUEUED"  # sent once the mutation has committed
    # and the outbox keeps the e-mail without its link: only the recipient gets that
    assert invitation["token"] not in invitation["message"]["body"]
    assert WITHHELD_LINK in invitation["message"]["body"]
    # and the e-mail was sent after the commit
    [message] = mailbox.to(email)
    assert invitation["url"] in message.get_content()
    # and the person's record shows the access
    assert await portal_access(client, office, person_id) == invitation["access"]


async def test_invitation_expires_after_seven_days_by_default(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token))["id"]
    invitation = await grant(client, office.token, person_id, unique_email())
    expires_at = datetime.fromisoformat(invitation["expiresAt"])
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)


async def test_granting_again_reissues_the_invitation_and_the_old_one_stops_working(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    # given a granted person whose invitation was not used
    person_id = (await create_person(client, office.token))["id"]
    email = unique_email()
    first = await grant(client, office.token, person_id, email)

    # when staff grant again
    second = await grant(client, office.token, person_id, email)

    # then the first invitation is refused and the second works
    assert second["token"] != first["token"]
    assert await invitation_states(owner_engine, person_id) == [(False, True), (False, False)]
    old = await accept(client, first["token"], CLIENT_PASSWORD)
    assert old.status_code == 400
    assert old.json()["error"] == "revoked_token"
    assert (await accept(client, second["token"], CLIENT_PASSWORD)).status_code == 200


async def test_granting_again_with_the_same_login_keeps_the_client_signed_in(
    client: httpx.AsyncClient, office: Staff
) -> None:
    portal = await new_portal_client(client, office)
    await grant(client, office.token, portal.person_id, portal.email)
    assert (
        data(await gql(client, portal.token, "{ viewer { role } }"))["viewer"]["role"] == "CLIENT"
    )
    await sign_in(client, portal.email, portal.password)


async def test_granting_with_a_new_login_ends_the_old_password_and_sessions(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a signed-in client
    portal = await new_portal_client(client, office)
    new_email = unique_email()

    # when staff change the login
    invitation = await grant(client, office.token, portal.person_id, new_email)

    # then the old session and the old login are gone; the new login works once accepted
    await gql(client, portal.token, "{ viewer { role } }", status=401)
    for email in (portal.email, new_email):
        response = await client.post(
            "/auth/token",
            data={"grant_type": "password", "username": email, "password": portal.password},
        )
        assert response.status_code == 400
    assert (await accept(client, invitation["token"], CLIENT_PASSWORD)).status_code == 200
    await sign_in(client, new_email, CLIENT_PASSWORD)


async def test_sign_in_records_the_last_login(client: httpx.AsyncClient, office: Staff) -> None:
    portal = await new_portal_client(client, office)
    access = await portal_access(client, office, portal.person_id)
    assert access["lastLoginAt"] is not None


async def test_revoke_disables_access_and_keeps_the_login_on_record(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    # given a client with a pending invitation as well as a session
    portal = await new_portal_client(client, office)
    await grant(client, office.token, portal.person_id, portal.email)

    # when staff revoke
    body = await gql(client, office.token, REVOKE, {"personId": portal.person_id})

    # then access is disabled, the revocation time is shown, every invitation is dead
    access = data(body)["revokePortalAccess"]["access"]
    assert access["enabled"] is False
    assert access["login"] == portal.email
    assert access["revokedAt"] is not None
    assert await portal_access(client, office, portal.person_id) == access
    assert [
        revoked or used for used, revoked in await invitation_states(owner_engine, portal.person_id)
    ] == [True, True]
    # and the client's session and password are gone
    await gql(client, portal.token, "{ viewer { role } }", status=401)


async def test_revoking_a_person_never_granted_answers_access_disabled(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token))["id"]
    body = await gql(client, office.token, REVOKE, {"personId": person_id})
    assert data(body)["revokePortalAccess"]["access"] == NEVER_GRANTED


async def test_revoking_twice_keeps_the_first_revocation_time(
    client: httpx.AsyncClient, office: Staff
) -> None:
    portal = await new_portal_client(client, office)
    first = data(await gql(client, office.token, REVOKE, {"personId": portal.person_id}))
    second = data(await gql(client, office.token, REVOKE, {"personId": portal.person_id}))
    assert second == first


# --- bad input ---------------------------------------------------------------------------------


async def test_grant_with_an_invalid_email_is_refused_and_grants_nothing(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token))["id"]
    extensions = await refused(
        client, office.token, GRANT, {"personId": person_id, "email": "maria@@example"}
    )
    assert extensions == {"code": "BAD_USER_INPUT", "field": "email"}
    assert await portal_access(client, office, person_id) == NEVER_GRANTED


async def test_grant_with_the_login_of_another_person_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a client whose login is taken
    portal = await new_portal_client(client, office)
    other = (await create_person(client, office.token, name="Outra Pessoa"))["id"]

    # when staff grant another person the same login, in other case
    body = await gql(
        client, office.token, GRANT, {"personId": other, "email": portal.email.upper()}
    )

    # then it is refused, naming the field, and nothing changes for either
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}
    assert error(body)["message"] == f"{portal.email} is already the login of another account."
    assert await portal_access(client, office, other) == NEVER_GRANTED
    assert (
        data(await gql(client, portal.token, "{ viewer { role } }"))["viewer"]["role"] == "CLIENT"
    )


async def test_grant_with_a_staff_login_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token))["id"]
    extensions = await refused(
        client, office.token, GRANT, {"personId": person_id, "email": office.lawyer_email}
    )
    assert extensions == {"code": "BAD_USER_INPUT", "field": "email"}


async def test_the_same_login_may_serve_persons_of_two_offices(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    portal = await new_portal_client(client, office)
    person_id = (await create_person(client, other_office.token))["id"]
    invitation = await grant(client, other_office.token, person_id, portal.email)
    assert invitation["access"]["login"] == portal.email


async def test_grant_to_a_person_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    person_id = (await create_person(client, other_office.token))["id"]
    extensions = await refused(
        client, office.token, GRANT, {"personId": person_id, "email": unique_email()}
    )
    assert extensions == {"code": "NOT_FOUND", "field": "personId"}


async def test_revoke_of_a_person_of_another_office_is_not_found_and_changes_nothing(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    portal = await new_portal_client(client, other_office)
    extensions = await refused(client, office.token, REVOKE, {"personId": portal.person_id})
    assert extensions == {"code": "NOT_FOUND", "field": "personId"}
    assert (
        data(await gql(client, portal.token, "{ viewer { role } }"))["viewer"]["role"] == "CLIENT"
    )


async def test_grant_with_a_malformed_person_id_is_bad_input(
    client: httpx.AsyncClient, office: Staff
) -> None:
    extensions = await refused(
        client, office.token, GRANT, {"personId": "not-an-id", "email": unique_email()}
    )
    assert extensions == {"code": "BAD_USER_INPUT", "field": "personId"}


async def test_a_client_may_not_grant_or_revoke(client: httpx.AsyncClient, office: Staff) -> None:
    portal = await new_portal_client(client, office)
    other = (await create_person(client, office.token))["id"]
    for document, variables in (
        (GRANT, {"personId": other, "email": unique_email()}),
        (REVOKE, {"personId": portal.person_id}),
    ):
        assert "The mutation operation is not supported by the schema." in await hidden(
            client, portal.token, document, variables
        )
    assert await portal_access(client, office, other) == NEVER_GRANTED


async def test_a_client_refresh_token_used_twice_ends_the_client_session(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a signed-in client who refreshed once
    portal = await new_portal_client(client, office)
    form = {"grant_type": "refresh_token", "refresh_token": portal.refresh_token}
    rotated = await client.post("/auth/token", data=form)
    assert rotated.status_code == 200, rotated.text
    fresh_access = rotated.json()["access_token"]

    # when the spent refresh token comes back (it was copied)
    reused = await client.post("/auth/token", data=form)

    # then it is refused and the whole session ends, new tokens included
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    await gql(client, fresh_access, "{ viewer { role } }", status=401)
    again = {"grant_type": "refresh_token", "refresh_token": rotated.json()["refresh_token"]}
    assert (await client.post("/auth/token", data=again)).status_code == 400


async def test_grants_of_one_person_at_once_all_succeed_and_leave_one_account(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token, name="Cliente Concorrente"))["id"]
    email = unique_email("concorrente")

    invitations = await asyncio.gather(
        *(grant(client, office.token, person_id, email) for _ in range(8))
    )

    assert {invitation["access"]["login"] for invitation in invitations} == {email}
    live = [invitation for invitation in invitations if invitation["token"]]
    accepted = [await accept(client, invitation["token"], CLIENT_PASSWORD) for invitation in live]
    assert [response.status_code for response in accepted].count(200) == 1  # the last one
