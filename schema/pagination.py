"""Relay-style connections over keyset windows (db/keyset.py, db/pages.py), page size
capped: ``first`` with ``after`` pages forward, ``last`` with ``before`` backward.

``first`` and ``last`` together are refused: the Relay specification allows them (the
first rows, then the last of those) but discourages it, and no client needs it. Without
either, a page is the first ``DEFAULT_PAGE_SIZE`` rows within the cursors.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import RowMapping

from db.keyset import VERSION, Key, KeyValue, KeyValues, Order
from db.pages import Page, Window
from domain.errors import InvalidValue
from schema.directives import PRINCIPAL

DEFAULT_PAGE_SIZE = 20
MAX_CURSOR = 4096  # characters: a key with a name of 300 characters, all escaped, fits
MAX_TEXT = 1000  # characters of a text key (the longest ordered text, a name, holds 300)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
FIRST_MOMENT = (datetime.min.replace(tzinfo=UTC) - EPOCH) // MICROSECOND
LAST_MOMENT = (datetime.max.replace(tzinfo=UTC) - EPOCH) // MICROSECOND

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool = strawberry.field(directives=PRINCIPAL)
    has_previous_page: bool = strawberry.field(directives=PRINCIPAL)
    start_cursor: str | None = strawberry.field(directives=PRINCIPAL)
    end_cursor: str | None = strawberry.field(directives=PRINCIPAL)


@strawberry.type
class Edge(Generic[T]):
    cursor: str = strawberry.field(directives=PRINCIPAL)
    node: T = strawberry.field(directives=PRINCIPAL)


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(directives=PRINCIPAL)
    page_info: PageInfo = strawberry.field(directives=PRINCIPAL)
    total_count: int = strawberry.field(directives=PRINCIPAL)


# --- cursors: a row's key, written and read (db/keyset.py describes the form) ------------


def cursor(order: Order, values: Sequence[KeyValue]) -> str:
    """The cursor of the row whose key is ``values``; PostgreSQL writes the same bytes
    (``Order.sql_cursor``)."""
    written = [_written(value) for value in values]
    text = VERSION + json.dumps(written, ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode()


def _written(value: KeyValue) -> int | str:
    if isinstance(value, datetime):
        return (value - EPOCH) // MICROSECOND
    return str(value)


def read_cursor(order: Order, given: object) -> KeyValues | None:
    """The key that ``given`` carries, or None when it is not a cursor of ``order``: not
    base64 of this version's JSON array, not as long as the order's key, a value not of
    its key's type or range, or not the text that ``cursor`` writes for these values."""
    if not isinstance(given, str) or len(given) > MAX_CURSOR:
        return None
    try:
        text = base64.b64decode(given.encode("ascii"), altchars=b"-_", validate=True).decode()
        written = json.loads(text.removeprefix(VERSION)) if text.startswith(VERSION) else None
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        return None
    if not isinstance(written, list) or len(written) != len(order.keys):
        return None
    values = [_read(key, value) for key, value in zip(order.keys, written, strict=True)]
    found = tuple(value for value in values if value is not None)
    if len(found) != len(order.keys) or cursor(order, found) != given:
        return None
    return found


def _read(key: Key, value: Any) -> KeyValue | None:
    if key.kind is datetime:
        if type(value) is not int or not FIRST_MOMENT <= value <= LAST_MOMENT:
            return None
        return EPOCH + value * MICROSECOND
    if not isinstance(value, str):
        return None
    if key.kind is uuid.UUID:
        try:
            return uuid.UUID(value) if len(value) == 36 else None
        except ValueError:
            return None
    if len(value) > MAX_TEXT or "\x00" in value:  # PostgreSQL's text holds no NUL
        return None
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate, from a "\ud800" in the JSON
        return None
    return value


# --- windows and connections ------------------------------------------------------------


def window(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    max_size: int,
    order: Order,
) -> Window:
    """The rows that the arguments ask for, in ``order``; bad values are the caller's error."""
    if first is not None and last is not None:
        raise InvalidValue(
            "last",
            "first and last cannot be given together: first (with after) pages forward, "
            "last (with before) backward.",
        )
    name, size = ("last", last) if last is not None else ("first", first)
    if size is None:
        size = min(DEFAULT_PAGE_SIZE, max_size)
    if not 0 <= size <= max_size:
        raise InvalidValue(name, f"{name} must be between 0 and {max_size}, not {size}.")
    return Window(
        size=size,
        after=_key(order, after, "after"),
        before=_key(order, before, "before"),
        from_end=last is not None,
    )


def _key(order: Order, given: str | None, name: str) -> KeyValues | None:
    if given is None:
        return None
    found = read_cursor(order, given)
    if found is None:
        raise InvalidValue(name, f"{name} is not a cursor returned by this connection.")
    return found


def connection(page: Page, node: Callable[[RowMapping], T]) -> Connection[T]:
    order = page.order
    edges = [Edge(cursor=cursor(order, order.values(row)), node=node(row)) for row in page.rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=page.total,
    )
