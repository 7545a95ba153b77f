"""The portal's access log as GraphQL shows it: staff read a person's
(``Person.portalActivity``), a client their own (``Viewer.activity``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.directives import PRINCIPAL
from schema.enums import PortalAction
from schema.node import Node
from schema.rows import from_row

if TYPE_CHECKING:
    from schema.case import Case, Document


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
        directives=PRINCIPAL, description="The browser or app's User-Agent, its first 500 characters."
    )

    @strawberry.field(
        directives=PRINCIPAL,
        description="The folder listed or read; null for a sign-in, or when the viewer "
        "can no longer see it.",
    )
    async def case(
        self, info: Info[Context, None]
    ) -> Annotated[Case, strawberry.lazy("schema.case")] | None:
        from schema.case import Case

        if self.case_id is None:
            return None
        row = await info.context.loaders.case.load(self.case_id)
        return None if row is None else from_row(Case, row)

    @strawberry.field(
        directives=PRINCIPAL,
        description="The document downloaded; null otherwise, or when the viewer can no "
        "longer see it.",
    )
    async def document(
        self, info: Info[Context, None]
    ) -> Annotated[Document, strawberry.lazy("schema.case")] | None:
        from schema.case import Document

        if self.document_id is None:
            return None
        row = await info.context.loaders.document.load(self.document_id)
        return None if row is None else from_row(Document, row)
