"""Movements and documents of a case: what happened, newest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db import court_news, removals
from db.cases import require_case
from db.inputs import MovementCreate, MovementUpdate
from db.keyset import Order
from db.pages import Page, Window, fetch_pages_by
from db.scope import visible_movements
from db.session import Db
from db.tables import Source, movements
from domain.errors import InvalidValue, Missing
from domain.fields import camel, required
from domain.viewer import Viewer

DESCRIPTION_LIMIT = 10_000  # characters
EARLIEST_YEAR = 1900  # as for dates (schema/scalars.py)
FUTURE_TOLERANCE = timedelta(days=1)
NEWEST_FIRST = (movements.c.occurred_at.desc(), movements.c.id.desc())
PAGE_ORDER = Order.of(NEWEST_FIRST)


def movements_query(viewer: Viewer) -> sa.Select[Any]:
    """The visible movements, in no order (``NEWEST_FIRST`` is theirs)."""
    return sa.select(movements).where(visible_movements(viewer))


async def movements_of_cases(
    db: Db, *, viewer: Viewer, case_ids: Sequence[uuid.UUID], window: Window
) -> dict[uuid.UUID, Page]:
    return await fetch_pages_by(
        db,
        movements_query(viewer),
        key=movements.c.case_id,
        keys=case_ids,
        order=PAGE_ORDER,
        window=window,
    )


async def add_movement(
    db: Db, *, viewer: Viewer, case_id: uuid.UUID, movement: MovementCreate
) -> RowMapping:
    await require_case(db, viewer=viewer, case_id=case_id)
    cleaned = _clean(movement.given())
    row = await db.row(
        sa.insert(movements)
        .values(
            office_id=viewer.office_id, case_id=case_id, created_by_id=viewer.account_id, **cleaned
        )
        .returning(*movements.c)
    )
    assert row is not None
    if row["source"] == Source.COURT:
        await court_news.wake(db, office_id=viewer.office_id, gather=True)
    return row


async def update_movement(
    db: Db, *, viewer: Viewer, movement_id: uuid.UUID, changes: MovementUpdate
) -> RowMapping:
    """The fields given, checked as ``add_movement`` checks them; a movement imported from
    the court keeps its import key, so importing it again does not add it twice."""
    cleaned = _clean(changes.given())
    for name in ("occurred_at", "source"):
        if name in cleaned and cleaned[name] is None:
            raise InvalidValue(camel(name), f"{camel(name)} must not be null.")
    found = visible_movements(viewer), movements.c.id == movement_id
    if not cleaned:
        row = await db.row(sa.select(movements).where(*found))
    else:
        row = await db.row(
            sa.update(movements).where(*found).values(**cleaned).returning(*movements.c)
        )
    if row is None:
        raise Missing("id", "No movement has that id.")
    if cleaned.get("source") == Source.COURT:
        await court_news.wake(db, office_id=viewer.office_id, gather=True)
    return row


async def remove_movement(db: Db, *, viewer: Viewer, movement_id: uuid.UUID) -> RowMapping:
    """The movement goes, and its removal is recorded; the removed row is answered.

    A movement imported from the court comes back with the next import that still
    carries it: to take one out of the client's sight, make it INTERNAL instead."""
    row = await db.row(
        sa.delete(movements)
        .where(visible_movements(viewer), movements.c.id == movement_id)
        .returning(*movements.c)
    )
    if row is None:
        raise Missing("id", "No movement has that id.")
    await removals.record(
        db,
        viewer=viewer,
        type_name="Movement",
        key=row["id"],
        text=row["description"],
        case_id=row["case_id"],
    )
    return row


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    required(values, "description", DESCRIPTION_LIMIT)
    if values.get("occurred_at") is not None:
        _check_moment(values["occurred_at"])
    code = values.get("code")
    if code is not None and not 0 < code < 1_000_000:
        raise InvalidValue("code", f"code must be a positive movement code, not {code}.")
    return values


def _check_moment(occurred_at: datetime) -> None:
    field = camel("occurred_at")
    if occurred_at.tzinfo is None:
        raise InvalidValue(field, f"{field} needs a time zone offset, e.g. -03:00.")
    if occurred_at.year < EARLIEST_YEAR:
        raise InvalidValue(field, f"{field} must be after {EARLIEST_YEAR}, not {occurred_at}.")
    now = datetime.now(UTC)
    # (the year first: near year 9999, converting to UTC to compare would overflow)
    if occurred_at.year > now.year + 1 or occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidValue(field, f"{field} cannot be in the future ({occurred_at}).")
