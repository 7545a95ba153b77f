"""What importing court data (DataJud) did: the office's side, staff only."""

from __future__ import annotations

import strawberry

from court.datajud import CaseImport
from schema.case import Case
from schema.permissions import STAFF_ONLY
from schema.rows import from_row


@strawberry.type(description="What importing DataJud data into a case did, and the case.")
class ImportCourtDataPayload:
    case: Case = strawberry.field(
        permission_classes=STAFF_ONLY, description="The case, with what the import filled."
    )
    movements_added: int = strawberry.field(
        permission_classes=STAFF_ONLY, description="New COURT movements."
    )
    movements_already_present: int = strawberry.field(
        permission_classes=STAFF_ONLY,
        description="Movements of the data that the case already had from an earlier import.",
    )
    fields_filled: list[str] = strawberry.field(
        permission_classes=STAFF_ONLY,
        description="The case's fields that were empty and now hold the court's value "
        "(of caseClass, courtDivision, filedOn, subject); fields with a value are kept.",
    )


def court_import(result: CaseImport) -> ImportCourtDataPayload:
    return ImportCourtDataPayload(
        case=from_row(Case, result.case),
        movements_added=result.movements_added,
        movements_already_present=result.movements_already_present,
        fields_filled=list(result.fields_filled),
    )
