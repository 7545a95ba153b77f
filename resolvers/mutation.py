"""Mutation: staff only; each field is one savepoint, whole or nothing."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from db import cases, movements, persons, tasks
from db.inputs import (
    CaseCreate,
    CaseUpdate,
    MovementCreate,
    PersonCreate,
    PersonUpdate,
    TaskCreate,
)
from resolvers.access import AccessMutation
from resolvers.corrections import CorrectionMutation
from resolvers.court import CourtMutation
from resolvers.documents import DocumentMutation
from resolvers.oauth import OAuthMutation
from schema.case import (
    AddCasePartyPayload,
    AddMovementPayload,
    Case,
    CreateCasePayload,
    CreatePersonPayload,
    CreateTaskPayload,
    Movement,
    Person,
    RemoveCasePartyPayload,
    Task,
    UpdateCasePayload,
    UpdatePersonPayload,
    party,
    party_id,
)
from schema.context import Context
from schema.enums import PartyRole
from schema.ids import parse_id
from schema.inputs import (
    CaseInput,
    CaseUpdateInput,
    MovementInput,
    PersonInput,
    PersonUpdateInput,
    TaskInput,
    written,
)
from schema.permissions import STAFF_ONLY
from schema.rows import from_row


@strawberry.type
class Mutation(AccessMutation, CorrectionMutation, CourtMutation, DocumentMutation, OAuthMutation):
    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def create_person(
        self, info: Info[Context, None], input: PersonInput
    ) -> CreatePersonPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await persons.create_person(db, viewer=viewer, person=written(input, PersonCreate))
        return CreatePersonPayload(person=from_row(Person, row))

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def update_person(
        self, info: Info[Context, None], id: strawberry.ID, input: PersonUpdateInput
    ) -> UpdatePersonPayload:
        db, viewer = info.context.db, info.context.viewer
        row = await persons.update_person(
            db,
            viewer=viewer,
            person_id=parse_id(id, field="id", type_name="Person"),
            changes=written(input, PersonUpdate),
        )
        return UpdatePersonPayload(person=from_row(Person, row))

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def create_case(self, info: Info[Context, None], input: CaseInput) -> CreateCasePayload:
        db, viewer = info.context.db, info.context.viewer
        row = await cases.create_case(db, viewer=viewer, case=written(input, CaseCreate))
        return CreateCasePayload(case=from_row(Case, row))

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def update_case(
        self, info: Info[Context, None], id: strawberry.ID, input: CaseUpdateInput
    ) -> UpdateCasePayload:
        db, viewer = info.context.db, info.context.viewer
        row = await cases.update_case(
            db,
            viewer=viewer,
            case_id=parse_id(id, field="id", type_name="Case"),
            changes=written(input, CaseUpdate),
        )
        return UpdateCasePayload(case=from_row(Case, row))

    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Adds the person to the case, or updates their role and client tag.",
    )
    async def add_case_party(
        self,
        info: Info[Context, None],
        case_id: strawberry.ID,
        person_id: strawberry.ID,
        role: PartyRole,
        is_client: bool,
    ) -> AddCasePartyPayload:
        db, viewer = info.context.db, info.context.viewer
        case = parse_id(case_id, field="caseId", type_name="Case")
        row = await cases.add_party(
            db,
            viewer=viewer,
            case_id=case,
            person_id=parse_id(person_id, field="personId", type_name="Person"),
            role=role,
            is_client=is_client,
        )
        return AddCasePartyPayload(case_key=case, case_party=party(row))

    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="The person is no longer a party to the case (if they were one).",
    )
    async def remove_case_party(
        self, info: Info[Context, None], case_id: strawberry.ID, person_id: strawberry.ID
    ) -> RemoveCasePartyPayload:
        db, viewer = info.context.db, info.context.viewer
        case = parse_id(case_id, field="caseId", type_name="Case")
        person = parse_id(person_id, field="personId", type_name="Person")
        await cases.remove_party(db, viewer=viewer, case_id=case, person_id=person)
        return RemoveCasePartyPayload(case_key=case, removed_id=party_id(case, person))

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def add_movement(
        self, info: Info[Context, None], case_id: strawberry.ID, input: MovementInput
    ) -> AddMovementPayload:
        db, viewer = info.context.db, info.context.viewer
        case = parse_id(case_id, field="caseId", type_name="Case")
        row = await movements.add_movement(
            db,
            viewer=viewer,
            case_id=case,
            movement=written(input, MovementCreate),
        )
        return AddMovementPayload(case_key=case, movement=from_row(Movement, row))

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def create_task(
        self, info: Info[Context, None], case_id: strawberry.ID, input: TaskInput
    ) -> CreateTaskPayload:
        db, viewer = info.context.db, info.context.viewer
        case = parse_id(case_id, field="caseId", type_name="Case")
        row = await tasks.create_task(
            db,
            viewer=viewer,
            case_id=case,
            task=written(input, TaskCreate),
        )
        return CreateTaskPayload(case_key=case, task=from_row(Task, row))
