"""What staff removed, as staff read it back (db/removals.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.ids import global_id
from schema.node import Node
from schema.permissions import STAFF_ONLY
from schema.rows import from_row
from schema.staff import StaffMember


@strawberry.type(description="A movement, document, task, case or person that staff removed.")
class Removal(Node):
    key: strawberry.Private[uuid.UUID]
    removed_by_key: strawberry.Private[uuid.UUID]
    id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)
    type_name: str = strawberry.field(
        permission_classes=STAFF_ONLY,
        description="The type of what was removed: Movement, Document, Task, Case or Person.",
    )
    removed_id: strawberry.ID = strawberry.field(
        permission_classes=STAFF_ONLY, description="The global id it had."
    )
    label: str = strawberry.field(
        permission_classes=STAFF_ONLY,
        description="Its title, name or description, cut to 120 characters.",
    )
    case_id: strawberry.ID | None = strawberry.field(
        permission_classes=STAFF_ONLY,
        description="The case it belonged to (or was), which may be gone too; null for a person.",
    )
    removed_at: datetime = strawberry.field(permission_classes=STAFF_ONLY)

    @strawberry.field(permission_classes=STAFF_ONLY)
    async def removed_by(self, info: Info[Context, None]) -> StaffMember | None:
        row = await info.context.loaders.staff.load(self.removed_by_key)
        return None if row is None else from_row(StaffMember, row)


def removal(row: Mapping[Any, Any]) -> Removal:
    case_id = row["case_id"]
    return Removal(
        key=row["id"],
        removed_by_key=row["removed_by_id"],
        id=global_id("Removal", row["id"]),
        type_name=row["type_name"],
        removed_id=global_id(row["type_name"], row["object_key"]),
        label=row["label"],
        case_id=None if case_id is None else global_id("Case", case_id),
        removed_at=row["removed_at"],
    )
