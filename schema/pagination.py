"""Relay-style connections over offset windows, page size capped."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry
from sqlalchemy import RowMapping

from db.pages import Page, Window
from domain.errors import InvalidValue
from schema.directives import PRINCIPAL

DEFAULT_PAGE_SIZE = 20
_PREFIX = "offset:"
_OFFSET = re.compile(r"[0-9]+")  # not int()'s grammar, which takes " +1_0" and Arabic-Indic digits
_LAST_ROW = 2**63 - 1  # PostgreSQL's bigint: the end of a window must be countable
_NOT_A_CURSOR = "after is not a cursor returned by this connection."

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


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def window(first: int | None, after: str | None, *, max_size: int) -> Window:
    """The rows that ``first``/``after`` ask for; bad values are the caller's error."""
    limit = min(DEFAULT_PAGE_SIZE, max_size) if first is None else first
    if not 0 <= limit <= max_size:
        raise InvalidValue("first", f"first must be between 0 and {max_size}, not {limit}.")
    if after is None:
        return Window(offset=0, limit=limit)
    try:
        text = base64.urlsafe_b64decode(after.encode()).decode()
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidValue("after", _NOT_A_CURSOR) from None
    digits = text.removeprefix(_PREFIX) if text.startswith(_PREFIX) else ""
    if not _OFFSET.fullmatch(digits) or len(digits) > len(str(_LAST_ROW)):
        raise InvalidValue("after", _NOT_A_CURSOR)
    offset = int(digits) + 1
    if offset + limit > _LAST_ROW:  # no table holds that many rows
        raise InvalidValue("after", _NOT_A_CURSOR)
    return Window(offset=offset, limit=limit)


def connection(page: Page, node: Callable[[RowMapping], T]) -> Connection[T]:
    start = page.window.offset
    edges = [Edge(cursor=cursor(start + i), node=node(row)) for i, row in enumerate(page.rows)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=start + len(edges) < page.total,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=page.total,
    )
