"""Query: arguments → db/ → types."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from db import cases, outbox, persons, removals, staff
from resolvers import nodes
from resolvers.oauth import OAuthQuery
from schema.case import Case, Person
from schema.context import Context
from schema.directives import PRINCIPAL
from schema.enums import CaseStatus, OutboxStatus
from schema.ids import parse_id
from schema.node import Node
from schema.pagination import Connection, connection, window
from schema.permissions import STAFF_ONLY
from schema.portal import OutboxMessage
from schema.removal import Removal, removal
from schema.rows import from_row
from schema.staff import StaffMember
from schema.viewer import Viewer


@strawberry.type
class Query(OAuthQuery):
    @strawberry.field(
        directives=PRINCIPAL,
        description="Any object by its global id; null when none is visible to the viewer.",
    )
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node | None:
        (found,) = await nodes.find(info, [id], field="id")
        return found

    @strawberry.field(
        directives=PRINCIPAL,
        description="Objects by their global ids, in the order asked; null where none is "
        "visible. At most a page's size of ids.",
    )
    async def nodes(self, info: Info[Context, None], ids: list[strawberry.ID]) -> list[Node | None]:
        nodes.check_count(ids, limit=info.context.page_size)
        return await nodes.find(info, ids, field="ids")

    @strawberry.field(directives=PRINCIPAL)
    def viewer(self, info: Info[Context, None]) -> Viewer:
        viewer = info.context.viewer
        return Viewer(email=viewer.email, role=viewer.role, person_key=viewer.person_id)

    @strawberry.field(
        directives=PRINCIPAL,
        description="Newest first. search matches folder, title or CNJ number.",
    )
    async def cases(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
        status: CaseStatus | None = None,
    ) -> Connection[Case]:
        context = info.context
        page = await cases.list_cases(
            context.db,
            viewer=context.viewer,
            search=search,
            status=status,
            window=window(
                first,
                after,
                last,
                before,
                max_size=context.page_size,
                order=cases.PAGE_ORDER,
            ),
        )
        context.listed_cases()
        return connection(page, lambda row: from_row(Case, row))

    @strawberry.field(directives=PRINCIPAL, description="null when no such case is visible.")
    async def case(self, info: Info[Context, None], id: strawberry.ID) -> Case | None:
        context = info.context
        row = await cases.get_case(
            context.db, viewer=context.viewer, case_id=parse_id(id, field="id", type_name="Case")
        )
        if row is None:
            return None
        context.viewed_case(row["id"])
        return from_row(Case, row)

    @strawberry.field(
        permission_classes=STAFF_ONLY, description="By name; search matches name or tax id."
    )
    async def persons(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
    ) -> Connection[Person]:
        context = info.context
        page = await persons.list_persons(
            context.db,
            viewer=context.viewer,
            search=search,
            window=window(
                first,
                after,
                last,
                before,
                max_size=context.page_size,
                order=persons.PAGE_ORDER,
            ),
        )
        return connection(page, lambda row: from_row(Person, row))

    @strawberry.field(permission_classes=STAFF_ONLY)
    async def person(self, info: Info[Context, None], id: strawberry.ID) -> Person | None:
        context = info.context
        row = await persons.get_person(
            context.db,
            viewer=context.viewer,
            person_id=parse_id(id, field="id", type_name="Person"),
        )
        return None if row is None else from_row(Person, row)

    @strawberry.field(permission_classes=STAFF_ONLY, description="The office's staff, by name.")
    async def staff_members(
        self, info: Info[Context, None], include_disabled: bool = False
    ) -> list[StaffMember]:
        context = info.context
        rows = await staff.list_staff(
            context.db, viewer=context.viewer, include_disabled=include_disabled
        )
        return [from_row(StaffMember, row) for row in rows]

    @strawberry.field(
        permission_classes=STAFF_ONLY, description="The office's e-mails, newest first."
    )
    async def outbox(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: OutboxStatus | None = None,
    ) -> Connection[OutboxMessage]:
        context = info.context
        page = await outbox.list_messages(
            context.db,
            viewer=context.viewer,
            status=status,
            window=window(
                first,
                after,
                last,
                before,
                max_size=context.page_size,
                order=outbox.PAGE_ORDER,
            ),
        )
        return connection(page, lambda row: from_row(OutboxMessage, row))

    @strawberry.field(
        permission_classes=STAFF_ONLY,
        description="What staff removed (movements, documents, tasks, cases, persons), "
        "newest first.",
    )
    async def removals(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Removal]:
        context = info.context
        page = await removals.list_removals(
            context.db,
            viewer=context.viewer,
            window=window(
                first,
                after,
                last,
                before,
                max_size=context.page_size,
                order=removals.PAGE_ORDER,
            ),
        )
        return connection(page, removal)
