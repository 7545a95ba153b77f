"""Keyset pagination: a connection's order as a key, the cursor that carries one row's
key, and the conditions that resume a walk strictly after or before it.

Every connection's order ends in a unique column (the row's id), so the values of a
row in the order's columns name one position among the rows, which stays where it is
whatever is inserted or deleted around it. The next page is "the rows after that
position", not "the rows after the first N": a row created or removed between two
fetches never makes another appear twice or not at all.

A cursor is the urlsafe base64 (padded) of ``k1:`` and the JSON array of those values:
a timestamp as the microseconds since 1970-01-01 UTC (an integer: exact, and the same
text from Python and from PostgreSQL whatever the session's time zone), a uuid in its
canonical text, a text as itself. They are the row's own values, never global ids
(schema/ids.py), which may change form without breaking a client's saved cursors.
Python writes and reads cursors in schema/pagination.py (db/ parses no JSON); the
compiled read path has PostgreSQL write the very same bytes (``Order.sql_cursor``:
``json_build_array`` separates items with ", " and escapes strings as
``json.dumps(ensure_ascii=False)`` does).

Reading one back is strict (schema/pagination.py): the version, the array's length and
each value's type must be this order's, and the text must be exactly what would be
written for those values, so that one position has one cursor; anything else is bad
input. A cursor of another connection whose key has the same
shape (cases' and movements' are both a time and a uuid) positions itself by its
values: it carries only what the client was shown, and the rows it pages through are
still only those the viewer may read.

The order's columns must be NOT NULL (``Order.of`` checks): NULL has no place in a
row-value comparison, and none of the ordered columns needs it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

VERSION = "k1:"

KeyValue = datetime | uuid.UUID | str
KeyValues = tuple[KeyValue, ...]
KINDS: tuple[tuple[type[sa.types.TypeEngine[Any]], type], ...] = (
    (sa.DateTime, datetime),
    (sa.Uuid, uuid.UUID),
    (sa.String, str),
)


@dataclass(frozen=True, slots=True)
class Key:
    """One column of an order, its direction, and the Python type of its values."""

    column: sa.Column[Any]
    descending: bool
    kind: type

    def directed(self, *, reverse: bool = False) -> sa.ColumnElement[Any]:
        return self.column.desc() if self.descending != reverse else self.column.asc()

    def sql_written(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """The value as the cursor's JSON holds it, of ``column`` (this key's column in
        some subquery)."""
        if self.kind is datetime:
            return sa.cast(sa.extract("epoch", column) * 1_000_000, sa.BigInteger())
        if self.kind is uuid.UUID:
            return sa.cast(column, sa.Text())
        return column


@dataclass(frozen=True, slots=True)
class Order:
    """A connection's order: its keys, the last of them unique."""

    keys: tuple[Key, ...]

    @classmethod
    def of(cls, clauses: Sequence[sa.ColumnElement[Any]]) -> Order:
        """The order of ``clauses`` (columns, ascending unless ``.desc()``)."""
        keys = []
        for clause in clauses:
            descending = isinstance(clause, UnaryExpression) and clause.modifier in (
                operators.desc_op,
            )
            column = clause.element if isinstance(clause, UnaryExpression) else clause
            assert isinstance(column, sa.Column), f"an order key must be a column: {clause}"
            assert not column.nullable, f"an order key must be NOT NULL: {column}"
            stored = column.type
            if isinstance(stored, sa.TypeDecorator):  # SQLModel's AutoString
                stored = stored.impl_instance
            kinds = [kind for sql_type, kind in KINDS if isinstance(stored, sql_type)]
            assert kinds, f"no cursor form for {column}'s {column.type}"
            keys.append(Key(column, descending, kinds[0]))
        return cls(tuple(keys))

    def clauses(self, *, reverse: bool = False) -> list[sa.ColumnElement[Any]]:
        """ORDER BY this order, or its reverse (the last rows first)."""
        return [key.directed(reverse=reverse) for key in self.keys]

    # Where a row lies.

    def following(self, values: Sequence[Any]) -> sa.ColumnElement[bool]:
        """The rows strictly after the row whose key is ``values`` (Python values, or
        bound parameters of the columns' types)."""
        return self._beyond(values, reverse=False)

    def preceding(self, values: Sequence[Any]) -> sa.ColumnElement[bool]:
        """The rows strictly before it."""
        return self._beyond(values, reverse=True)

    def _beyond(self, values: Sequence[Any], *, reverse: bool) -> sa.ColumnElement[bool]:
        bound = [
            value if isinstance(value, sa.ColumnElement) else sa.literal(value, key.column.type)
            for key, value in zip(self.keys, values, strict=True)
        ]
        greater = [key.descending == reverse for key in self.keys]
        if len(set(greater)) == 1:  # one direction: a row-value comparison, which indexes serve
            columns, given = sa.tuple_(*(k.column for k in self.keys)), sa.tuple_(*bound)
            return columns > given if greater[0] else columns < given
        # Mixed directions: (a > :a) OR (a = :a AND b < :b) OR …
        alternatives = []
        for n, (key, value) in enumerate(zip(self.keys, bound, strict=True)):
            equal = [k.column == v for k, v in zip(self.keys[:n], bound[:n], strict=True)]
            beyond = key.column > value if greater[n] else key.column < value
            alternatives.append(sa.and_(*equal, beyond))
        return sa.or_(*alternatives)

    # Cursors.

    def values(self, row: Mapping[Any, Any]) -> KeyValues:
        """The key of a result row (its columns by their names)."""
        return tuple(row[key.column.name] for key in self.keys)

    def sql_cursor(self, columns: Sequence[sa.ColumnElement[Any]]) -> sa.ColumnElement[str]:
        """The cursor of the row whose keys' columns are ``columns`` (in some subquery),
        byte for byte as ``schema.pagination.cursor`` writes it."""
        written = sa.func.json_build_array(
            *(key.sql_written(column) for key, column in zip(self.keys, columns, strict=True))
        )
        text = sa.literal_column(f"'{VERSION}'", sa.Text()).op("||")(sa.cast(written, sa.Text()))
        encoded = sa.func.encode(
            sa.func.convert_to(text, sa.literal_column("'UTF8'")), sa.literal_column("'base64'")
        )
        # urlsafe, and without the line breaks that PostgreSQL puts every 76 characters
        return sa.func.translate(encoded, sa.literal_column("E'+/\\n'"), sa.literal_column("'-_'"))
