"""Staff accounts, as other records refer to them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import RowMapping

from auth.viewer import STAFF_ROLES, Viewer
from db.errors import Missing
from db.session import Db
from db.tables import accounts

STAFF_COLUMNS = (accounts.c.id, accounts.c.name, accounts.c.email)


def _staff(viewer: Viewer) -> sa.ColumnElement[bool]:
    return sa.and_(accounts.c.office_id == viewer.office_id, accounts.c.role.in_(STAFF_ROLES))


async def staff_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[RowMapping | None]:
    rows = await db.rows(sa.select(*STAFF_COLUMNS).where(_staff(viewer), accounts.c.id.in_(ids)))
    by_id = {row["id"]: row for row in rows}
    return [by_id.get(i) for i in ids]


async def require_staff(
    db: Db, *, viewer: Viewer, account_id: uuid.UUID | None, field: str
) -> None:
    """Refuse a reference to anyone but a staff member of the viewer's office."""
    if account_id is None:
        return
    found = await db.scalar(
        sa.select(accounts.c.id).where(_staff(viewer), accounts.c.id == account_id)
    )
    if found is None:
        raise Missing(field, f"No staff member of this office has the id {account_id}.")
