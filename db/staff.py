"""Staff accounts: as other records refer to them, and as an office's admins manage them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.dialects.postgresql import insert

from db.accounts import end_sessions, login_taken
from db.invitations import InvitationPolicy, Issued, issue, withdraw
from db.scope import visible_staff
from db.session import Db
from db.tables import accounts
from domain import validators
from domain.errors import InvalidValue, Missing
from domain.viewer import STAFF_ROLES, Role, Viewer
from mail import letters as mail

STAFF_COLUMNS = (
    accounts.c.id,
    accounts.c.name,
    accounts.c.email,
    accounts.c.role,
    accounts.c.disabled_at,
    accounts.c.last_login_at,
)
BY_NAME = (accounts.c.name, accounts.c.id)


def staff_query(viewer: Viewer, *, include_disabled: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The office's staff (``STAFF_COLUMNS``), the disabled only if ``include_disabled``."""
    return sa.select(*STAFF_COLUMNS).where(
        visible_staff(viewer), sa.or_(include_disabled, accounts.c.disabled_at.is_(None))
    )


async def staff_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[RowMapping | None]:
    rows = await db.rows(
        staff_query(viewer, include_disabled=sa.true()).where(accounts.c.id.in_(ids))
    )
    by_id = {row["id"]: row for row in rows}
    return [by_id.get(i) for i in ids]


async def list_staff(db: Db, *, viewer: Viewer, include_disabled: bool) -> Sequence[RowMapping]:
    query = staff_query(viewer, include_disabled=sa.literal(include_disabled, sa.Boolean()))
    return await db.rows(query.order_by(*BY_NAME))


async def require_staff(
    db: Db, *, viewer: Viewer, account_id: uuid.UUID | None, field: str
) -> None:
    """Refuse a reference to anyone but a staff member of the viewer's office."""
    if account_id is None:
        return
    found = await db.scalar(
        sa.select(accounts.c.id).where(visible_staff(viewer), accounts.c.id == account_id)
    )
    if found is None:
        raise Missing(field, "No staff member of this office has that id.")


async def create_staff_member(
    db: Db, *, viewer: Viewer, name: str, email: str, role: Role, policy: InvitationPolicy
) -> tuple[Issued, RowMapping]:
    """A new ADMIN or LAWYER, invited by e-mail to set a password."""
    if role not in STAFF_ROLES:
        raise InvalidValue("role", f"A staff member is an ADMIN or a LAWYER, not {role}.")
    login = validators.email(email).lower()
    account = await db.row(
        insert(accounts)
        .values(
            office_id=viewer.office_id,
            email=login,
            name=validators.required_text(name, field="name", max_length=200),
            role=role,
        )
        .on_conflict_do_nothing()
        .returning(*STAFF_COLUMNS)
    )
    if account is None:
        raise login_taken(login)
    return await _invite(db, viewer, account, policy), account


async def invite_staff_member(
    db: Db, *, viewer: Viewer, account_id: uuid.UUID, policy: InvitationPolicy
) -> tuple[Issued, RowMapping]:
    """A new invitation for an enabled staff account (first sign-in, or a forgotten password)."""
    account = await db.row(
        sa.select(*STAFF_COLUMNS).where(visible_staff(viewer), accounts.c.id == account_id)
    )
    if account is None:
        raise Missing("id", "No staff member of this office has that id.")
    if account["disabled_at"] is not None:
        raise InvalidValue("id", "The account is disabled: enable it before inviting it.")
    return await _invite(db, viewer, account, policy), account


async def _invite(db: Db, viewer: Viewer, account: RowMapping, policy: InvitationPolicy) -> Issued:
    return await issue(
        db,
        account=account,
        office_id=viewer.office_id,
        policy=policy,
        letter=mail.staff_invitation,
    )


async def set_staff_disabled(
    db: Db, *, viewer: Viewer, account_id: uuid.UUID, disabled: bool
) -> RowMapping:
    """Disable (every session ends at once) or enable again a staff account."""
    if disabled and account_id == viewer.account_id:
        raise InvalidValue("id", "You cannot disable your own account.")
    row = await db.row(
        sa.update(accounts)
        .where(visible_staff(viewer), accounts.c.id == account_id)
        .values(
            disabled_at=sa.func.coalesce(accounts.c.disabled_at, sa.func.now())
            if disabled
            else None
        )
        .returning(*STAFF_COLUMNS)
    )
    if row is None:
        raise Missing("id", "No staff member of this office has that id.")
    if disabled:
        await end_sessions(db, office_id=viewer.office_id, account_id=account_id)
        await withdraw(db, office_id=viewer.office_id, account_id=account_id)
    return row
