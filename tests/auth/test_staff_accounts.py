"""Staff accounts: an office's admins invite lawyers and admins, disable and enable them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import (
    CREATE_STAFF_MEMBER,
    Staff,
    accept,
    create_staff_member,
    id_of,
    new_portal_client,
    sign_in,
)
from tests.graphql_client import data, error, gql, hidden, refusal
from tests.mailbox import Mailbox

STAFF_FIELDS = "id name email role disabledAt"
DISABLE = f"""
mutation Disable($id: ID!) {{ disableStaffMember(id: $id) {{ staffMember {{ {STAFF_FIELDS} }} }} }}
"""
ENABLE = f"""
mutation Enable($id: ID!) {{ enableStaffMember(id: $id) {{ staffMember {{ {STAFF_FIELDS} }} }} }}
"""
STAFF = """
query Staff($includeDisabled: Boolean!) {
  staffMembers(includeDisabled: $includeDisabled) { name role disabledAt }
}
"""
OUTBOX = "{ outbox { totalCount edges { node { id status attempts sentAt } } } }"
VIEWER = "{ viewer { email role } }"
STAFF_PASSWORD = "violet harbour compass 58"
ONLY_ADMINS = {"message": "Only an administrator of the office may do this.", "code": "FORBIDDEN"}
BAD_CREDENTIALS = "The e-mail or the password is incorrect."
BAD_REFRESH = "The refresh token is invalid, expired or revoked."


def invalid_grant(description: str) -> dict[str, str]:
    return {"error": "invalid_grant", "error_description": description}


def new_email() -> str:
    return f"staff-{uuid.uuid4().hex[:10]}@example.com.br"


async def staff_members(
    client: httpx.AsyncClient, office: Staff, *, include_disabled: bool = False
) -> list[dict[str, Any]]:
    body = await gql(client, office.token, STAFF, {"includeDisabled": include_disabled})
    members: list[dict[str, Any]] = data(body)["staffMembers"]
    return members


async def account_id(owner_engine: AsyncEngine, office: Staff, email: str) -> str:
    """The global id of the office's account of ``email``."""
    async with owner_engine.connect() as connection:
        found = await connection.scalar(
            text("SELECT id FROM account WHERE office_id = :office AND email = :email"),
            {"office": office.office_id, "email": email},
        )
    assert found is not None, email
    return id_of("StaffMember", found)


async def test_admin_creates_a_lawyer_who_is_invited_by_email_and_signs_in(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine, mailbox: Mailbox
) -> None:
    # given an office's admin and an e-mail, written in capitals
    email = new_email()
    async with owner_engine.connect() as connection:
        office_name = await connection.scalar(
            text("SELECT name FROM office WHERE id = :id"), {"id": office.office_id}
        )

    # when the admin creates a lawyer with it
    created = await create_staff_member(
        client, office.token, email=email.upper(), name="  Bruno Novo "
    )

    # then the answer is the lawyer, enabled, with a single-use invitation and its e-mail
    assert created["staffMember"] == {
        "name": "Bruno Novo",
        "email": email,
        "role": "LAWYER",
        "disabledAt": None,
    }
    assert created["url"] == f"https://portal.causa.test/invitation#token={created['token']}"
    expires_at = datetime.fromisoformat(created["expiresAt"])
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    message = created["message"]
    assert message["recipient"] == email
    assert message["subject"] == f"Seu acesso à equipe — {office_name}"
    assert (message["status"], message["attempts"]) == ("QUEUED", 0)  # sent after the commit
    # and the outbox shows the e-mail sent, once
    [edge] = data(await gql(client, office.token, OUTBOX))["outbox"]["edges"]
    assert edge["node"]["id"] == message["id"]
    assert (edge["node"]["status"], edge["node"]["attempts"]) == ("SENT", 1)
    assert edge["node"]["sentAt"] is not None
    # and the invitation e-mail reached the SMTP server with the link
    [received] = mailbox.to(email)
    assert received["Subject"].startswith("Seu acesso à equipe")
    body = received.get_content()
    assert "Olá, Bruno Novo." in body
    assert f"Seu login é este e-mail: {email}" in body
    assert created["url"] in body.split()

    # when the lawyer sets a password from the invitation
    accepted = await accept(client, created["token"], STAFF_PASSWORD)

    # then the login is theirs, and they sign in as a lawyer of the office
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"login": email, "office": office.slug}
    signed_in = await sign_in(client, email, STAFF_PASSWORD)
    viewer = data(await gql(client, signed_in["access_token"], VIEWER))
    assert viewer == {"viewer": {"email": email, "role": "LAWYER"}}


