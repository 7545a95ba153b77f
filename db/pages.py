"""Offset windows over ordered queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db.session import Db


@dataclass(frozen=True, slots=True)
class Window:
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class Page:
    rows: Sequence[RowMapping]
    total: int
    window: Window


async def fetch_page(db: Db, query: sa.Select[Any], window: Window) -> Page:
    """One window of an ordered query and, in the same statement, the total count."""
    rows = await db.rows(
        query.add_columns(sa.func.count().over().label("total_count"))
        .offset(window.offset)
        .limit(window.limit)
    )
    if rows:
        total = int(rows[0]["total_count"])
    elif window.offset == 0 and window.limit > 0:
        total = 0
    else:
        total = int(
            await db.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        )
    return Page(rows=rows, total=total, window=window)


async def fetch_pages_by(
    db: Db,
    query: sa.Select[Any],
    *,
    key: sa.ColumnElement[Any],
    keys: Sequence[Any],
    order_by: Sequence[sa.ColumnElement[Any]],
    window: Window,
) -> dict[Any, Page]:
    """The same window over each group of ``query`` (rows sharing ``key``), in one statement.

    Each group's first row always comes back so that its total is known even when
    the window lies past its end; it is dropped again below.
    """
    ranked = (
        query.where(key.in_(keys))
        .add_columns(
            key.label("group_key"),
            sa.func.row_number().over(partition_by=key, order_by=order_by).label("position"),
            sa.func.count().over(partition_by=key).label("total_count"),
        )
        .subquery()
    )
    first, last = window.offset + 1, window.offset + window.limit
    rows = await db.rows(
        sa.select(ranked)
        .where(sa.or_(ranked.c.position.between(first, last), ranked.c.position == 1))
        .order_by(ranked.c.group_key, ranked.c.position)
    )
    grouped: dict[Any, list[RowMapping]] = {k: [] for k in keys}
    totals: dict[Any, int] = {}
    for row in rows:
        totals[row["group_key"]] = int(row["total_count"])
        if first <= row["position"] <= last:
            grouped[row["group_key"]].append(row)
    return {k: Page(rows=grouped[k], total=totals.get(k, 0), window=window) for k in keys}
