from __future__ import annotations

import uuid

import strawberry

from schema.directives import PRINCIPAL
from schema.permissions import STAFF_ONLY


@strawberry.type(description="A lawyer or administrator of the office.")
class StaffMember:
    key: strawberry.Private[uuid.UUID]
    id: strawberry.ID = strawberry.field(directives=PRINCIPAL)
    name: str = strawberry.field(directives=PRINCIPAL)
    email: str = strawberry.field(permission_classes=STAFF_ONLY)
