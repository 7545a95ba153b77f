"""Test data, made through the same code paths as production."""

from __future__ import annotations

import io
import itertools
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from db import offices
from db.engine import create_engine
from db.session import transaction
from domain.viewer import Role, Viewer
from schema.ids import global_id, read_global_id
from tests.graphql_client import data, gql, upload

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

    @property
    def lawyer_global_id(self) -> str:
        return id_of("StaffMember", self.lawyer_id)

    @property
    def admin_global_id(self) -> str:
        return id_of("StaffMember", self.admin_id)


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

PERSON_FIELDS = "id name kind taxId email phone notes"
CREATE_PERSON = f"""
mutation CreatePerson($input: PersonInput!) {{
  createPerson(input: $input) {{ person {{ {PERSON_FIELDS} }} }}
}}
"""
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
  revokePortalAccess(personId: $personId) {
    access { enabled login grantedAt revokedAt lastLoginAt }
  }
}
"""
CREATE_STAFF_MEMBER = """
mutation CreateStaffMember($input: StaffMemberInput!) {
  createStaffMember(input: $input) {
    token url expiresAt
    staffMember { name email role disabledAt }
    message { id recipient subject status attempts }
  }
}
"""


@dataclass
class PortalClient:
    person_id: str
    email: str
    password: str
    token: str
    refresh_token: str


def key_of(id: str) -> uuid.UUID:
    """The uuid that a global id carries (its row's key)."""
    return uuid.UUID(read_global_id(id, field="id")[1])


def id_of(type_name: str, key: object) -> str:
    """The global id of the ``type_name`` row ``key``, as the API writes it."""
    return str(global_id(type_name, key))


def unique_email(prefix: str = "client") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com.br"


async def create_person(
    client: httpx.AsyncClient, token: str, *, name: str = "Maria Cliente", **fields: Any
) -> dict[str, Any]:
    """A person made by ``token``'s bearer: the node with ``PERSON_FIELDS``. ``fields`` are
    more of PersonInput's, spelt as in GraphQL (``taxId=…``)."""
    body = await gql(client, token, CREATE_PERSON, {"input": {"name": name, **fields}})
    person: dict[str, Any] = data(body)["createPerson"]["person"]
    return person


async def grant(
    client: httpx.AsyncClient, token: str, person_id: str, email: str
) -> dict[str, Any]:
    body = await gql(client, token, GRANT, {"personId": person_id, "email": email})
    invitation: dict[str, Any] = data(body)["grantPortalAccess"]
    return invitation


async def invite_client(
    client: httpx.AsyncClient, token: str, *, name: str = "Maria Cliente", email: str | None = None
) -> tuple[str, dict[str, Any]]:
    """A new person granted portal access by ``token``'s bearer: their login and the answer to
    granting it (the invitation, its e-mail among it)."""
    person_id = (await create_person(client, token, name=name))["id"]
    login = email if email is not None else unique_email("maria.cliente")
    return login, await grant(client, token, person_id, login)


async def create_staff_member(
    client: httpx.AsyncClient,
    token: str,
    *,
    email: str,
    name: str = "Bruno Novo",
    role: str = "LAWYER",
) -> dict[str, Any]:
    """A staff member made by ``token``'s bearer: the answer, with their invitation and its
    e-mail."""
    variables = {"input": {"name": name, "email": email, "role": role}}
    body = await gql(client, token, CREATE_STAFF_MEMBER, variables)
    created: dict[str, Any] = data(body)["createStaffMember"]
    return created


async def accept(client: httpx.AsyncClient, invitation_token: str, password: str) -> httpx.Response:
    return await client.post(
        "/auth/invitations/accept", json={"token": invitation_token, "password": password}
    )


async def new_portal_client(
    client: httpx.AsyncClient, office: Staff, *, name: str = "Maria Cliente"
) -> PortalClient:
    """A person of ``office`` with portal access, password set, signed in."""
    person_id = (await create_person(client, office.token, name=name))["id"]
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


CASE_FIELDS = """
id folder title cnjNumber court courtDivision district instance caseClass subject
filedOn claimValue status phase internalNotes lossRisk feeAgreement
responsibleLawyer { id name }
"""
CREATE_CASE = f"""
mutation CreateCase($input: CaseInput!) {{
  createCase(input: $input) {{ case {{ {CASE_FIELDS} }} }}
}}
"""
ADD_PARTY = """
mutation Party($caseId: ID!, $personId: ID!, $isClient: Boolean!) {
  addCaseParty(caseId: $caseId, personId: $personId, role: PLAINTIFF, isClient: $isClient) {
    caseParty { isClient }
  }
}
"""
ADD_MOVEMENT = """
mutation AddMovement($caseId: ID!, $input: MovementInput!) {
  addMovement(caseId: $caseId, input: $input) {
    movement { id occurredAt description code source createdBy { id name } }
  }
}
"""


@dataclass
class Docket:
    client: PortalClient
    own: str  # the client carries the client tag here
    untagged: str  # the client is a party, not the client
    others: str  # another client's folder


async def create_case(
    client: httpx.AsyncClient, token: str, *, title: str = "Silva x Banco", **fields: Any
) -> dict[str, Any]:
    """A case made by ``token``'s bearer: the node with ``CASE_FIELDS``. ``fields`` are more
    of CaseInput's, spelt as in GraphQL (``cnjNumber=…``)."""
    body = await gql(client, token, CREATE_CASE, {"input": {"title": title, **fields}})
    case: dict[str, Any] = data(body)["createCase"]["case"]
    return case


async def add_party(
    http: httpx.AsyncClient, office: Staff, case_id: str, person_id: str, *, is_client: bool
) -> None:
    variables = {"caseId": case_id, "personId": person_id, "isClient": is_client}
    data(await gql(http, office.token, ADD_PARTY, variables))


def movement(**fields: Any) -> dict[str, Any]:
    """A MovementInput: a court movement unless ``fields`` (spelt as in GraphQL) say otherwise."""
    return {
        "occurredAt": "2024-05-02T14:30:00-03:00",
        "description": "Juntada de petição",
        "source": "COURT",
        **fields,
    }


async def add_movement(
    client: httpx.AsyncClient, token: str, case_id: str, **fields: Any
) -> dict[str, Any]:
    """A movement of a case added by ``token``'s bearer: the node. ``fields`` are the
    MovementInput's that differ from ``movement()``'s."""
    body = await gql(client, token, ADD_MOVEMENT, {"caseId": case_id, "input": movement(**fields)})
    added: dict[str, Any] = data(body)["addMovement"]["movement"]
    return added


def client_viewer(office: Staff, docket: Docket) -> Viewer:
    """The docket's client as a viewer (for work done outside a request)."""
    return Viewer(
        account_id=uuid.uuid4(),
        office_id=office.office_id,
        role=Role.CLIENT,
        email=docket.client.email,
        name="Maria Cliente",
        session_id=uuid.uuid4(),
        person_id=key_of(docket.client.person_id),
    )


async def make_docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    """A client tagged in one folder, a mere party in another, absent from a third."""
    portal = await new_portal_client(client, office)
    someone = (await create_person(client, office.token, name="Outro Cliente"))["id"]
    # notes that a client must never read: a value there makes withholding it visible
    own, untagged, others = [
        (await create_case(client, office.token, title=title, internalNotes="x"))["id"]
        for title in ("Ação de cobrança", "Inventário", "Divórcio")
    ]
    await add_party(client, office, own, portal.person_id, is_client=True)
    await add_party(client, office, own, someone, is_client=False)
    await add_party(client, office, untagged, portal.person_id, is_client=False)
    await add_party(client, office, others, someone, is_client=True)
    await add_movement(client, office.token, own, description="Sentença publicada")
    await add_movement(
        client, office.token, own, description="Reunião com o cliente", source="INTERNAL"
    )
    return Docket(client=portal, own=own, untagged=untagged, others=others)


# --- sample files ---

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def archive(*members: tuple[str, str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as written:
        for name, text in members:
            # ODF keeps its first member, "mimetype", uncompressed
            kept = zipfile.ZIP_STORED if name == "mimetype" else compression
            written.writestr(name, text, compress_type=kept)
    return buffer.getvalue()


def ooxml(part: str) -> bytes:
    return archive(
        ("[Content_Types].xml", "<Types/>"), ("_rels/.rels", "<Relationships/>"), (part, "<x/>")
    )


def odf(media_type: str) -> bytes:
    return archive(
        ("mimetype", media_type),
        ("content.xml", "<office:document-content/>"),
        ("META-INF/manifest.xml", "<manifest:manifest/>"),
    )


JAR = archive(("META-INF/MANIFEST.MF", "Main-Class: Main\n"), ("Main.class", "\xca\xfe"))
PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 300 + b"%%EOF\n"


UPLOAD = """
mutation Upload($caseId: ID!, $file: Upload!, $source: Source!, $title: String) {
  uploadDocument(caseId: $caseId, file: $file, source: $source, title: $title) {
    document { id title fileName contentType sizeBytes sha256 source downloadUrl }
  }
}
"""


async def upload_document(
    client: httpx.AsyncClient,
    token: str,
    case_id: str,
    content: bytes,
    *,
    name: str = "peticao.pdf",
    source: str = "COURT",
    title: str | None = None,
) -> dict[str, Any]:
    """The answer to uploading ``content`` as file ``name`` to a case, by ``token``'s bearer."""
    variables = {"caseId": case_id, "source": source, "title": title}
    return await upload(client, token, UPLOAD, variables, files={"file": (name, content)})


# --- documents that several tests send ---

# the portal's usual read: every folder with its parties, movements and documents
CLIENT_FOLDERS = """
query Folders($first: Int!) {
  cases(first: $first) {
    totalCount
    edges { node {
      folder title cnjNumber court status
      responsibleLawyer { name }
      parties { role isClient person { name } }
      movements(first: 10) { totalCount edges { node { occurredAt description source } } }
      documents(first: 10) { totalCount edges { node { title fileName downloadUrl } } }
    } }
  }
}
"""


def doubling(levels: int) -> str:
    """Fragments each spreading the previous one twice: 2**levels spreads when expanded."""
    fragments = ["fragment F0 on Viewer { email }"] + [
        f"fragment F{n} on Viewer {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, levels + 1)
    ]
    return f"{{ viewer {{ ...F{levels} }} }} " + " ".join(fragments)


def doubling_apart(levels: int) -> str:
    """The same, the second spread in an inline fragment, where execution merges nothing
    that this measure could know of: its cost doubles per level."""
    fragments = ["fragment F0 on Viewer { email }"] + [
        f"fragment F{n} on Viewer {{ ...F{n - 1} ... on Viewer {{ ...F{n - 1} }} }}"
        for n in range(1, levels + 1)
    ]
    return f"{{ viewer {{ ...F{levels} }} }} " + " ".join(fragments)
