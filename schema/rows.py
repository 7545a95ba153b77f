"""Building GraphQL objects straight from result rows (no ORM objects in between)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from schema.ids import global_id

T = TypeVar("T")

_columns: dict[type[Any], tuple[str, tuple[str, ...]]] = {}


def _names(cls: type[Any]) -> tuple[str, tuple[str, ...]]:
    """The GraphQL name of ``cls`` and the fields filled from columns of the same name."""
    if cls not in _columns:
        _columns[cls] = (
            cls.__strawberry_definition__.name,
            tuple(
                f.name for f in dataclasses.fields(cls) if f.init and f.name not in {"id", "key"}
            ),
        )
    return _columns[cls]


def from_row(cls: type[T], row: Mapping[Any, Any], prefix: str = "") -> T:
    """``cls`` filled from the row's columns of the same names.

    ``key`` receives the row's UUID and ``id`` the global id of the type and that key.
    """
    key = row[prefix + "id"]
    type_name, names = _names(cls)
    values = {name: row[prefix + name] for name in names}
    build: Any = cls
    result: T = build(id=global_id(type_name, key), key=key, **values)
    return result
