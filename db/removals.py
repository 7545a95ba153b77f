"""What staff removed, who removed it and when: one row per removal, newest first.

The removing write records it in its own transaction, so a removal and its record land
together or not at all. A record names what was removed by its GraphQL type and key
(the key its global id carried) and a short label (a title, a name, the start of a
description), and keeps the case it belonged to as a plain value: the row is gone, and
the case may be too.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db.keyset import Order
from db.pages import Page, Window, fetch_page
from db.scope import visible_removals
from db.session import Db
from db.tables import removals
from domain.viewer import Viewer

LABEL_LIMIT = 120  # characters
NEWEST_FIRST = (removals.c.removed_at.desc(), removals.c.id.desc())
PAGE_ORDER = Order.of(NEWEST_FIRST)


def label(text: str) -> str:
    """``text`` on one line, cut to ``LABEL_LIMIT`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= LABEL_LIMIT else line[: LABEL_LIMIT - 1] + "…"


async def record(
    db: Db,
    *,
    viewer: Viewer,
    type_name: str,
    key: object,
    text: str,
    case_id: uuid.UUID | None,
) -> RowMapping:
    row = await db.row(
        sa.insert(removals)
        .values(
            office_id=viewer.office_id,
            type_name=type_name,
            object_key=str(key),
            label=label(text),
            case_id=case_id,
            removed_by_id=viewer.account_id,
        )
        .returning(*removals.c)
    )
    assert row is not None
    return row


def removals_query(viewer: Viewer) -> sa.Select[Any]:
    """The visible removals, in no order (``NEWEST_FIRST`` is theirs)."""
    return sa.select(removals).where(visible_removals(viewer))


async def list_removals(db: Db, *, viewer: Viewer, window: Window) -> Page:
    return await fetch_page(db, removals_query(viewer), order=PAGE_ORDER, window=window)
