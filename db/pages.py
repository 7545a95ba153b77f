"""Pages of ordered queries by keyset (db/keyset.py): the rows after one cursor and
before another, from the start or from the end.

What a page answers besides its rows, on both read paths alike (db/answers.py writes
the same in SQL):

- ``total``: every row of the relation, whatever the window.
- Paging forward (``first``), ``has_next``: more rows lie within the cursors than the
  page holds; ``has_previous``: a row lies at or before ``after`` (the row it names,
  if it is still there, or any before it). Relay allows answering false there; the
  answer is one EXISTS in the same statement, so it is given truly.
- Paging backward (``last``), the same mirrored: ``has_previous`` when more rows lie
  within the cursors, ``has_next`` when a row lies at or after ``before``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.sql.util import ClauseAdapter

from db.keyset import KeyValues, Order
from db.session import Db


@dataclass(frozen=True, slots=True)
class Window:
    """The rows of a page: among those strictly after ``after`` and strictly before
    ``before``, the first ``size``, or the last ``size`` when ``from_end``."""

    size: int
    after: KeyValues | None = None
    before: KeyValues | None = None
    from_end: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    rows: Sequence[RowMapping]  # in the relation's order
    total: int
    order: Order
    has_next: bool
    has_previous: bool


def bounds(order: Order, window: Window) -> list[sa.ColumnElement[bool]]:
    """The conditions that keep a row within the window's cursors."""
    found = []
    if window.after is not None:
        found.append(order.following(window.after))
    if window.before is not None:
        found.append(order.preceding(window.before))
    return found


def outside(order: Order, window: Window) -> sa.ColumnElement[bool] | None:
    """The rows beyond the cursor that the page starts from (at or before ``after``
    paging forward, at or after ``before`` backward), or None without that cursor:
    whether any exists is ``has_previous`` (forward) or ``has_next`` (backward)."""
    if window.from_end:
        return None if window.before is None else sa.not_(order.preceding(window.before))
    return None if window.after is None else sa.not_(order.following(window.after))


def _page(
    rows: Sequence[RowMapping], total: int, beyond: bool, order: Order, window: Window
) -> Page:
    """The page of ``rows``: up to ``size + 1`` of them, in the direction of the walk."""
    more = len(rows) > window.size
    rows = rows[: window.size]
    if window.from_end:
        return Page(rows[::-1], total, order, has_next=beyond, has_previous=more)
    return Page(rows, total, order, has_next=more, has_previous=beyond)


async def fetch_page(db: Db, query: sa.Select[Any], *, order: Order, window: Window) -> Page:
    """One window of ``query`` in ``order``, with the total and whether a row lies beyond
    the cursor it starts from, in one statement (which has one row even for an empty
    window: the window is joined to a row of its own)."""
    query = query.order_by(None)
    walk = order.clauses(reverse=window.from_end)
    found = (
        query.where(*bounds(order, window))
        .add_columns(sa.true().label("in_page"))
        .order_by(*walk)
        .limit(window.size + 1)
        .subquery("page")
    )
    total = sa.select(sa.func.count()).select_from(query.subquery()).scalar_subquery()
    beyond = outside(order, window)
    exists = sa.false() if beyond is None else query.where(beyond).exists()
    one = sa.select(sa.literal(1).label("one")).subquery("one")
    rows = await db.rows(
        sa.select(found, total.label("total_count"), exists.label("beyond"))
        .select_from(one.outerjoin(found, sa.true()))
        .order_by(*(ClauseAdapter(found).traverse(clause) for clause in walk))
    )
    listed = [row for row in rows if row["in_page"]]
    return _page(listed, int(rows[0]["total_count"]), bool(rows[0]["beyond"]), order, window)


async def fetch_pages_by(
    db: Db,
    query: sa.Select[Any],
    *,
    key: sa.ColumnElement[Any],
    keys: Sequence[Any],
    order: Order,
    window: Window,
) -> dict[Any, Page]:
    """The same window over each group of ``query`` (rows sharing ``key``), in one statement.

    Each row is numbered among its group's rows within the cursors (a count filtered to
    them, running in the walk's order); each group's first row always comes back, so
    that its total is known even when the window holds none of its rows.
    """
    walk = order.clauses(reverse=window.from_end)
    conditions = bounds(order, window)
    inside = sa.and_(*conditions) if conditions else sa.true()
    beyond = outside(order, window)
    ranked = (
        query.where(key.in_(keys))
        .add_columns(
            key.label("group_key"),
            sa.func.row_number().over(partition_by=key, order_by=walk).label("in_group"),
            sa.func.count().filter(inside).over(partition_by=key, order_by=walk).label("position"),
            sa.func.count().over(partition_by=key).label("total_count"),
            (
                sa.false() if beyond is None else sa.func.bool_or(beyond).over(partition_by=key)
            ).label("beyond"),
            inside.label("in_page"),
        )
        .subquery()
    )
    rows = await db.rows(
        sa.select(ranked)
        .where(
            sa.or_(
                sa.and_(ranked.c.in_page, ranked.c.position <= window.size + 1),
                ranked.c.in_group == 1,
            )
        )
        .order_by(ranked.c.group_key, ranked.c.in_group)
    )
    grouped: dict[Any, list[RowMapping]] = {k: [] for k in keys}
    totals: dict[Any, tuple[int, bool]] = {}
    for row in rows:
        totals[row["group_key"]] = (int(row["total_count"]), bool(row["beyond"]))
        if row["in_page"] and row["position"] <= window.size + 1:
            grouped[row["group_key"]].append(row)
    return {k: _page(grouped[k], *totals.get(k, (0, False)), order, window) for k in keys}
