"""Answers built whole in PostgreSQL: the rows of each relation a read can follow, and
the JSON that one statement makes of them (the compiled read path: schema/compiled.py).

A relation's rows come from the same scoped queries, in the same order, as the
executor's loaders (db/scope.py, the third lock), and row-level security binds the
statement too (the fourth). The viewer appears in it only as ``causa_office()``,
``causa_person()`` and ``causa_account()``, the settings that the session check gives
the transaction, so one statement serves every viewer of a role. Values that vary
between requests (pages, searches, ids) are parameters named ``{prefix}_{name}``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import iterate

from db import documents as document_rows
from db import movements as movement_rows
from db import outbox, staff
from db import tasks as task_rows
from db.cases import NEWEST_FIRST as CASES_NEWEST_FIRST
from db.cases import PARTIES_IN_ORDER, cases_of_persons_query, cases_query, parties_query
from db.keyset import Order
from db.persons import BY_NAME as PERSONS_BY_NAME
from db.persons import persons_query
from db.portal import access_query
from db.scope import visible_cases, visible_persons
from db.search import parameters as search_parameters
from db.session import begin_read_only_as
from db.staff import staff_query
from db.tables import (
    accounts,
    case_parties,
    cases,
    documents,
    movements,
    persons,
    tasks,
)
from db.tasks import tasks_query
from domain.viewer import Role, Viewer

Json = sa.ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class Row:
    """A row of a relation in the statement: a table or subquery, whose columns may
    carry a prefix (a case party's row holds its person's columns as ``person_*``)."""

    table: sa.FromClause
    prefix: str = ""

    def __getitem__(self, name: str) -> sa.ColumnElement[Any]:
        return self.table.c[self.prefix + name]

    def __contains__(self, name: str) -> bool:
        return self.prefix + name in self.table.c


Parent = Row | None
Bind = Callable[[str, sa.types.TypeEngine[Any]], sa.BindParameter[Any]]


def viewer_of_role(role: Role) -> Viewer:
    """A viewer whose ids are the transaction's settings rather than values."""

    def setting(name: str) -> uuid.UUID:
        return cast(uuid.UUID, getattr(sa.func, name)())

    return Viewer(
        account_id=setting("causa_account"),
        office_id=setting("causa_office"),
        role=role,
        email="",
        name="",
        session_id=uuid.UUID(int=0),
        person_id=setting("causa_person"),
    )


@dataclass(frozen=True, slots=True)
class Rows:
    """The rows of a relation, and their order."""

    query: sa.Select[Any]
    order: Sequence[sa.ColumnElement[Any]] = ()


Relation = Callable[[Viewer, Parent, Bind], Rows]


def _parent(parent: Parent) -> Row:
    assert parent is not None, "a nested relation needs its parent's rows"
    return parent


# --- the relations: one row at most -----------------------------------------------------------


