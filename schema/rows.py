"""Building GraphQL objects straight from result rows (no ORM objects in between)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_columns: dict[type[Any], tuple[str, ...]] = {}


def _names(cls: type[Any]) -> tuple[str, ...]:
    if cls not in _columns:
        _columns[cls] = tuple(
            f.name for f in dataclasses.fields(cls) if f.init and f.name not in {"id", "key"}
        )
    return _columns[cls]


def from_row(cls: type[T], row: Mapping[Any, Any], prefix: str = "") -> T:
    """``cls`` filled from the row's columns of the same names.

    ``key`` receives the row's UUID and ``id`` its text form, the GraphQL ID.
    """
    key = row[prefix + "id"]
    values = {name: row[prefix + name] for name in _names(cls)}
    build: Any = cls
    result: T = build(id=str(key), key=key, **values)
    return result
