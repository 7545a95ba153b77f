"""Mutations of court data: importing DataJud answers into a case."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from court import imports
from schema.context import Context
from schema.court import ImportCourtDataPayload, court_import
from schema.ids import parse_id
from schema.permissions import STAFF_ONLY


@strawberry.type
class CourtMutation:
    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Imports a DataJud answer (or one of its _source objects) about the case's "
        "process: its movements become COURT movements, each added once however often it is "
        "imported, and the case's empty class, court division, filing date and subject are "
        "filled. Data about another process is refused.",
    )
    async def import_court_data(
        self, info: Info[Context, None], case_id: strawberry.ID, payload: JSON
    ) -> ImportCourtDataPayload:
        db, viewer = info.context.db, info.context.viewer
        result = await imports.import_into_case(
            db,
            viewer=viewer,
            case_id=parse_id(case_id, field="caseId", type_name="Case"),
            payload=payload,
        )
        return court_import(result)
