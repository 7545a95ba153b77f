"""Test data, made through the same code paths as production."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from db import offices
from db.engine import create_engine
from db.session import transaction
from domain.viewer import Role

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


@dataclass
class Staff:
    slug: str
    office_id: uuid.UUID
    email: str
    password: str
    token: str
    refresh_token: str
    lawyer_email: str
    lawyer_token: str
    lawyer_id: uuid.UUID
    admin_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str
) -> dict[str, Any]:
    response = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": email, "password": password, **extra},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str


async def _office_with_staff(engine: AsyncEngine) -> tuple[RowMapping, RowMapping, RowMapping]:
    """A new office, its admin and its lawyer."""
    n = f"{next(_numbers)}-{uuid.uuid4().hex[:8]}"
    async with transaction(engine) as db:
        office = await offices.ensure_office(db, name=f"Escritório {n}")
        admin, lawyer = [
            await offices.create_account(
                db,
                office_id=office["id"],
                email=f"{kind}-{n}@example.com",
                name=name,
                role=role,
                password=PASSWORD,
            )
            for kind, name, role in (
                ("admin", "Ana Admin", Role.ADMIN),
                ("lawyer", "Luís Lawyer", Role.LAWYER),
            )
        ]
    return office, admin, lawyer


async def new_admin(database_url: str) -> Credentials:
    """An office's admin, made on an engine of the calling event loop."""
    engine = create_engine(database_url, pool_size=1)
    try:
        _, admin, _ = await _office_with_staff(engine)
    finally:
        await engine.dispose()
    return Credentials(email=admin["email"], password=PASSWORD)


async def new_office(client: httpx.AsyncClient, engine: AsyncEngine) -> Staff:
    """A new office with its admin and lawyer, both signed in."""
    office, admin, lawyer = await _office_with_staff(engine)
    admin_grant = await sign_in(client, admin["email"])
    lawyer_grant = await sign_in(client, lawyer["email"])
    return Staff(
        slug=office["slug"],
        office_id=office["id"],
        email=admin["email"],
        password=PASSWORD,
        token=admin_grant["access_token"],
        refresh_token=admin_grant["refresh_token"],
        lawyer_email=lawyer["email"],
        lawyer_token=lawyer_grant["access_token"],
        lawyer_id=lawyer["id"],
        admin_id=admin["id"],
    )


