"""A case, its parties and the persons they are: the three refer to one another, so they
live together (a Person lists its cases; a case's parties are persons); and a person's
portal activity, which names cases and documents."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from court.explanations import explain
from db import activity as activity_rows
from db import cases as case_rows
from db import documents as document_rows
from db import movements as movement_rows
from domain.errors import Missing
from schema.context import Context
from schema.directives import PRINCIPAL
from schema.enums import CaseStatus, LossRisk, PartyRole, PersonKind, PortalAction, Source
from schema.ids import global_id
from schema.node import Node
from schema.pagination import Connection, connection, window
from schema.permissions import STAFF_ONLY
from schema.portal import PortalAccess, portal_access
from schema.rows import from_row
from schema.staff import StaffMember


async def _staff(info: Info[Context, None], key: uuid.UUID | None) -> StaffMember | None:
    if key is None:
        return None
    row = await info.context.loaders.staff.load(key)
    return None if row is None else from_row(StaffMember, row)


@strawberry.type(description="An event in the life of a case; COURT ones came from the court.")
class Movement(Node):
    key: strawberry.Private[uuid.UUID]
    created_by_id: strawberry.Private[uuid.UUID | None]
    id: strawberry.ID = strawberry.field(directives=PRINCIPAL)
    occurred_at: datetime = strawberry.field(directives=PRINCIPAL)
    description: str = strawberry.field(directives=PRINCIPAL)
    code: int | None = strawberry.field(directives=PRINCIPAL)
    source: Source = strawberry.field(directives=PRINCIPAL)
    created_at: datetime = strawberry.field(permission_classes=STAFF_ONLY)

    @strawberry.field(
        directives=PRINCIPAL,
        description="What the movement means to a lay reader and what usually comes next, "
        "in Portuguese, from its CNJ movement code (court/tpu_movements.json); null for a "
        "code the table does not hold.",
    )
    def explanation(self) -> str | None:
        return explain(self.code, self.description)

    @strawberry.field(permission_classes=STAFF_ONLY)
    async def created_by(self, info: Info[Context, None]) -> StaffMember | None:
        return await _staff(info, self.created_by_id)


@strawberry.type(description="A file of a case; COURT ones came from the court.")
class Document(Node):
    key: strawberry.Private[uuid.UUID]
    uploaded_by_id: strawberry.Private[uuid.UUID | None]
    id: strawberry.ID = strawberry.field(directives=PRINCIPAL)
    title: str = strawberry.field(directives=PRINCIPAL)
    file_name: str = strawberry.field(directives=PRINCIPAL)
    content_type: str = strawberry.field(directives=PRINCIPAL)
    size_bytes: int = strawberry.field(directives=PRINCIPAL)
    filed_on: date | None = strawberry.field(directives=PRINCIPAL)
    source: Source = strawberry.field(directives=PRINCIPAL)
    sha256: str = strawberry.field(permission_classes=STAFF_ONLY)
    created_at: datetime = strawberry.field(permission_classes=STAFF_ONLY)

    @strawberry.field(
        directives=PRINCIPAL,
        description="A short-lived link to the file, for the signed-in viewer only.",
    )
    def download_url(self, info: Info[Context, None]) -> str:
        return info.context.download_url(self.key)

    @strawberry.field(permission_classes=STAFF_ONLY)
    async def uploaded_by(self, info: Info[Context, None]) -> StaffMember | None:
        return await _staff(info, self.uploaded_by_id)


@strawberry.type(description="A task or deadline of the office in a case.")
class Task(Node):
    key: strawberry.Private[uuid.UUID]
    assignee_id: strawberry.Private[uuid.UUID | None]
    id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)
    title: str = strawberry.field(permission_classes=STAFF_ONLY)
    due_on: date | None = strawberry.field(permission_classes=STAFF_ONLY)
    done: bool = strawberry.field(permission_classes=STAFF_ONLY)

    @strawberry.field(permission_classes=STAFF_ONLY)
    async def assignee(self, info: Info[Context, None]) -> StaffMember | None:
        return await _staff(info, self.assignee_id)


@strawberry.type(description="A person's part in a case; isClient is the client tag.")
class CaseParty(Node):
    person: Person = strawberry.field(directives=PRINCIPAL)
    role: PartyRole = strawberry.field(directives=PRINCIPAL)
    is_client: bool = strawberry.field(directives=PRINCIPAL)


@strawberry.type(description="A case folder of the office.")
class Case(Node):
    key: strawberry.Private[uuid.UUID]
    responsible_lawyer_id: strawberry.Private[uuid.UUID | None]
    id: strawberry.ID = strawberry.field(directives=PRINCIPAL)
    folder: str = strawberry.field(directives=PRINCIPAL, description="The office's folder code.")
    title: str = strawberry.field(directives=PRINCIPAL)
    cnj_number: str | None = strawberry.field(
        directives=PRINCIPAL, description="NNNNNNN-DD.AAAA.J.TR.OOOO"
    )
    court: str | None = strawberry.field(directives=PRINCIPAL)
    court_division: str | None = strawberry.field(directives=PRINCIPAL)
    district: str | None = strawberry.field(directives=PRINCIPAL)
    instance: str | None = strawberry.field(directives=PRINCIPAL)
    case_class: str | None = strawberry.field(directives=PRINCIPAL)
    subject: str | None = strawberry.field(directives=PRINCIPAL)
    filed_on: date | None = strawberry.field(directives=PRINCIPAL)
    claim_value: Decimal | None = strawberry.field(directives=PRINCIPAL)
    status: CaseStatus = strawberry.field(directives=PRINCIPAL)
    phase: str | None = strawberry.field(directives=PRINCIPAL)
    internal_notes: str | None = strawberry.field(permission_classes=STAFF_ONLY)
    loss_risk: LossRisk | None = strawberry.field(permission_classes=STAFF_ONLY)
    fee_agreement: str | None = strawberry.field(permission_classes=STAFF_ONLY)
    created_at: datetime = strawberry.field(permission_classes=STAFF_ONLY)
    updated_at: datetime = strawberry.field(permission_classes=STAFF_ONLY)

    @strawberry.field(directives=PRINCIPAL)
    async def responsible_lawyer(self, info: Info[Context, None]) -> StaffMember | None:
        return await _staff(info, self.responsible_lawyer_id)

    @strawberry.field(directives=PRINCIPAL)
    async def parties(self, info: Info[Context, None]) -> list[CaseParty]:
        return [party(row) for row in await info.context.loaders.parties.load(self.key)]

    @strawberry.field(
        directives=PRINCIPAL, description="Newest first. Clients see COURT ones only."
    )
    async def movements(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Movement]:
        found = window(
            first,
            after,
            last,
            before,
            max_size=info.context.page_size,
            order=movement_rows.PAGE_ORDER,
        )
        page = await info.context.loaders.movements.load((self.key, found))
        return connection(page, lambda row: from_row(Movement, row))

    @strawberry.field(
        directives=PRINCIPAL, description="Newest first. Clients see COURT ones only."
    )
    async def documents(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Document]:
        found = window(
            first,
            after,
            last,
            before,
            max_size=info.context.page_size,
            order=document_rows.PAGE_ORDER,
        )
        page = await info.context.loaders.documents.load((self.key, found))
        return connection(page, lambda row: from_row(Document, row))

    @strawberry.field(permission_classes=STAFF_ONLY, description="Open tasks first, by due date.")
    async def tasks(self, info: Info[Context, None]) -> list[Task]:
        return [from_row(Task, row) for row in await info.context.loaders.tasks.load(self.key)]


def party(row: Mapping[Any, Any]) -> CaseParty:
    return CaseParty(
        id=party_id(row["case_id"], row["person_id"]),
        person=from_row(Person, row, prefix="person_"),
        role=row["role"],
        is_client=row["is_client"],
    )


def party_id(case_id: uuid.UUID, person_id: uuid.UUID) -> strawberry.ID:
    return global_id("CaseParty", f"{case_id}:{person_id}")


@strawberry.type(description="A natural (CPF) or legal (CNPJ) person known to the office.")
class Person(Node):
    key: strawberry.Private[uuid.UUID]
    id: strawberry.ID = strawberry.field(directives=PRINCIPAL)
    name: str = strawberry.field(directives=PRINCIPAL)
    kind: PersonKind = strawberry.field(permission_classes=STAFF_ONLY)
    tax_id: str | None = strawberry.field(permission_classes=STAFF_ONLY)
    email: str | None = strawberry.field(permission_classes=STAFF_ONLY)
    phone: str | None = strawberry.field(permission_classes=STAFF_ONLY)
    notes: str | None = strawberry.field(permission_classes=STAFF_ONLY)

    @strawberry.field(permission_classes=STAFF_ONLY)
    async def portal_access(self, info: Info[Context, None]) -> PortalAccess | None:
        return portal_access(await info.context.loaders.portal_access.load(self.key), self.key)

    @strawberry.field(
        permission_classes=STAFF_ONLY, description="The cases this person is a party to."
    )
    async def cases(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Case]:
        found = window(
            first, after, last, before, max_size=info.context.page_size, order=case_rows.PAGE_ORDER
        )
        page = await info.context.loaders.person_cases.load((self.key, found))
        return connection(page, lambda row: from_row(Case, row))

    @strawberry.field(
        permission_classes=STAFF_ONLY,
        description="What this person did in the portal (the access log), newest first.",
    )
    async def portal_activity(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PortalActivity]:
        found = window(
            first,
            after,
            last,
            before,
            max_size=info.context.page_size,
            order=activity_rows.PAGE_ORDER,
        )
        page = await info.context.loaders.activity.load((self.key, found))
        return connection(page, lambda row: from_row(PortalActivity, row))


@strawberry.type(
    description="What a client did in the portal, when, and from where; kept at least "
    "six months (Marco Civil da Internet, art. 15)."
)
class PortalActivity(Node):
    key: strawberry.Private[uuid.UUID]
    case_id: strawberry.Private[uuid.UUID | None]
    document_id: strawberry.Private[uuid.UUID | None]
    id: strawberry.ID = strawberry.field(directives=PRINCIPAL)
    occurred_at: datetime = strawberry.field(directives=PRINCIPAL)
    action: PortalAction = strawberry.field(directives=PRINCIPAL)
    ip_address: str | None = strawberry.field(
        directives=PRINCIPAL, description="The address the request came from."
    )
    user_agent: str | None = strawberry.field(
        directives=PRINCIPAL,
        description="The browser's or app's User-Agent, its first 500 characters.",
    )

    @strawberry.field(
        directives=PRINCIPAL,
        description="The folder listed or read; null for a sign-in or a list, or when the "
        "viewer can no longer see it.",
    )
    async def case(self, info: Info[Context, None]) -> Case | None:
        if self.case_id is None:
            return None
        row = await info.context.loaders.case.load(self.case_id)
        return None if row is None else from_row(Case, row)

    @strawberry.field(
        directives=PRINCIPAL,
        description="The document downloaded; null otherwise, or when the viewer can no "
        "longer see it.",
    )
    async def document(self, info: Info[Context, None]) -> Document | None:
        if self.document_id is None:
            return None
        row = await info.context.loaders.document.load(self.document_id)
        return None if row is None else from_row(Document, row)


# The mutations' payloads: each carries the object it changed, named after it, so that a
# client's cache can update that object without fetching it again.


@strawberry.type(description="The new person.")
class CreatePersonPayload:
    person: Person = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The person, changed.")
class UpdatePersonPayload:
    person: Person = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The new case.")
class CreateCasePayload:
    case: Case = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The case, changed.")
class UpdateCasePayload:
    case: Case = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type
class _OfCase:
    """A payload of a change within a case: the case is read when asked for, so that a
    cache can update its lists (parties, movements, tasks, documents) in the same answer."""

    case_key: strawberry.Private[uuid.UUID]

    @strawberry.field(permission_classes=STAFF_ONLY, description="The case, as the change left it.")
    async def case(self, info: Info[Context, None]) -> Case:
        row = await case_rows.get_case(
            info.context.db, viewer=info.context.viewer, case_id=self.case_key
        )
        if row is None:
            raise Missing("caseId", "No case has that id.")
        return from_row(Case, row)


@strawberry.type(description="The party, new or changed, and its case.")
class AddCasePartyPayload(_OfCase):
    case_party: CaseParty = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The id of the party that is no longer one, and its case.")
class RemoveCasePartyPayload(_OfCase):
    removed_id: strawberry.ID = strawberry.field(
        permission_classes=STAFF_ONLY,
        description="The CaseParty's id; the same when the person was not a party.",
    )


@strawberry.type(description="The new movement, and its case.")
class AddMovementPayload(_OfCase):
    movement: Movement = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The new task, and its case.")
class CreateTaskPayload(_OfCase):
    task: Task = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The new document, and its case.")
class UploadDocumentPayload(_OfCase):
    document: Document = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The movement, changed, and its case.")
class UpdateMovementPayload(_OfCase):
    movement: Movement = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The id of the movement removed, and its case.")
class RemoveMovementPayload(_OfCase):
    removed_id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The document, changed, and its case.")
class UpdateDocumentPayload(_OfCase):
    document: Document = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The id of the document removed, and its case.")
class RemoveDocumentPayload(_OfCase):
    removed_id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The task, changed, and its case.")
class UpdateTaskPayload(_OfCase):
    task: Task = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The task, done, and its case.")
class CompleteTaskPayload(_OfCase):
    task: Task = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The id of the task removed, and its case.")
class RemoveTaskPayload(_OfCase):
    removed_id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The case, archived.")
class ArchiveCasePayload:
    case: Case = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The id of the case removed.")
class RemoveCasePayload:
    removed_id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The id of the person removed.")
class RemovePersonPayload:
    removed_id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)
