"""The Viewer type: who is signed in, as GraphQL shows it (domain/viewer.py is the
session behind it)."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.types import Info

from db import activity
from schema.case import Person, PortalActivity
from schema.context import Context
from schema.directives import PRINCIPAL
from schema.enums import Role
from schema.pagination import Connection, connection, window
from schema.rows import from_row


@strawberry.type(description="Who is signed in.")
class Viewer:
    person_key: strawberry.Private[uuid.UUID | None]
    email: str = strawberry.field(directives=PRINCIPAL)
    role: Role = strawberry.field(directives=PRINCIPAL)

    @strawberry.field(directives=PRINCIPAL, description="The person a client signs in as.")
    async def person(self, info: Info[Context, None]) -> Person | None:
        if self.person_key is None:
            return None
        row = await info.context.loaders.person.load(self.person_key)
        return None if row is None else from_row(Person, row)

    @strawberry.field(
        directives=PRINCIPAL,
        description="What the viewer did in the portal (the access log), newest first.",
    )
    async def activity(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PortalActivity]:
        context = info.context
        found = window(
            first, after, last, before, max_size=context.page_size, order=activity.PAGE_ORDER
        )
        page = await activity.own_activity(context.db, viewer=context.viewer, window=found)
        return connection(page, lambda row: from_row(PortalActivity, row))
