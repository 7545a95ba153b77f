"""Court data's SQL: the folders a process matches, and its movements added once."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert

from db.scope import visible_cases
from db.session import Db
from db.tables import Source, cases, movements, offices
from domain.errors import InvalidValue
from domain.viewer import Role, Viewer

NO_ACCOUNT = uuid.UUID(int=0)
# A court movement: when, what, its TPU code and the key that makes it unique (court/datajud.py).
CourtRow = tuple[datetime, str, int | None, bytes]


async def office_importer(db: Db, *, slug: str) -> Viewer:
    """The viewer the command line imports as: staff of the office, with no account.

    Court movements have no author, so nothing it writes refers to the account.
    """
    office_id = await db.scalar(sa.select(offices.c.id).where(offices.c.slug == slug))
    if office_id is None:
        raise InvalidValue(
            "office", f"No office has the slug {slug!r} (`causa create-admin` prints it)."
        )
    return Viewer(
        account_id=NO_ACCOUNT,
        office_id=office_id,
        role=Role.LAWYER,
        email="",
        name="DataJud import",
        session_id=NO_ACCOUNT,
    )


async def folders_by_number(
    db: Db, *, viewer: Viewer, numbers: set[str], fields: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """The viewer's folders with these CNJ numbers, with their columns named in ``fields``."""
    if not numbers:
        return {}
    rows = await db.rows(
        sa.select(cases.c.id, cases.c.cnj_number, *(cases.c[name] for name in fields))
        .where(visible_cases(viewer), cases.c.cnj_number.in_(numbers))
        .order_by(cases.c.created_at, cases.c.id)
    )
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row["cnj_number"]].append(dict(row))
    return found


async def add_court_movements(
    db: Db, *, viewer: Viewer, case_id: uuid.UUID, movements: Sequence[CourtRow]
) -> int:
    """Add the movements the folder does not have yet; how many were added."""
    result = await db.execute(_insert_movements(viewer.office_id, case_id, movements))
    return len(result.all())


async def fill_empty_fields(
    db: Db, *, viewer: Viewer, case_id: uuid.UUID, values: Mapping[str, object]
) -> None:
    """Set the folder's fields that are still empty; never overwrite one."""
    await db.execute(
        sa.update(cases)
        .where(visible_cases(viewer), cases.c.id == case_id)
        .values(
            {name: sa.func.coalesce(cases.c[name], value) for name, value in values.items()}
            | {"updated_at": sa.func.now()}
        )
    )


def _array(values: list[Any], item: sa.types.TypeEngine[Any]) -> sa.ColumnElement[Any]:
    """A parameter holding a list (asyncpg passes it typed, as ``$1::type[]``)."""
    return sa.literal(values, ARRAY(item))


def _insert_movements(
    office_id: uuid.UUID, case_id: uuid.UUID, rows: Sequence[CourtRow]
) -> sa.Insert:
    """One statement for all the movements of a process: its columns passed as arrays.

    The statement is the same whatever their number, so it is compiled once.
    """
    occurred_at, description, code, key = (list(column) for column in zip(*rows, strict=True))
    given = sa.func.unnest(
        _array(occurred_at, sa.DateTime(timezone=True)),
        _array(description, sa.String()),
        _array(code, sa.Integer()),
        _array(key, sa.LargeBinary()),
    ).table_valued("occurred_at", "description", "code", "court_key")
    given = given.render_derived(name="given")
    columns = ["office_id", "case_id", "source", "occurred_at", "description", "code", "court_key"]
    selected = sa.select(
        sa.literal(office_id, sa.Uuid()),
        sa.literal(case_id, sa.Uuid()),
        sa.literal(Source.COURT.value, sa.String()),
        given.c.occurred_at,
        given.c.description,
        given.c.code,
        given.c.court_key,
    )
    return (
        insert(movements)
        .from_select(columns, selected, include_defaults=False)  # the server numbers the ids
        .on_conflict_do_nothing(
            index_elements=["office_id", "case_id", "court_key"],
            index_where=movements.c.court_key.is_not(None),
        )
        .returning(movements.c.id)
    )
