"""Objects by their ids, whatever their kind, for ``node(id:)`` and ``nodes(ids:)``: each
kind's visible rows (the same scoped queries as every other read), one statement per
kind however many ids are asked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db.activity import activity_query
from db.cases import parties_query
from db.documents import documents_query
from db.movements import movements_query
from db.outbox import messages_query
from db.portal import ACCESS_COLUMNS
from db.removals import removals_query
from db.scope import visible_cases, visible_persons, visible_portal_accounts
from db.session import Db
from db.staff import staff_query
from db.tables import (
    accounts,
    case_parties,
    cases,
    documents,
    movements,
    outbox_messages,
    persons,
    portal_activities,
    removals,
    tasks,
)
from db.tasks import tasks_query
from domain.viewer import Viewer

PartyKey = tuple[uuid.UUID, uuid.UUID]  # (case id, person id)


async def _by_id(
    db: Db, query: sa.Select[Any], column: sa.ColumnElement[Any], ids: Sequence[Any]
) -> dict[Any, RowMapping]:
    rows = await db.rows(query.where(column.in_(ids)).add_columns(column.label("node_key")))
    return {row["node_key"]: row for row in rows}


async def cases_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    return await _by_id(db, sa.select(cases).where(visible_cases(viewer)), cases.c.id, ids)


async def persons_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    query = sa.select(persons).where(visible_persons(viewer))
    return await _by_id(db, query, persons.c.id, ids)


async def movements_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    return await _by_id(db, movements_query(viewer), movements.c.id, ids)


async def documents_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    return await _by_id(db, documents_query(viewer), documents.c.id, ids)


async def tasks_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    return await _by_id(db, tasks_query(viewer), tasks.c.id, ids)


async def staff_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    query = staff_query(viewer, include_disabled=sa.true())
    return await _by_id(db, query, accounts.c.id, ids)


async def messages_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    query = messages_query(viewer, status=sa.null())
    return await _by_id(db, query, outbox_messages.c.id, ids)


async def activity_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    return await _by_id(db, activity_query(viewer), portal_activities.c.id, ids)


async def removals_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    return await _by_id(db, removals_query(viewer), removals.c.id, ids)


async def parties_by_keys(
    db: Db, *, viewer: Viewer, ids: Sequence[PartyKey]
) -> dict[Any, RowMapping]:
    rows = await db.rows(
        parties_query(viewer).where(
            sa.tuple_(case_parties.c.case_id, case_parties.c.person_id).in_(ids)
        )
    )
    return {(row["case_id"], row["person_id"]): row for row in rows}


async def access_by_persons(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    """The portal access of each visible person (its columns null if never granted), to
    staff only, as ``Person.portalAccess``."""
    if not viewer.is_staff:
        return {}
    granted = sa.and_(accounts.c.person_id == persons.c.id, visible_portal_accounts(viewer))
    query = (
        sa.select(*ACCESS_COLUMNS)
        .select_from(persons)
        .outerjoin(accounts, granted)
        .where(visible_persons(viewer))
    )
    return await _by_id(db, query, persons.c.id, ids)
