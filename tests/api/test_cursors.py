"""Cursors are keyset positions: paging on after rows are added and removed repeats and
skips nothing, forward (first/after) and backward (last/before), on both read paths,
and every connection's cursors are the same bytes whichever path wrote them.

Two apps serve one database: one whose reads are compiled (no answer stored, so each
read runs), one whose reads all go through the executor.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db.cases import PAGE_ORDER as CASES
from db.documents import PAGE_ORDER as DOCUMENTS
from db.movements import PAGE_ORDER as MOVEMENTS
from db.outbox import PAGE_ORDER as OUTBOX
from db.persons import PAGE_ORDER as PERSONS
from schema.pagination import cursor, read_cursor
from settings import Settings
from tests.factories import (
    PDF,
    Staff,
    add_movement,
    add_party,
    create_case,
    create_person,
    grant,
    key_of,
    new_office,
    unique_email,
    upload_document,
)
from tests.graphql_client import data, error, gql
from tests.serving import Served, http_client, serving

PAGE = """
fragment Page on {connection} {{
  totalCount
  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
  edges {{ cursor node {{ id }} }}
}}
"""
ARGUMENTS = "(first: $first, after: $after, last: $last, before: $before) { ...Page }"
PARENT = "$id: ID!, "
VARIABLES = "$first: Int, $after: String, $last: Int, $before: String"
CONNECTIONS = {  # name -> (document, where the connection is in the data)
    "cases": (f"query Q({VARIABLES}) {{ cases{ARGUMENTS} }}", "CaseConnection"),
    "persons": (
        f"query Q({VARIABLES}) {{ persons{ARGUMENTS} }}",
        "PersonConnection",
    ),
    "outbox": (
        f"query Q({VARIABLES}) {{ outbox{ARGUMENTS} }}",
        "OutboxMessageConnection",
    ),
    "person.cases": (
        f"query Q({PARENT}{VARIABLES}) {{ person(id: $id) {{ cases{ARGUMENTS} }} }}",
        "CaseConnection",
    ),
    "case.movements": (
        f"query Q({PARENT}{VARIABLES}) {{ case(id: $id) {{ movements{ARGUMENTS} }} }}",
        "MovementConnection",
    ),
    "case.documents": (
        f"query Q({PARENT}{VARIABLES}) {{ case(id: $id) {{ documents{ARGUMENTS} }} }}",
        "DocumentConnection",
    ),
}
NASTY_NAMES = [
    'Aspas "duplas" e \\ barra',
    "Barra / ponto-e-vírgula; <tag> & 'apóstrofo'",
    "Çãé 日本 😀",
    "Ana",
    "Ana",  # the same name twice: the id breaks the tie
    "Z" * 300,  # a cursor longer than PostgreSQL's base64 line
]


def _document(name: str) -> str:
    query, connection = CONNECTIONS[name]
    return query + PAGE.format(connection=connection)


def _connection(body: dict[str, Any], name: str) -> dict[str, Any]:
    found = data(body)
    for part in name.split("."):
        found = found[part]
    return found


@pytest.fixture(scope="module")
async def compiled(settings: Settings) -> AsyncIterator[Served]:
    async with serving(settings.model_copy(update={"answer_cache_mb": 0})) as app:
        yield app


@pytest.fixture(scope="module")
async def executor(settings: Settings) -> AsyncIterator[Served]:
    async with serving(settings.model_copy(update={"compiled_reads": False})) as app:
        yield app


@dataclass
class Path:
    name: str
    http: httpx.AsyncClient
    app: Served

    def compiled_reads(self) -> int:
        reads = self.app.state["reads"]
        return 0 if reads is None else int(reads.counts["compiled"])


@pytest.fixture(params=["compiled", "executor"])
async def path(
    request: pytest.FixtureRequest, compiled: Served, executor: Served
) -> AsyncIterator[Path]:
    app = compiled if request.param == "compiled" else executor
    async with http_client(app) as http:
        yield Path(request.param, http, app)


# --- pages after a change ------------------------------------------------------------------

FORWARD = """
query Cases($first: Int, $after: String) {
  cases(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { title } }
  }
}
"""
BACKWARD = """
query Cases($last: Int, $before: String) {
  cases(last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor } edges { node { title } }
  }
}
"""


async def _cases(path: Path, office: Staff, titles: list[str]) -> dict[str, str]:
    return {
        title: (await create_case(path.http, office.token, title=title))["id"] for title in titles
    }


async def _delete_case(owner_engine: AsyncEngine, case_id: str) -> None:
    async with owner_engine.begin() as connection:
        await connection.execute(
            sa.text('DELETE FROM "case" WHERE id = :id'), {"id": key_of(case_id)}
        )


async def _case_row(owner_engine: AsyncEngine, case_id: str) -> Any:
    async with owner_engine.connect() as connection:
        found = await connection.execute(
            sa.text('SELECT created_at, id FROM "case" WHERE id = :id'), {"id": key_of(case_id)}
        )
        return found.mappings().one()


def _titles(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["title"] for edge in page["edges"]]


async def test_a_case_added_before_the_cursor_and_one_removed_after_it_repeat_and_skip_nothing(
    path: Path, owner_engine: AsyncEngine
) -> None:
    # given five cases, newest first: C5 C4 C3 C2 C1, and the first page read
    office = await new_office(path.http, path.app.state["engine"])
    ids = await _cases(path, office, ["C1", "C2", "C3", "C4", "C5"])
    first_page = data(await gql(path.http, office.token, FORWARD, {"first": 2}))["cases"]
    assert _titles(first_page) == ["C5", "C4"]
    after = first_page["pageInfo"]["endCursor"]

    # when a case is created (it sorts first) and C2 deleted before the next page is read
    await create_case(path.http, office.token, title="C6")
    await _delete_case(owner_engine, ids["C2"])
    compiled_before = path.compiled_reads()
    second_page = data(await gql(path.http, office.token, FORWARD, {"first": 2, "after": after}))

    # then the page goes on after C4 in the new order: C6 C5 C4 | C3 C1
    assert second_page["cases"] == {
        "totalCount": 5,
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": True,
            "endCursor": cursor(CASES, CASES.values(await _case_row(owner_engine, ids["C1"]))),
        },
        "edges": [{"node": {"title": "C3"}}, {"node": {"title": "C1"}}],
    }
    assert path.compiled_reads() - compiled_before == (path.name == "compiled")


async def test_paging_backward_after_a_change_repeats_and_skips_nothing(
    path: Path, owner_engine: AsyncEngine
) -> None:
    # given five cases, newest first: C5 C4 C3 C2 C1, and the last page read
    office = await new_office(path.http, path.app.state["engine"])
    ids = await _cases(path, office, ["C1", "C2", "C3", "C4", "C5"])
    last_page = data(await gql(path.http, office.token, BACKWARD, {"last": 2}))["cases"]
    assert _titles(last_page) == ["C2", "C1"]
    assert last_page["pageInfo"] | {"startCursor": None} == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
    }

    # when C4 is deleted and C6 created (both before the page read) before the previous page
    await _delete_case(owner_engine, ids["C4"])
    await create_case(path.http, office.token, title="C6")
    before = last_page["pageInfo"]["startCursor"]
    previous = data(await gql(path.http, office.token, BACKWARD, {"last": 2, "before": before}))

    # then it is the two cases right before C2 in the new order: C6 C5 | C3 | C2 C1
    assert _titles(previous["cases"]) == ["C5", "C3"]
    assert previous["cases"]["pageInfo"]["hasPreviousPage"] is True
    assert previous["cases"]["pageInfo"]["hasNextPage"] is True
    assert previous["cases"]["totalCount"] == 5


# --- every connection walked both ways, and its cursors the same on both paths -------------


@dataclass
class World:
    token: str
    ids: dict[str, str]  # variables: the person and the case whose connections are walked


@pytest.fixture(scope="module")
async def world(compiled: Served) -> World:
    """An office with persons of awkward names, a case of movements (two at the same
    moment) and documents, a person party to four cases, and e-mails in the outbox."""
    async with http_client(compiled) as http:
        office = await new_office(http, compiled.state["engine"])
        persons = [(await create_person(http, office.token, name=n))["id"] for n in NASTY_NAMES]
        cases = [(await create_case(http, office.token, title=f"Caso {n}"))["id"] for n in range(5)]
        for n, case_id in enumerate(cases[:4]):
            await add_party(http, office, case_id, persons[0], is_client=n % 2 == 0)
        moments = ["01T10:00:00", "02T10:00:00", "02T10:00:00", "03T10:00:00.300001", "02T10:00:00"]
        for n, moment in enumerate(moments):
            await add_movement(
                http,
                office.token,
                cases[0],
                occurredAt=f"2024-05-{moment}-03:00",
                description=f"Andamento {n}",
            )
        for n in range(3):
            await upload_document(http, office.token, cases[0], PDF, name=f"peca-{n}.pdf")
        for person_id in persons[:3]:
            await grant(http, office.token, person_id, unique_email())
    parents = {"person.cases": persons[0], "case.movements": cases[0], "case.documents": cases[0]}
    return World(office.token, parents)


async def _both(
    paths: tuple[Path, Path], token: str, name: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The connection as the compiled path answers, once checked compiled and equal to
    the executor's answer (its cursors, strings, equal byte for byte)."""
    fast = paths[0]
    before = fast.compiled_reads()
    answers = [
        await path.http.post(
            "/graphql",
            json={"query": _document(name), "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        for path in paths
    ]
    assert answers[0].json() == answers[1].json(), name
    assert fast.compiled_reads() - before == 1, f"{name} was not compiled"
    return _connection(answers[0].json(), name)


@pytest.fixture
async def both(compiled: Served, executor: Served) -> AsyncIterator[tuple[Path, Path]]:
    async with http_client(compiled) as one, http_client(executor) as other:
        yield Path("compiled", one, compiled), Path("executor", other, executor)


@pytest.mark.parametrize("name", list(CONNECTIONS))
async def test_every_connection_walks_whole_both_ways_with_the_same_cursors_on_both_paths(
    world: World, both: tuple[Path, Path], name: str
) -> None:
    parent = {"id": world.ids[name]} if name in world.ids else {}
    whole = await _both(both, world.token, name, {**parent, "first": 100})
    ids = [edge["node"]["id"] for edge in whole["edges"]]
    assert len(ids) == whole["totalCount"] >= 3

    forward: list[str] = []
    after = None
    while True:  # first: 2, after the last page's end
        page = await _both(both, world.token, name, {**parent, "first": 2, "after": after})
        forward += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
    backward: list[str] = []
    before = None
    while True:  # last: 2, before the last page's start
        page = await _both(both, world.token, name, {**parent, "last": 2, "before": before})
        backward = [edge["node"]["id"] for edge in page["edges"]] + backward
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        before = page["pageInfo"]["startCursor"]
        if not page["pageInfo"]["hasPreviousPage"]:
            break

    assert forward == backward == ids
    # and the cursors of the whole list bound every window between two of them
    edges = whole["edges"]
    between = await _both(
        both,
        world.token,
        name,
        {**parent, "after": edges[0]["cursor"], "before": edges[-1]["cursor"]},
    )
    assert [edge["node"]["id"] for edge in between["edges"]] == ids[1:-1]


async def test_an_empty_window_still_answers_its_total_on_both_paths(
    world: World, both: tuple[Path, Path]
) -> None:
    whole = await _both(both, world.token, "persons", {"first": 100})
    last = whole["edges"][-1]["cursor"]

    page = await _both(both, world.token, "persons", {"first": 5, "after": last})

    assert page == {
        "totalCount": whole["totalCount"],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": True,
            "startCursor": None,
            "endCursor": None,
        },
        "edges": [],
    }


# --- cursors that are not this connection's ------------------------------------------------


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode()


UUID = "0b5e3c7e-6d1b-4d8e-9f55-1c0a8d4b2a10"
NOT_CURSORS = [
    "bad",
    "",
    "====",
    _b64("offset:1"),  # the old form
    _b64("k1:"),
    _b64("k1:{}"),
    _b64("k1:[1]"),
    _b64(f'k1:[1, "{UUID}", 3]'),
    _b64(f'k2:[1, "{UUID}"]'),
    _b64(f'k1:["1", "{UUID}"]'),  # a time as text
    _b64(f'k1:[1.5, "{UUID}"]'),
    _b64(f'k1:[true, "{UUID}"]'),
    _b64(f'k1:[{10**20}, "{UUID}"]'),  # past year 9999
    _b64(f'k1:[-{10**20}, "{UUID}"]'),
    _b64(f'k1:[{"9" * 4000}, "{UUID}"]'),
    _b64(f'k1:[1, "{UUID.upper()}"]'),  # not as written
    _b64(f'k1:[1,"{UUID}"]'),
    _b64('k1:[1, "not a uuid"]'),
    _b64("k1:[1, 2]"),
    _b64("k1:" + "[" * 3000),
    _b64('k1:[1, "\\ud800"]'),
    cursor(CASES, (datetime(2024, 1, 1, tzinfo=UTC), uuid.UUID(UUID))).rstrip("="),  # unpadded
    cursor(PERSONS, ("Ana", UUID)),  # another connection's, of another shape
    "A" * 5000,
]


@pytest.mark.parametrize("argument", ["after", "before"])
@pytest.mark.parametrize("given", NOT_CURSORS)
async def test_what_is_not_a_cursor_of_the_connection_is_bad_user_input(
    path: Path, office: Staff, argument: str, given: str
) -> None:
    body = await gql(path.http, office.token, _document("cases"), {argument: given})

    refused = error(body)
    assert body["data"] is None
    assert (refused["message"], refused["extensions"]) == (
        f"{argument} is not a cursor returned by this connection.",
        {"code": "BAD_USER_INPUT", "field": argument},
    )


async def test_a_nested_connections_bad_cursor_names_the_argument(
    path: Path, office: Staff
) -> None:
    case_id = (await create_case(path.http, office.token, title="Com andamentos"))["id"]

    body = await gql(
        path.http, office.token, _document("case.movements"), {"id": case_id, "before": "bad"}
    )

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "before"}
    assert body["data"] == {"case": None}


