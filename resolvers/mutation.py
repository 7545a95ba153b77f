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
from resolvers.court import CourtMutation
from resolvers.documents import DocumentMutation
from resolvers.oauth import OAuthMutation
from schema.case import Case, CaseParty, Movement, Person, Task, party
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
class Mutation(AccessMutation, CourtMutation, DocumentMutation, OAuthMutation):
    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def create_person(self, info: Info[Context, None], input: PersonInput) -> Person:
        db, viewer = info.context.db, info.context.viewer
        row = await persons.create_person(db, viewer=viewer, person=written(input, PersonCreate))
        return from_row(Person, row)

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def update_person(
        self, info: Info[Context, None], id: strawberry.ID, input: PersonUpdateInput
    ) -> Person:
        db, viewer = info.context.db, info.context.viewer
        row = await persons.update_person(
            db,
            viewer=viewer,
            person_id=parse_id(id, field="id", type_name="Person"),
            changes=written(input, PersonUpdate),
        )
        return from_row(Person, row)

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def create_case(self, info: Info[Context, None], input: CaseInput) -> Case:
        db, viewer = info.context.db, info.context.viewer
        row = await cases.create_case(db, viewer=viewer, case=written(input, CaseCreate))
        return from_row(Case, row)

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def update_case(
        self, info: Info[Context, None], id: strawberry.ID, input: CaseUpdateInput
    ) -> Case:
        db, viewer = info.context.db, info.context.viewer
        row = await cases.update_case(
            db,
            viewer=viewer,
            case_id=parse_id(id, field="id", type_name="Case"),
            changes=written(input, CaseUpdate),
        )
        return from_row(Case, row)

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
    ) -> CaseParty:
        db, viewer = info.context.db, info.context.viewer
        row = await cases.add_party(
            db,
            viewer=viewer,
            case_id=parse_id(case_id, field="caseId", type_name="Case"),
            person_id=parse_id(person_id, field="personId", type_name="Person"),
            role=role,
            is_client=is_client,
        )
        return party(row)

    @strawberry.mutation(
        permission_classes=STAFF_ONLY, description="false when the person was not a party."
    )
    async def remove_case_party(
        self, info: Info[Context, None], case_id: strawberry.ID, person_id: strawberry.ID
    ) -> bool:
        db, viewer = info.context.db, info.context.viewer
        return await cases.remove_party(
            db,
            viewer=viewer,
            case_id=parse_id(case_id, field="caseId", type_name="Case"),
            person_id=parse_id(person_id, field="personId", type_name="Person"),
        )

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def add_movement(
        self, info: Info[Context, None], case_id: strawberry.ID, input: MovementInput
    ) -> Movement:
        db, viewer = info.context.db, info.context.viewer
        row = await movements.add_movement(
            db,
            viewer=viewer,
            case_id=parse_id(case_id, field="caseId", type_name="Case"),
            movement=written(input, MovementCreate),
        )
        return from_row(Movement, row)

    @strawberry.mutation(permission_classes=STAFF_ONLY)
    async def create_task(
        self, info: Info[Context, None], case_id: strawberry.ID, input: TaskInput
    ) -> Task:
        db, viewer = info.context.db, info.context.viewer
        row = await tasks.create_task(
            db,
            viewer=viewer,
            case_id=parse_id(case_id, field="caseId", type_name="Case"),
            task=written(input, TaskCreate),
        )
        return from_row(Task, row)
