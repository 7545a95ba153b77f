"""The portal's access log: what each client did (signed in, listed their folders, read
one, downloaded a document), when, and from which address and user agent; kept at
least six months (Marco Civil da Internet art. 15) and purged after.

The rows are written by the account they are about (migration 0009): sign-in in the
transaction that opens the session, every other action in a transaction of its own,
once the client's answer has gone (endpoints/activity.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db.accounts import act_for_account
from db.keyset import Order
from db.pages import Page, Window, fetch_page, fetch_pages_by
from db.scope import visible_activity
from db.session import Db, transaction
from db.tables import PortalAction, accounts, portal_activities
from domain.viewer import Viewer

NEWEST_FIRST = (portal_activities.c.occurred_at.desc(), portal_activities.c.id.desc())
PAGE_ORDER = Order.of(NEWEST_FIRST)
MAX_USER_AGENT = 500  # characters kept of a User-Agent
MAX_ADDRESS = 64


@dataclass(frozen=True, slots=True)
class Visit:
    """One thing a client did: an action, and the case and document it read."""

    action: PortalAction
    case_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who did it, and from where."""

    office_id: uuid.UUID
    account_id: uuid.UUID
    address: str | None
    user_agent: str | None


async def insert_visits(db: Db, *, visitor: Visitor, visits: Sequence[Visit]) -> None:
    """Record ``visits`` in a transaction already acting for the visitor's account."""
    person_id = (
        sa.select(accounts.c.person_id)
        .where(accounts.c.office_id == visitor.office_id, accounts.c.id == visitor.account_id)
        .scalar_subquery()
    )
    await db.execute(
        sa.insert(portal_activities).values(
            [
                {
                    "office_id": visitor.office_id,
                    "account_id": visitor.account_id,
                    "person_id": person_id,
                    "action": visit.action,
                    "case_id": visit.case_id,
                    "document_id": visit.document_id,
                    "ip_address": (visitor.address or "")[:MAX_ADDRESS] or None,
                    "user_agent": (visitor.user_agent or "")[:MAX_USER_AGENT] or None,
                }
                for visit in visits
            ]
        )
    )


async def record(engine: AsyncEngine, *, visitor: Visitor, visits: Sequence[Visit]) -> None:
    """Record ``visits`` in a transaction of their own, acting for the visitor's account."""
    async with transaction(engine) as db:
        await act_for_account(db, office_id=visitor.office_id, account_id=visitor.account_id)
        await insert_visits(db, visitor=visitor, visits=visits)


def activity_query(viewer: Viewer) -> sa.Select[Any]:
    return sa.select(portal_activities).where(visible_activity(viewer))


async def activity_of_persons(
    db: Db, *, viewer: Viewer, person_ids: Sequence[uuid.UUID], window: Window
) -> dict[uuid.UUID, Page]:
    """Each person's visible activity, newest first."""
    return await fetch_pages_by(
        db,
        activity_query(viewer),
        key=portal_activities.c.person_id,
        keys=person_ids,
        order=PAGE_ORDER,
        window=window,
    )


async def own_activity(db: Db, *, viewer: Viewer, window: Window) -> Page:
    """What the viewer's own account did, newest first."""
    query = activity_query(viewer).where(portal_activities.c.account_id == viewer.account_id)
    return await fetch_page(db, query, order=PAGE_ORDER, window=window)


async def purge(db: Db, *, keep_days: int) -> int:
    """Delete, in every office, what is older than ``keep_days`` days (never fewer than
    183: the database refuses); how many rows went."""
    purged = await db.scalar(sa.select(sa.func.causa_purge_portal_activity(keep_days)))
    return int(purged)