def case_by_id(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = sa.select(cases).where(visible_cases(viewer), cases.c.id == bind("id", sa.Uuid()))
    return Rows(query)


def person_by_id(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = sa.select(persons).where(visible_persons(viewer), persons.c.id == bind("id", sa.Uuid()))
    return Rows(query)


def viewer_person(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    return Rows(sa.select(persons).where(visible_persons(viewer), persons.c.id == viewer.person_id))


def staff_member(column: str) -> Relation:
    """The staff member that the parent's ``column`` names."""

    def relation(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
        query = staff_query(viewer, include_disabled=sa.true())
        return Rows(query.where(accounts.c.id == _parent(parent)[column]))

    return relation


def portal_access(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    return Rows(access_query(viewer).where(accounts.c.person_id == _parent(parent)["id"]))


# --- the relations: lists ---------------------------------------------------------------------


def case_parties_of(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    """A case's parties, each with its person's columns prefixed ``person_``."""
    query = parties_query(viewer).where(case_parties.c.case_id == _parent(parent)["id"])
    return Rows(query, PARTIES_IN_ORDER)


def case_tasks(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = tasks_query(viewer).where(tasks.c.case_id == _parent(parent)["id"])
    return Rows(query, task_rows.OPEN_FIRST)


def staff_members(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = staff_query(viewer, include_disabled=bind("include_disabled", sa.Boolean()))
    return Rows(query, staff.BY_NAME)


# --- the relations: pages ---------------------------------------------------------------------


def case_page(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    search = search_parameters(bind)
    query = cases_query(viewer, search=search, status=bind("status", sa.String()))
    return Rows(query.order_by(None), CASES_NEWEST_FIRST)


def person_page(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = persons_query(viewer, search=search_parameters(bind))
    return Rows(query.order_by(None), PERSONS_BY_NAME)


def outbox_page(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = outbox.messages_query(viewer, status=bind("status", sa.String()))
    return Rows(query, outbox.NEWEST_FIRST)


def case_movements(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = movement_rows.movements_query(viewer).where(
        movements.c.case_id == _parent(parent)["id"]
    )
    return Rows(query, movement_rows.NEWEST_FIRST)


def case_documents(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = document_rows.documents_query(viewer).where(
        documents.c.case_id == _parent(parent)["id"]
    )
    return Rows(query, document_rows.NEWEST_FIRST)


def person_cases(viewer: Viewer, parent: Parent, bind: Bind) -> Rows:
    query = cases_of_persons_query(viewer).where(case_parties.c.person_id == _parent(parent)["id"])
    return Rows(query, CASES_NEWEST_FIRST)


# --- JSON ---------------------------------------------------------------------------------------


def text(value: str) -> Json:
    """A constant string, written into the statement."""
    return sa.literal_column("'" + value.replace("'", "''") + "'", sa.Text())


def json_object(pairs: Sequence[tuple[str, Json]]) -> Json:
    arguments: list[Json] = []
    for key, value in pairs:
        arguments += [text(key), value]
    return sa.func.json_build_object(*arguments)


def date_time(column: Json) -> Json:
    """As Python's ``isoformat()`` writes a UTC time: no fraction when it is zero. One
    ``to_char`` whose pattern is chosen per value (a regular expression over every value
    cost a fifth of a client read)."""
    utc = sa.func.timezone("UTC", column)
    pattern = sa.case(
        (sa.func.date_trunc(text("second"), utc) == utc, text('YYYY-MM-DD"T"HH24:MI:SS"+00:00"')),
        else_=text('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
    )
    return sa.func.to_char(utc, pattern)


def date(column: Json) -> Json:
    return sa.func.to_char(column, text("YYYY-MM-DD"))


def as_text(column: Json) -> Json:
    return sa.cast(column, sa.Text())


def global_id(type_name: str, keys: Sequence[Json]) -> Json:
    """schema/ids.py's global id of ``type_name`` and its key (the ``keys`` joined by
    ":"). PostgreSQL's base64 breaks lines every 76 characters: a key that long (a case
    party's) has them taken out."""
    written = text(type_name + ":")
    for n, key in enumerate(keys):
        written = written.op("||")(
            sa.cast(key, sa.Text()) if n == 0 else text(":").op("||")(sa.cast(key, sa.Text()))
        )
    base64 = sa.func.encode(sa.func.convert_to(written, text("UTF8")), text("base64"))
    if len(type_name) + 1 + 37 * len(keys) - 1 <= BASE64_LINE:
        return base64
    return sa.func.translate(base64, text("\n"), text(""))


def explanation(code: Json, description: Json, table: Json, capitals: tuple[str, str]) -> Json:
    """court/explanations.py's ``explain`` of a movement, in SQL: the first of the code's
    choices in ``table`` (a JSON object, code → [[text contained, explanation], …]) whose
    text the description, with its ``capitals`` lowered, contains. NULL for a code that
    the table does not hold, or no code. ``table`` is bound once per statement and read
    as an InitPlan, not once per row."""
    lookup = sa.select(sa.cast(table, JSONB)).scalar_subquery()
    choices = (
        sa.func.jsonb_array_elements(lookup.op("->", return_type=JSONB)(sa.cast(code, sa.Text())))
        .table_valued("value", with_ordinality="n")
        .render_derived()
    )
    lowered = sa.func.translate(description, text(capitals[0]), text(capitals[1]))
    contained = choices.c.value.op("->>", return_type=sa.Text())(sa.literal_column("0"))
    chosen = choices.c.value.op("->>", return_type=sa.Text())(sa.literal_column("1"))
    first = sa.select(chosen).where(sa.func.strpos(lowered, contained) > 0)
    return first.order_by(choices.c.n).limit(1).scalar_subquery()


BASE64_LINE = 57  # bytes that PostgreSQL's base64 writes on one line (76 characters)
EMPTY_LIST: Json = sa.literal_column("'[]'::json")


def one(rows: Rows, build: Callable[[Row], Json]) -> Json:
    found = rows.query.subquery()
    return sa.select(build(Row(found))).select_from(found).limit(1).scalar_subquery()


def with_order_keys(rows: Rows) -> sa.Select[Any]:
    """The rows with the columns that their order sorts on (a case party's ``created_at``
    is not among its columns), so that a query over them can sort them again."""
    keys = [c for order in rows.order for c in iterate(order) if isinstance(c, sa.Column)]
    return rows.query.add_columns(*(c.label(f"order_{n}") for n, c in enumerate(keys)))


def order_over(rows: Rows, found: sa.Subquery) -> list[sa.ColumnElement[Any]]:
    """The rows' order, over ``found``, a subquery of ``with_order_keys(rows)``."""
    return [ClauseAdapter(found).traverse(column) for column in rows.order]


def many(rows: Rows, build: Callable[[Row], Json]) -> Json:
    """The rows' JSON array, aggregated in the relation's order."""
    listed = with_order_keys(rows).subquery()
    items = sa.func.json_agg(aggregate_order_by(build(Row(listed)), *order_over(rows, listed)))
    return sa.select(sa.func.coalesce(items, EMPTY_LIST)).select_from(listed).scalar_subquery()


@dataclass(frozen=True, slots=True)
class Page:
    """A window of a relation by keyset (db/keyset.py), answering as db/pages.py does:
    ``rows`` holds the window's rows only, in no order (``order`` is theirs, over it),
    and neither a row number nor an offset is needed.

    The cursors and the direction are bound parameters, so that one statement serves
    every request of a document; only the arguments that the document writes (as values
    or variables) are compiled in. A document without ``after``/``before`` has no
    condition on the key, and one without ``last`` walks in the relation's order alone:
    the usual read is the plain ``ORDER BY … LIMIT`` that the relation's index serves.
    With ``last``, the walk sorts first on each key when ``from_end`` (a CASE that is
    NULL, so of no effect, for a walk from the start), then in the relation's order.
    """

    rows: sa.Subquery
    total: Json
    order: Sequence[sa.ColumnElement[Any]]  # the relation's order, over ``rows``
    keyset: Order
    has_next_page: Json
    has_previous_page: Json

    @classmethod
    def of(cls, rows: Rows, bind: Bind, *, given: Collection[str]) -> Page:
        """The window that the arguments bind (``limit``, ``has_after``, ``after_0``…,
        ``has_before``, ``before_0``…, ``from_end``), of those in ``given`` only."""
        keyset = Order.of(rows.order)
        size = bind("limit", sa.BigInteger())
        conditions: list[sa.ColumnElement[bool]] = []
        beyond: dict[str, Json] = {}
        for name, resume in (("after", keyset.following), ("before", keyset.preceding)):
            if name in given:
                is_given = bind(f"has_{name}", sa.Boolean())
                key = [bind(f"{name}_{n}", k.column.type) for n, k in enumerate(keyset.keys)]
                conditions.append(sa.or_(sa.not_(is_given), resume(key)))
                outside = rows.query.where(sa.not_(resume(key))).exists()
                beyond[name] = sa.and_(is_given, outside)
        walk = keyset.clauses()
        from_end = bind("from_end", sa.Boolean()) if "last" in given else None
        if from_end is not None:
            walk = [
                sa.case((from_end, key.column)).asc()
                if key.descending
                else sa.case((from_end, key.column)).desc()
                for key in keyset.keys
            ] + walk
        query = with_order_keys(rows).where(*conditions)
        window = query.order_by(*walk).limit(size).subquery()
        within = rows.query.where(*conditions).limit(size + 1).subquery()
        more = sa.select(sa.func.count()).select_from(within).scalar_subquery() > size
        after, before = beyond.get("after", sa.false()), beyond.get("before", sa.false())
        if from_end is None:
            has_next, has_previous = more, after
        else:
            has_next = sa.case((from_end, before), else_=more)
            has_previous = sa.case((from_end, more), else_=after)
        total = sa.select(sa.func.count()).select_from(rows.query.subquery()).scalar_subquery()
        order = order_over(rows, window)
        return cls(window, total, order, keyset, has_next, has_previous)

    @property
    def count(self) -> Json:
        return sa.func.count()

    @property
    def row_cursor(self) -> Json:
        adapter = ClauseAdapter(self.rows)
        return self.keyset.sql_cursor([adapter.traverse(key.column) for key in self.keyset.keys])

    def edges(self, edge: Json) -> Json:
        items = sa.func.json_agg(aggregate_order_by(edge, *self.order))
        return sa.func.coalesce(items, EMPTY_LIST)

    @property
    def start_cursor(self) -> Json:
        return self._first_cursor(self.order)

    @property
    def end_cursor(self) -> Json:
        adapter = ClauseAdapter(self.rows)
        return self._first_cursor([adapter.traverse(c) for c in self.keyset.clauses(reverse=True)])

    def _first_cursor(self, order: Sequence[sa.ColumnElement[Any]]) -> Json:
        """The cursor of the first row in ``order``; NULL for an empty window."""
        cursors = sa.func.json_agg(aggregate_order_by(self.row_cursor, *order))
        return cursors.op("->>", return_type=sa.Text())(sa.literal_column("0"))

    def answer(self, value: Json) -> Json:
        """``value`` over the window: one row, however many the window holds (even none:
        an empty grouping set makes one group)."""
        everything: Json = sa.literal_column("()")
        return sa.select(value).select_from(self.rows).group_by(everything).scalar_subquery()


# --- the statement ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Statement:
    """A compiled answer: its SQL, and where each parameter's value comes from."""

    sql: str
    names: tuple[str, ...]  # the parameters, in order ($1, $2, …)
    constants: Mapping[str, Any]  # the values written in the query itself (COURT, …)

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        constants = self.constants
        return [values[name] if name in values else constants[name] for name in self.names]


def statement(data: Json, dialect: Dialect) -> Statement:
    """The one statement that answers with the ``data`` object as JSON text."""
    query = sa.select(sa.cast(data, sa.Text()))
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    processors: Mapping[str, Any] = compiled._bind_processors  # the dialect's value adapters
    constants = {}
    for name, value in compiled.params.items():
        process = processors.get(name)
        constants[name] = process(value) if process is not None and value is not None else value
    return Statement(compiled.string, tuple(compiled.positiontup or ()), constants)


class TooComplex(Exception):
    """PostgreSQL refused the statement as past one of its limits (SQLSTATE class 54:
    too many columns, too deep an expression, …)."""


@asynccontextmanager
async def checked(
    engine: AsyncEngine, check: str, parameters: Sequence[Any]
) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Record | None]]:
    """A pooled connection, driven by asyncpg itself, and the session check run on it
    first, outside any transaction: the scope it sets ends with it, and an answer
    found stored needs nothing more (one round trip).

    A connection that the server closed while it was pooled fails that first statement;
    it is dropped, with every pooled connection as old as it (a restarted server closed
    them all), and the check run once more on a fresh one (there is no pre-ping).
    """
    for attempt in (1, 2):
        async with engine.connect() as connection:
            pooled = await connection.get_raw_connection()
            driver = pooled.driver_connection
            assert isinstance(driver, asyncpg.Connection)
            try:
                row = await driver.fetchrow(check, *parameters)
            except Exception as error:
                if attempt == 2 or not _dead(driver, error):
                    raise
                # as SQLAlchemy does on a disconnect: the pool's other connections, as
                # old as this one, are renewed as they are next taken
                engine.sync_engine.pool._invalidate(pooled, error)
                continue
            try:
                yield driver, row
            except BaseException:
                if driver.is_closed():
                    await connection.invalidate()
                raise
            return


def _dead(driver: asyncpg.Connection, error: Exception) -> bool:
    """Whether ``error`` says the connection is gone (the server ended it, or the driver
    lost track of it), rather than that the statement failed."""
    lost = (
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
        asyncpg.PostgresConnectionError,
        OSError,
    )
    if driver.is_closed() or isinstance(error, lost):
        return True
    return isinstance(error, asyncpg.PostgresError) and str(error.sqlstate).startswith("57P")


async def answer(
    driver: asyncpg.Connection, viewer: Viewer, statement: Statement, values: Mapping[str, Any]
) -> str:
    """The statement's JSON, read in a read-only transaction scoped to ``viewer``: three
    round trips (BEGIN with the scope, the statement, COMMIT)."""
    await driver.execute(begin_read_only_as(viewer))
    try:
        data: str = await driver.fetchval(statement.sql, *statement.arguments(values))
    except BaseException as error:
        if not driver.is_closed():
            await driver.execute("ROLLBACK")
        if isinstance(error, asyncpg.PostgresError) and str(error.sqlstate).startswith("54"):
            raise TooComplex(str(error)) from error
        raise
    await driver.execute("COMMIT")
    return data
