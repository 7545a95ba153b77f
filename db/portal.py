"""Portal access: a person's client account, granted with an e-mail as login and revocable.

The client account of a person is created by the first grant and kept afterwards:
revoking disables it, ends its sessions and forgets its password; granting again
enables it with a new invitation, and a new password is set from that.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from db.accounts import end_sessions, login_taken
from db.invitations import InvitationPolicy, Issued, issue, withdraw
from db.persons import get_person
from db.scope import in_office, visible_portal_accounts
from db.session import Db
from db.tables import accounts, persons
from domain import validators
from domain.errors import Missing
from domain.viewer import Role, Viewer
from mail import letters as mail

ACCESS_COLUMNS = (
    accounts.c.id,
    accounts.c.name,
    accounts.c.person_id,
    accounts.c.email,
    accounts.c.granted_at,
    accounts.c.disabled_at,
    accounts.c.last_login_at,
    accounts.c.court_news_off_at,
)


def _client_of(viewer: Viewer, person_id: uuid.UUID) -> sa.ColumnElement[bool]:
    return sa.and_(visible_portal_accounts(viewer), accounts.c.person_id == person_id)


def access_query(viewer: Viewer) -> sa.Select[Any]:
    """The portal access (``ACCESS_COLUMNS``) of the office's clients."""
    return sa.select(*ACCESS_COLUMNS).where(visible_portal_accounts(viewer))


async def access_of_persons(
    db: Db, *, viewer: Viewer, person_ids: Sequence[uuid.UUID]
) -> list[RowMapping | None]:
    rows = await db.rows(access_query(viewer).where(accounts.c.person_id.in_(person_ids)))
    by_person = {row["person_id"]: row for row in rows}
    return [by_person.get(person_id) for person_id in person_ids]


async def grant_portal_access(
    db: Db, *, viewer: Viewer, person_id: uuid.UUID, email: str, policy: InvitationPolicy
) -> tuple[Issued, RowMapping]:
    """Enable the person's access with ``email`` as login and invite them to set a password.

    Granting again re-issues the invitation. A new login, or access that had been
    revoked, also ends the old password and every session.
    """
    person = await get_person(db, viewer=viewer, person_id=person_id)
    if person is None:
        raise Missing("personId", "No person has that id.")
    login = validators.email(email).lower()
    # Grants for one person take turns, so that the second of two at once renews the
    # account the first made, rather than taking its login for another's.
    await db.execute(
        sa.select(persons.c.id)
        .where(in_office(viewer, persons), persons.c.id == person_id)
        .with_for_update()
    )
    holder = await db.row(
        sa.select(accounts.c.person_id).where(
            in_office(viewer, accounts), accounts.c.email == login
        )
    )
    if holder is not None and holder["person_id"] != person_id:
        raise login_taken(login)
    current = await db.row(sa.select(accounts).where(_client_of(viewer, person_id)))
    if current is None:
        account = await _new_client_account(db, viewer, person, login)
    else:
        account = await _renew_client_account(db, viewer, current, person, login)
    invitation = await issue(
        db,
        account=account,
        office_id=viewer.office_id,
        policy=policy,
        letter=mail.portal_invitation,
    )
    return invitation, account


async def _new_client_account(db: Db, viewer: Viewer, person: RowMapping, login: str) -> RowMapping:
    account = await db.row(
        insert(accounts)
        .values(
            office_id=viewer.office_id,
            email=login,
            name=person["name"],
            role=Role.CLIENT,
            person_id=person["id"],
            granted_at=sa.func.now(),
        )
        .on_conflict_do_nothing()
        .returning(*ACCESS_COLUMNS)
    )
    if account is None:  # taken meanwhile by a concurrent grant
        raise login_taken(login)
    return account


async def _renew_client_account(
    db: Db, viewer: Viewer, current: RowMapping, person: RowMapping, login: str
) -> RowMapping:
    changes: dict[str, Any] = {"email": login, "name": person["name"], "disabled_at": None}
    if current["email"] != login or current["disabled_at"] is not None:
        changes |= {"password_hash": None, "granted_at": sa.func.now()}
        await end_sessions(db, office_id=viewer.office_id, account_id=current["id"])
    try:
        account = await db.row(
            sa.update(accounts)
            .where(_client_of(viewer, person["id"]))
            .values(**changes)
            .returning(*ACCESS_COLUMNS)
        )
    except IntegrityError:  # the login was taken meanwhile by a concurrent grant
        raise login_taken(login) from None
    assert account is not None
    return account


async def revoke_portal_access(
    db: Db, *, viewer: Viewer, person_id: uuid.UUID
) -> RowMapping | None:
    """Disable the person's login at once; None when access was never granted."""
    if await get_person(db, viewer=viewer, person_id=person_id) is None:
        raise Missing("personId", "No person has that id.")
    account = await db.row(
        sa.update(accounts)
        .where(_client_of(viewer, person_id))
        .values(
            disabled_at=sa.func.coalesce(accounts.c.disabled_at, sa.func.now()),
            password_hash=None,
        )
        .returning(*ACCESS_COLUMNS)
    )
    if account is not None:
        await end_sessions(db, office_id=viewer.office_id, account_id=account["id"])
        await withdraw(db, office_id=viewer.office_id, account_id=account["id"])
    return account