async def test_a_cursor_of_another_connection_with_the_same_shape_positions_itself(
    path: Path, office: Staff
) -> None:
    # given cases, and a movement's cursor (a time and an id, as a case's)
    case_id = (await create_case(path.http, office.token, title="Antiga"))["id"]
    await add_movement(path.http, office.token, case_id, occurredAt="2000-01-01T00:00:00Z")
    movements = data(
        await gql(path.http, office.token, _document("case.movements"), {"id": case_id})
    )
    moved = movements["case"]["movements"]["edges"][0]["cursor"]

    # when it is given as the cases' after
    body = await gql(path.http, office.token, _document("cases"), {"after": moved})

    # then it is a position like any: no case was created before 2000
    assert data(body)["cases"]["edges"] == []
    assert data(body)["cases"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("variables", "field", "message"),
    [
        (
            {"first": 2, "last": 2},
            "last",
            "first and last cannot be given together: first (with after) pages forward, "
            "last (with before) backward.",
        ),
        ({"last": 101}, "last", "last must be between 0 and 100, not 101."),
        ({"last": -1}, "last", "last must be between 0 and 100, not -1."),
    ],
)
async def test_page_sizes_out_of_bounds_are_bad_user_input(
    path: Path, office: Staff, variables: dict[str, int], field: str, message: str
) -> None:
    body = await gql(path.http, office.token, _document("cases"), variables)

    refused = error(body)
    assert (refused["message"], refused["extensions"]) == (
        message,
        {"code": "BAD_USER_INPUT", "field": field},
    )