async def gql(
    client: httpx.AsyncClient,
    token: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def data(body: dict[str, Any]) -> dict[str, Any]:
    """The data of an answer that must have no errors."""
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def error(body: dict[str, Any]) -> dict[str, Any]:
    """The single error of an answer."""
    assert len(body.get("errors") or []) == 1, body
    result: dict[str, Any] = body["errors"][0]
    return result


async def refusal(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The message and extensions of the single error of an operation that left no data."""
    body = await gql(client, token, document, variables)
    assert body["data"] is None, body
    refused = error(body)
    return {"message": refused["message"], **refused["extensions"]}


async def hidden(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any] | None = None
) -> list[str]:
    """The messages of an operation that fails validation: it names what does not exist."""
    body = await gql(client, token, document, variables)
    assert body["data"] is None, body
    assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
    return [e["message"] for e in body["errors"]]


async def refused(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The extensions of the single error of a refused operation that left no data."""
    body = await gql(client, token, document, variables)
    assert body["data"] is None, body
    extensions: dict[str, Any] = error(body)["extensions"]
    return extensions


@dataclass
class StatementCounter:
    statements: list[str] = field(default_factory=list)

    def record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


CLIENT_PASSWORD = "quiet river lantern 42"

CREATE_PERSON = "mutation New($input: PersonInput!) { createPerson(input: $input) { id } }"
GRANT = """
mutation Grant($personId: ID!, $email: String!) {
  grantPortalAccess(personId: $personId, email: $email) {
    token url expiresAt
    access { enabled login grantedAt revokedAt lastLoginAt }
    message { id recipient subject body status attempts lastError }
  }
}
"""
REVOKE = """
mutation Revoke($personId: ID!) {
  revokePortalAccess(personId: $personId) { enabled login grantedAt revokedAt lastLoginAt }
}
"""


@dataclass
class PortalClient:
    person_id: str
    email: str
    password: str
    token: str
    refresh_token: str


def unique_email(prefix: str = "client") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com.br"


async def create_person(client: httpx.AsyncClient, token: str, name: str = "Maria Cliente") -> str:
    body = await gql(client, token, CREATE_PERSON, {"input": {"name": name}})
    person_id: str = data(body)["createPerson"]["id"]
    return person_id


async def grant(
    client: httpx.AsyncClient, token: str, person_id: str, email: str
) -> dict[str, Any]:
    body = await gql(client, token, GRANT, {"personId": person_id, "email": email})
    invitation: dict[str, Any] = data(body)["grantPortalAccess"]
    return invitation


async def accept(client: httpx.AsyncClient, invitation_token: str, password: str) -> httpx.Response:
    return await client.post(
        "/auth/invitations/accept", json={"token": invitation_token, "password": password}
    )


async def new_portal_client(
    client: httpx.AsyncClient, office: Staff, *, name: str = "Maria Cliente"
) -> PortalClient:
    """A person of ``office`` with portal access, password set, signed in."""
    person_id = await create_person(client, office.token, name)
    email = unique_email()
    invitation = await grant(client, office.token, person_id, email)
    accepted = await accept(client, invitation["token"], CLIENT_PASSWORD)
    assert accepted.status_code == 200, accepted.text
    signed_in = await sign_in(client, email, CLIENT_PASSWORD)
    return PortalClient(
        person_id=person_id,
        email=email,
        password=CLIENT_PASSWORD,
        token=signed_in["access_token"],
        refresh_token=signed_in["refresh_token"],
    )


NEW_CASE = "mutation Case($input: CaseInput!) { createCase(input: $input) { id } }"
ADD_PARTY = """
mutation Party($caseId: ID!, $personId: ID!, $isClient: Boolean!) {
  addCaseParty(caseId: $caseId, personId: $personId, role: PLAINTIFF, isClient: $isClient) {
    isClient
  }
}
"""
ADD_MOVEMENT = """
mutation Movement($caseId: ID!, $input: MovementInput!) {
  addMovement(caseId: $caseId, input: $input) { id }
}
"""


@dataclass
class Docket:
    client: PortalClient
    own: str  # the client carries the client tag here
    untagged: str  # the client is a party, not the client
    others: str  # another client's folder


async def new_case(http: httpx.AsyncClient, office: Staff, title: str, **fields: Any) -> str:
    """A case of ``office``; ``fields`` are more of CaseInput's (``cnjNumber=…``)."""
    case = {"title": title, "internalNotes": "x", **fields}
    body = await gql(http, office.token, NEW_CASE, {"input": case})
    case_id: str = data(body)["createCase"]["id"]
    return case_id


async def add_party(
    http: httpx.AsyncClient, office: Staff, case_id: str, person_id: str, *, is_client: bool
) -> None:
    variables = {"caseId": case_id, "personId": person_id, "isClient": is_client}
    data(await gql(http, office.token, ADD_PARTY, variables))


async def add_movement(
    http: httpx.AsyncClient, office: Staff, case_id: str, description: str, source: str
) -> None:
    movement = {
        "occurredAt": "2024-05-02T10:00:00-03:00",
        "description": description,
        "source": source,
    }
    data(await gql(http, office.token, ADD_MOVEMENT, {"caseId": case_id, "input": movement}))


async def make_docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    """A client tagged in one folder, a mere party in another, absent from a third."""
    portal = await new_portal_client(client, office)
    someone = await create_person(client, office.token, "Outro Cliente")
    own = await new_case(client, office, "Ação de cobrança")
    untagged = await new_case(client, office, "Inventário")
    others = await new_case(client, office, "Divórcio")
    await add_party(client, office, own, portal.person_id, is_client=True)
    await add_party(client, office, own, someone, is_client=False)
    await add_party(client, office, untagged, portal.person_id, is_client=False)
    await add_party(client, office, others, someone, is_client=True)
    await add_movement(client, office, own, "Sentença publicada", "COURT")
    await add_movement(client, office, own, "Reunião com o cliente", "INTERNAL")
    return Docket(client=portal, own=own, untagged=untagged, others=others)
