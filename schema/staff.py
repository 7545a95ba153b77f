from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from schema.directives import PRINCIPAL
from schema.enums import Role
from schema.node import Node
from schema.permissions import STAFF_ONLY


@strawberry.type(description="A lawyer or administrator of the office.")
class StaffMember(Node):
    key: strawberry.Private[uuid.UUID]
    id: strawberry.ID = strawberry.field(directives=PRINCIPAL)
    name: str = strawberry.field(directives=PRINCIPAL)
    email: str = strawberry.field(permission_classes=STAFF_ONLY)
    role: Role = strawberry.field(permission_classes=STAFF_ONLY)
    disabled_at: datetime | None = strawberry.field(
        permission_classes=STAFF_ONLY, description="Set while the account may not sign in."
    )
    last_login_at: datetime | None = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The staff member, who may no longer sign in.")
class DisableStaffMemberPayload:
    staff_member: StaffMember = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The staff member, who may sign in again.")
class EnableStaffMemberPayload:
    staff_member: StaffMember = strawberry.field(permission_classes=STAFF_ONLY)