async def test_a_lawyer_may_not_create_disable_or_enable_staff(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    # given an office with a disabled lawyer besides its admin and enabled lawyer
    disabled_email = new_email()
    await create_staff_member(client, office.token, email=disabled_email, name="Carla Antiga")
    disabled_id = await account_id(owner_engine, office, disabled_email)
    data(await gql(client, office.token, DISABLE, {"id": disabled_id}))
    before = await staff_members(client, office, include_disabled=True)
    email = new_email()

    # when the lawyer tries to create a staff member, disable the admin, enable the other
    attempts: list[tuple[str, dict[str, Any]]] = [
        (CREATE_STAFF_MEMBER, {"input": {"name": "Intrusa", "email": email, "role": "ADMIN"}}),
        (DISABLE, {"id": office.admin_global_id}),
        (ENABLE, {"id": disabled_id}),
    ]

    # then each is forbidden
    for document, variables in attempts:
        assert await refusal(client, office.lawyer_token, document, variables) == ONLY_ADMINS
    # and nothing changed: no new account, the admin works, the other lawyer stays disabled
    assert await staff_members(client, office, include_disabled=True) == before
    assert data(await gql(client, office.token, VIEWER))["viewer"]["role"] == "ADMIN"
    assert data(await gql(client, office.token, OUTBOX))["outbox"]["totalCount"] == 1


async def test_a_client_account_cannot_be_created_as_staff(
    client: httpx.AsyncClient, office: Staff
) -> None:
    email = new_email()
    variables = {"input": {"name": "Cliente", "email": email, "role": "CLIENT"}}

    assert await refusal(client, office.token, CREATE_STAFF_MEMBER, variables) == {
        "message": "A staff member is an ADMIN or a LAWYER, not CLIENT.",
        "code": "BAD_USER_INPUT",
        "field": "role",
    }
    assert len(await staff_members(client, office)) == 2
    assert data(await gql(client, office.token, OUTBOX))["outbox"]["totalCount"] == 0


@pytest.mark.parametrize("spelling", [str.lower, str.upper, str.title])
async def test_the_email_of_existing_staff_in_any_case_is_refused(
    client: httpx.AsyncClient, office: Staff, spelling: Any
) -> None:
    for existing in (office.email, office.lawyer_email):
        variables = {"input": {"name": "Outro", "email": spelling(existing), "role": "LAWYER"}}

        assert await refusal(client, office.token, CREATE_STAFF_MEMBER, variables) == {
            "message": f"{existing} is already the login of another account.",
            "code": "BAD_USER_INPUT",
            "field": "email",
        }
    assert len(await staff_members(client, office)) == 2
    assert data(await gql(client, office.token, OUTBOX))["outbox"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("name", "email", "field", "message"),
    [
        ("Bruno", "not-an-email", "email", '"not-an-email" is not a valid e-mail address: '),
        ("Bruno", "  ", "email", "email must not be empty"),
        ("   ", "bruno@example.com.br", "name", "name must not be empty"),
    ],
)
async def test_invalid_input_is_refused_naming_the_field(
    client: httpx.AsyncClient, office: Staff, name: str, email: str, field: str, message: str
) -> None:
    variables = {"input": {"name": name, "email": email, "role": "LAWYER"}}

    refused = await refusal(client, office.token, CREATE_STAFF_MEMBER, variables)

    assert refused["message"].startswith(message)
    assert refused == {"message": refused["message"], "code": "BAD_USER_INPUT", "field": field}
    assert len(await staff_members(client, office)) == 2


async def test_disabling_a_lawyer_ends_their_sessions_at_once_and_enabling_lets_them_sign_in(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a lawyer signed in twice: the fixture's session and one more with a refresh token
    session = await sign_in(client, office.lawyer_email)

    # when the admin disables the lawyer
    disabled = data(await gql(client, office.token, DISABLE, {"id": office.lawyer_global_id}))

    # then the answer shows the account disabled
    member = disabled["disableStaffMember"]["staffMember"]
    assert member["id"] == office.lawyer_global_id
    assert (member["email"], member["role"]) == (office.lawyer_email, "LAWYER")
    assert member["disabledAt"] is not None
    # and disabling again changes nothing, not even the moment
    again = data(await gql(client, office.token, DISABLE, {"id": office.lawyer_global_id}))
    assert again["disableStaffMember"]["staffMember"] == member
    # and both access tokens are refused on the very next request
    for access_token in (office.lawyer_token, session["access_token"]):
        response = await gql(client, access_token, VIEWER, status=401)
        assert error(response)["extensions"] == {"code": "UNAUTHENTICATED"}
    # and the refresh token is spent, and signing in fails as for a wrong password
    refreshed = await client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": session["refresh_token"]},
    )
    assert (refreshed.status_code, refreshed.json()) == (400, invalid_grant(BAD_REFRESH))
    form = {"grant_type": "password", "username": office.lawyer_email, "password": office.password}
    signing_in = await client.post("/auth/token", data=form)
    assert (signing_in.status_code, signing_in.json()) == (400, invalid_grant(BAD_CREDENTIALS))

    # when the admin enables the lawyer again
    enabled = data(await gql(client, office.token, ENABLE, {"id": office.lawyer_global_id}))

    # then the account is enabled and signs in with its password
    assert enabled["enableStaffMember"]["staffMember"] == {**member, "disabledAt": None}
    signed_in = await sign_in(client, office.lawyer_email)
    viewer = data(await gql(client, signed_in["access_token"], VIEWER))
    assert viewer == {"viewer": {"email": office.lawyer_email, "role": "LAWYER"}}
    # and the sessions ended by disabling stay ended
    await gql(client, office.lawyer_token, VIEWER, status=401)


async def test_disabling_an_invited_lawyer_withdraws_the_invitation(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    # given a lawyer who has not yet used their invitation
    email = new_email()
    created = await create_staff_member(client, office.token, email=email)

    # when the admin disables them
    data(
        await gql(
            client, office.token, DISABLE, {"id": await account_id(owner_engine, office, email)}
        )
    )

    # then the invitation no longer sets a password
    accepted = await accept(client, created["token"], STAFF_PASSWORD)
    assert accepted.status_code == 400
    assert accepted.json()["error"] == "revoked_token"


async def test_an_admin_cannot_disable_themself(client: httpx.AsyncClient, office: Staff) -> None:
    assert await refusal(client, office.token, DISABLE, {"id": office.admin_global_id}) == {
        "message": "You cannot disable your own account.",
        "code": "BAD_USER_INPUT",
        "field": "id",
    }
    assert data(await gql(client, office.token, VIEWER))["viewer"]["role"] == "ADMIN"


@pytest.mark.parametrize("document", [DISABLE, ENABLE], ids=["disable", "enable"])
async def test_a_staff_id_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff, document: str
) -> None:
    target = other_office.lawyer_global_id

    assert await refusal(client, office.token, document, {"id": target}) == {
        "message": "No staff member of this office has that id.",
        "code": "NOT_FOUND",
        "field": "id",
    }
    viewer = data(await gql(client, other_office.lawyer_token, VIEWER))
    assert viewer == {"viewer": {"email": other_office.lawyer_email, "role": "LAWYER"}}


async def test_a_client_account_is_not_a_staff_member_to_disable(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    portal_client = await new_portal_client(client, office)
    target = await account_id(owner_engine, office, portal_client.email)

    assert (await refusal(client, office.token, DISABLE, {"id": target}))["code"] == "NOT_FOUND"
    assert data(await gql(client, portal_client.token, VIEWER))["viewer"]["role"] == "CLIENT"


async def test_a_malformed_staff_id_is_bad_input(client: httpx.AsyncClient, office: Staff) -> None:
    assert await refusal(client, office.token, DISABLE, {"id": "nope"}) == {
        "message": "id is not an id given by this API: 'nope'.",
        "code": "BAD_USER_INPUT",
        "field": "id",
    }


async def test_staff_members_lists_the_enabled_staff_by_name_and_on_request_the_disabled(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    # given an office with a client, a new lawyer, and its first lawyer disabled
    await new_portal_client(client, office)
    await create_staff_member(client, office.token, email=new_email(), name="Bruno Novo")
    await gql(client, office.token, DISABLE, {"id": office.lawyer_global_id})

    # when staff list the staff, with and without the disabled
    enabled = await staff_members(client, office)
    everyone = await staff_members(client, office, include_disabled=True)

    # then the enabled staff come by name, and the disabled one only on request
    assert enabled == [
        {"name": "Ana Admin", "role": "ADMIN", "disabledAt": None},
        {"name": "Bruno Novo", "role": "LAWYER", "disabledAt": None},
    ]
    assert [(m["name"], m["disabledAt"] is None) for m in everyone] == [
        ("Ana Admin", True),
        ("Bruno Novo", True),
        ("Luís Lawyer", False),
    ]


async def test_clients_may_not_list_or_create_staff(
    client: httpx.AsyncClient, office: Staff
) -> None:
    portal_client = await new_portal_client(client, office)
    variables = {"input": {"name": "Intruso", "email": new_email(), "role": "ADMIN"}}

    assert await hidden(client, portal_client.token, STAFF, {"includeDisabled": True}) == [
        "Cannot query field 'staffMembers' on type 'Query'."
    ]
    assert "The mutation operation is not supported by the schema." in await hidden(
        client, portal_client.token, CREATE_STAFF_MEMBER, variables
    )


# --- invitations of existing staff, and who may read them ---------------------------------------

INVITE = """
mutation Invite($id: ID!) {
  inviteStaffMember(id: $id) { token staffMember { email } message { id } }
}
"""
SEND = "mutation Send($id: ID!) { sendOutboxMessage(id: $id) { message { id status } } }"
OUTBOX_IDS = "{ outbox { edges { node { id } } } }"


async def test_a_lawyer_never_sees_nor_sends_a_staff_invitation(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given an admin's invitation of a new admin, whose link sets an admin's password
    created = await create_staff_member(
        client, office.token, email=new_email(), name="Nova Admin", role="ADMIN"
    )
    message_id = created["message"]["id"]

    # then a lawyer finds it neither in the outbox nor by its id; the admin does
    lawyer_view = data(await gql(client, office.lawyer_token, OUTBOX_IDS))["outbox"]["edges"]
    assert message_id not in [edge["node"]["id"] for edge in lawyer_view]
    assert (await refusal(client, office.lawyer_token, SEND, {"id": message_id}))[
        "code"
    ] == "NOT_FOUND"
    admin_view = data(await gql(client, office.token, OUTBOX_IDS))["outbox"]["edges"]
    assert message_id in [edge["node"]["id"] for edge in admin_view]


async def test_a_staff_member_disabled_before_accepting_can_be_invited_again(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    # given a lawyer disabled, then enabled, before using the invitation
    email = new_email()
    first = await create_staff_member(client, office.token, email=email)
    member_id = await account_id(owner_engine, office, email)
    await gql(client, office.token, DISABLE, {"id": member_id})
    await gql(client, office.token, ENABLE, {"id": member_id})
    assert (await accept(client, first["token"], STAFF_PASSWORD)).json()["error"] == (
        "revoked_token"
    )

    # when the admin invites them again, then the new invitation lets them in
    invited = data(await gql(client, office.token, INVITE, {"id": member_id}))
    assert invited["inviteStaffMember"]["staffMember"] == {"email": email}
    token = invited["inviteStaffMember"]["token"]
    assert (await accept(client, token, STAFF_PASSWORD)).status_code == 200
    await sign_in(client, email, STAFF_PASSWORD)


async def test_inviting_again_resets_a_forgotten_password_and_ends_the_sessions(
    client: httpx.AsyncClient, office: Staff
) -> None:
    invited = data(await gql(client, office.token, INVITE, {"id": office.lawyer_global_id}))
    token = invited["inviteStaffMember"]["token"]
    assert (await accept(client, token, STAFF_PASSWORD)).status_code == 200
    await gql(client, office.lawyer_token, VIEWER, status=401)
    await sign_in(client, office.lawyer_email, STAFF_PASSWORD)


async def test_inviting_is_for_admins_and_enabled_staff_of_the_office(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    lawyer_id = office.lawyer_global_id
    assert await refusal(client, office.lawyer_token, INVITE, {"id": lawyer_id}) == ONLY_ADMINS
    other = await refusal(client, office.token, INVITE, {"id": other_office.lawyer_global_id})
    assert (other["code"], other["field"]) == ("NOT_FOUND", "id")
    await gql(client, office.token, DISABLE, {"id": lawyer_id})
    disabled = await refusal(client, office.token, INVITE, {"id": lawyer_id})
    assert disabled == {
        "message": "The account is disabled: enable it before inviting it.",
        "code": "BAD_USER_INPUT",
        "field": "id",
    }