ORDERS = {
    "cases, person.cases": CASES,
    "persons": PERSONS,
    "movements": MOVEMENTS,
    "documents": DOCUMENTS,
    "outbox": OUTBOX,
}
TEXTS = ["Ana", 'a "b" \\ c', "\n\t\x01\x1f\x7f", "é 日本 😀 \u2028", "/" * 300]
MOMENTS = [
    datetime(1900, 1, 1, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2024, 5, 2, 13, 30, 0, 123_456, tzinfo=timezone(timedelta(hours=-3))),
    datetime(9999, 12, 30, 23, 59, 59, 999_999, tzinfo=UTC),
]


@pytest.mark.parametrize("name", list(ORDERS))
async def test_postgresql_writes_every_connections_cursor_byte_for_byte_as_python(
    owner_engine: AsyncEngine, name: str
) -> None:
    order = ORDERS[name]
    samples = [
        tuple(
            uuid.uuid4() if key.kind is uuid.UUID else sample[key.kind is str] for key in order.keys
        )
        for sample in zip(MOMENTS * 2, TEXTS + TEXTS[:3], strict=True)
    ]
    written = [
        order.sql_cursor(
            [sa.literal(v, k.column.type) for k, v in zip(order.keys, values, strict=True)]
        )
        for values in samples
    ]

    async with owner_engine.connect() as connection:
        found = (await connection.execute(sa.select(*written))).one()

    assert list(found) == [cursor(order, values) for values in samples]
    assert [read_cursor(order, text) for text in found] == [
        tuple(v.astimezone(UTC) if isinstance(v, datetime) else v for v in values)
        for values in samples
    ]


def test_a_cursor_is_the_urlsafe_base64_of_its_rows_key() -> None:
    written = cursor(PERSONS, ("Ana", UUID))

    assert base64.urlsafe_b64decode(written) == f'k1:["Ana", "{UUID}"]'.encode()
    assert json.loads(base64.urlsafe_b64decode(written)[3:]) == ["Ana", UUID]
