"""Movements and documents of a case: what happened, newest first."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db.cases import require_case
from db.inputs import MovementCreate
from db.keyset import Order
from db.pages import Page, Window, fetch_pages_by
from db.scope import visible_movements
from db.session import Db
from db.tables import movements
from domain.errors import InvalidValue
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
    cleaned = movement.given()
    required(cleaned, "description", DESCRIPTION_LIMIT)
    _check_moment(movement.occurred_at)
    code = movement.code
    if code is not None and not 0 < code < 1_000_000:
        raise InvalidValue("code", f"code must be a positive movement code, not {code}.")
    row = await db.row(
        sa.insert(movements)
        .values(
            office_id=viewer.office_id, case_id=case_id, created_by_id=viewer.account_id, **cleaned
        )
        .returning(*movements.c)
    )
    assert row is not None
    return row


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
