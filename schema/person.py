from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from schema.case import Case
from schema.context import Context
from schema.directives import PRINCIPAL
from schema.enums import PersonKind
from schema.pagination import Connection, connection, window
from schema.permissions import STAFF_ONLY
from schema.portal import PortalAccess, portal_access
from schema.rows import from_row


@strawberry.type(description="A natural (CPF) or legal (CNPJ) person known to the office.")
class Person:
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
        return portal_access(await info.context.loaders.portal_access.load(self.key))

    @strawberry.field(
        permission_classes=STAFF_ONLY, description="The cases this person is a party to."
    )
    async def cases(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[Case]:
        page = await info.context.loaders.person_cases.load(
            (self.key, window(first, after, max_size=info.context.page_size))
        )
        return connection(page, lambda row: from_row(Case, row))
