"""Generated operations: whatever a signed-in viewer sends, no 5xx, no INTERNAL, no half-write.

For each role, thousands of type-correct operations drawn from that role's own view of
the schema (hypothesis-graphql), with hostile argument values: page boundaries, cursors
that are wrong or point past any row PostgreSQL can count, ids of the office's own rows
and of another office's, random and malformed ids, NUL, lone surrogates, huge numbers,
empty and long text; some sent as literals, some as variables (only variables can carry a
lone surrogate past the GraphQL parser), and some made slightly invalid. Every answer
must be JSON with a status below 500 and no INTERNAL error; a mutation answered with an
error must leave the office's rows as they were; and the server still answers afterwards.

Hypothesis runs on a thread of its own and hands each operation to the test's event loop,
so that every problem of the run is counted, not only the first one.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import logging
import re
import reprlib
import time
import uuid
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as gql_st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine
from resolvers.views import client_schema, staff_schema
from tests.factories import (
    Staff,
    add_movement,
    add_party,
    create_case,
    create_person,
    make_docket,
    new_office,
)
from tests.graphql_client import data, gql
from tests.serving import Served, http_client

OPERATIONS_PER_ROLE = 2_000
SHARES = {  # role -> operations of each kind
    "ADMIN": {"queries": 900, "mutations": 800, "invalid": 300},
    "LAWYER": {"queries": 900, "mutations": 800, "invalid": 300},
    "CLIENT": {"queries": 1_600, "invalid": 400},
}
SAMPLE = json.loads((Path(__file__).parent.parent / "data" / "datajud_sample.json").read_text())
TJSP_NUMBER = "1023456-21.2021.8.26.0100"
TRIVIAL = "{ viewer { email } }"
OFFICE_TABLES = (
    "account",
    "auth_session",
    "invitation",
    "outbox_message",
    "person",
    '"case"',
    "case_party",
    "movement",
    "document",
    "task",
)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode()


CURSORS = [
    *(_cursor(n) for n in (0, 1, 2, 19, 99, 100, 2**31, 2**53, 2**63 - 2, 2**63 - 1, 2**63)),
    *(_cursor(n) for n in (10**40, -1, -2)),
    _b64("offset:"),
    _b64("offset:abc"),
    _b64("offset: 1"),
    _b64("offset:\u0661"),
    _b64("offset:1e3"),
    _b64("offset:\x00"),
    _b64("offset:\ud800"),
    _cursor(1).rstrip("="),
    _b64('k1:[1714650000000000, "00000000-0000-0000-0000-000000000000"]'),  # a time and an id
    _b64('k1:["Ana", "ffffffff-ffff-ffff-ffff-ffffffffffff"]'),  # a name and an id
    _b64(f'k1:[{10**30}, "00000000-0000-0000-0000-000000000000"]'),
    _b64('k1:[-62135596800000000, "00000000-0000-0000-0000-000000000000"]'),  # year 1
    _b64('k1:["\\u0000", "00000000-0000-0000-0000-000000000000"]'),
    "bad",
    "x",
    "====",
]
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202egpj.exe",
    "%",
    "_",
    "\\",
    "'; --",
    "a" * 501,
    "é" * 10_000,
    "9" * 400,
    "12.ABC.345/01DE-35",
    "123.456.789-09",
    "1234567-13.2024.8.26.0100",
    TJSP_NUMBER,
    "maria@example.com.br",
    "not an e-mail",
    "٣٣٣",
    "NaN",
]
NUMBERS = [0, 1, -1, 2, 19, 20, 21, 49, 50, 51, 99, 100, 101, 2**31 - 1, -(2**31)]
OUT_OF_RANGE_NUMBERS = [2**31, -(2**31) - 1, 2**53, 2**63 - 1, 2**63, 10**40]
DATES = ["0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29", "2024-13-01", "", "today"]
DATE_TIMES = [
    "0001-01-01T00:00:00-14:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-14:00",
    "2024-05-02T10:00:00-03:00",
    "2024-05-02T10:00:00",
    "2024-05-02",
    "2024-05-02T25:00:00Z",
    "",
]
DECIMALS = [
    "0",
    "-0",
    "0.001",
    "-1",
    "99999999999999.99",
    "100000000000000",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1e100000",
    "1E-100000",
    "abc",
    "",
]


@dataclass
class World:
    """An office with persons, cases, parties, movements and a task; another for foreign ids."""

    office: Staff
    client_token: str
    visible: dict[str, list[str]]  # role -> ids that role may see
    foreign: list[str]
    case_with_number: str


async def _office_rows(http: httpx.AsyncClient, office: Staff) -> tuple[list[str], list[str]]:
    """A docket (a client tagged in one folder) and more: ids for staff, ids for the client."""
    docket = await make_docket(http, office)
    other = (await create_person(http, office.token, name="Pedro Parte"))["id"]
    numbered = (
        await create_case(http, office.token, title="Execução fiscal", cnjNumber=TJSP_NUMBER)
    )["id"]
    await add_party(http, office, numbered, other, is_client=False)
    await add_movement(
        http, office.token, numbered, description="Petição inicial", source="INTERNAL"
    )
    task = data(
        await gql(
            http,
            office.token,
            'mutation T($c: ID!) { createTask(caseId: $c, input: {title: "Prazo"}) '
            "{ task { id } } }",
            {"c": docket.own},
        )
    )["createTask"]["task"]["id"]
    listed = data(
        await gql(
            http,
            office.token,
            "{ persons(first: 100) { edges { node { id } } }"
            " outbox(first: 100) { edges { node { id } } }"
            ' case(id: "' + docket.own + '") { movements { edges { node { id } } } } }',
        )
    )
    persons = [e["node"]["id"] for e in listed["persons"]["edges"]]
    outbox = [e["node"]["id"] for e in listed["outbox"]["edges"]]
    movements = [e["node"]["id"] for e in listed["case"]["movements"]["edges"]]
    staff = [office.admin_global_id, office.lawyer_global_id]
    everything = [docket.own, docket.untagged, docket.others, numbered, task]
    everything += persons + outbox + movements + staff
    seen_by_client = [docket.own, docket.client.person_id, *movements]
    return everything, seen_by_client


@pytest.fixture(scope="module")
async def world(served: Served) -> World:
    async with http_client(served) as http:
        office = await new_office(http, served.state["engine"])
        stranger = await new_office(http, served.state["engine"])
        staff_ids, client_ids = await _office_rows(http, office)
        foreign, _ = await _office_rows(http, stranger)
        docket_client = await _client_token(http, office)
        numbered = data(
            await gql(
                http,
                office.token,
                f'{{ cases(search: "{TJSP_NUMBER}") {{ edges {{ node {{ id }} }} }} }}',
            )
        )["cases"]["edges"][0]["node"]["id"]
    return World(
        office=office,
        client_token=docket_client,
        visible={"ADMIN": staff_ids, "LAWYER": staff_ids, "CLIENT": client_ids},
        foreign=foreign,
        case_with_number=numbered,
    )


async def _client_token(http: httpx.AsyncClient, office: Staff) -> str:
    """A client of ``office`` tagged in a folder with movements of both sources."""
    from tests.factories import new_portal_client

    portal = await new_portal_client(http, office, name="Clara Cliente")
    case_id = (await create_case(http, office.token, title="Revisional"))["id"]
    await add_party(http, office, case_id, portal.person_id, is_client=True)
    await add_movement(http, office.token, case_id, description="Citação")
    await add_movement(http, office.token, case_id, description="Nota interna", source="INTERNAL")
    return portal.token


@pytest.fixture(scope="module")
async def owner_engine(owner_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(owner_url, pool_size=1)
    yield engine
    await engine.dispose()


# --- values ----------------------------------------------------------------------------


def _json_value(value: Any) -> graphql.ValueNode:
    """A GraphQL literal of a JSON value (for the JSON scalar)."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_json_value(v) for v in value])
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_value(v))
            for k, v in value.items()
        ]
    )


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def _court_payloads() -> list[Any]:
    hit = SAMPLE["hits"]["hits"][0]
    broken = copy.deepcopy(hit["_source"])
    broken["movimentos"][0]["dataHora"] = "0001-01-01T00:00:00-14:00"
    deep_subjects = copy.deepcopy(hit["_source"])
    deep_subjects["assuntos"] = _nested(400)
    return [SAMPLE, hit, hit["_source"], broken, deep_subjects, _nested(60), {"hits": 1}, [], 0]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def _scalars(
    visible: list[str], foreign: list[str]
) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    text_values = st.sampled_from(NASTY_TEXT + CURSORS) | st.text(max_size=20)
    own = visible[0]
    malformed = ["", "x", "\x00", "\ud800", "0" * 36, own + "0", own.upper(), "{" + own + "}"]
    return {
        "ID": st.one_of(  # mostly the role's own rows, so that writes succeed and go on
            st.sampled_from(visible),
            st.sampled_from(visible),
            st.sampled_from(foreign),
            st.uuids().map(str),
            st.sampled_from(malformed),
        ).map(nodes.String),
        "String": text_values.map(nodes.String),
        "Int": st.sampled_from(NUMBERS + OUT_OF_RANGE_NUMBERS).map(nodes.Int),
        "Date": (st.sampled_from(DATES) | st.dates().map(str)).map(nodes.String),
        "DateTime": (st.sampled_from(DATE_TIMES) | st.datetimes().map(str)).map(nodes.String),
        "Decimal": (st.sampled_from(DECIMALS).map(nodes.String) | st.integers().map(nodes.Int)),
        "JSON": (st.sampled_from(_court_payloads()) | JSON_VALUES).map(_json_value),
        "Upload": st.just(nodes.String("file")) | st.just(nodes.Null),
    }


# --- operations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    document: str
    variables: dict[str, Any]
    mutation: bool

    def __repr__(self) -> str:  # short, and safe for variables nested hundreds deep
        return f"{self.document!r} with {reprlib.repr(self.variables)}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how hypothesis prints it
        printer.text(repr(self))


def _lift_arguments(schema: graphql.GraphQLSchema, document: str) -> tuple[str, dict[str, Any]]:
    """The same operation with each argument's value passed as a variable."""
    ast = graphql.parse(document, no_location=True)
    type_info = graphql.TypeInfo(schema)
    definitions: list[graphql.VariableDefinitionNode] = []
    values: dict[str, Any] = {}

    class Lift(graphql.Visitor):
        def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> Any:
            input_type = type_info.get_input_type()
            if input_type is None:
                return None
            name = f"v{len(values)}"
            values[name] = graphql.value_from_ast_untyped(node.value)
            variable = graphql.VariableNode(name=graphql.NameNode(value=name))
            definitions.append(
                graphql.VariableDefinitionNode(
                    variable=variable, type=graphql.parse_type(str(input_type))
                )
            )
            return graphql.ArgumentNode(name=node.name, value=variable)

    lifted = graphql.visit(ast, graphql.TypeInfoVisitor(type_info, Lift()))
    operation = lifted.definitions[0]
    assert isinstance(operation, graphql.OperationDefinitionNode)
    with_variables = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        directives=operation.directives,
        variable_definitions=tuple(definitions),
        selection_set=operation.selection_set,
    )
    return graphql.print_ast(graphql.DocumentNode(definitions=(with_variables,))), values


def _renamed(document: str, pick: int) -> str:
    """The document with one of its names misspelt: a field or an argument that does not exist."""
    names = list(re.finditer(r"\b[a-z]\w*\b", document))
    if not names:
        return document
    found = names[pick % len(names)]
    return document[: found.end()] + "x" + document[found.end() :]


def _kinds(
    schema: graphql.GraphQLSchema, visible: list[str], foreign: list[str]
) -> dict[str, st.SearchStrategy[Operation]]:
    """Queries, single mutations (so that a refusal can be checked for writes) and
    documents that break the schema once, over ``schema``. The strategies are built once:
    building them is the slow part."""
    scalars = _scalars(visible, foreign)
    invalid = gql_st.queries(schema, custom_scalars=scalars, mode=gql_st.Mode.NEGATIVE)
    kinds = {"queries": _edited(schema, gql_st.queries(schema, custom_scalars=scalars), False)}
    if schema.mutation_type is not None:
        one_each = [
            gql_st.mutations(schema, fields=[name], custom_scalars=scalars)
            for name in sorted(schema.mutation_type.fields)
        ]
        kinds["mutations"] = _edited(schema, st.one_of(one_each), True)
        invalid |= gql_st.mutations(schema, custom_scalars=scalars, mode=gql_st.Mode.NEGATIVE)
    kinds["invalid"] = _edited(schema, invalid, False)
    return kinds


@st.composite
def _edited(
    draw: st.DrawFn,
    schema: graphql.GraphQLSchema,
    generated: st.SearchStrategy[str],
    mutation: bool,
) -> Operation:
    """A generated document as it is, with its arguments as variables, or with a name misspelt."""
    document = draw(generated)
    variables: dict[str, Any] = {}
    how = draw(st.sampled_from(["literal", "literal", "variables", "variables", "renamed"]))
    if how == "variables":
        with contextlib.suppress(graphql.GraphQLError):  # a negative document
            document, variables = _lift_arguments(schema, document)
    elif how == "renamed":
        document = _renamed(document, draw(st.integers(0, 1000)))
    return Operation(document, variables, mutation)


def _seeds(world: World, role: str) -> dict[str, list[Operation]]:
    """Operations that broke the server once, tried before the generated ones."""
    case = world.visible[role][0]
    past_bigint = base64.urlsafe_b64encode(f"offset:{2**63 - 1}".encode()).decode()
    queries = [
        '{ cases(after: "bad") { totalCount } '
        f'case(id: "{case}") {{ id movements {{ totalCount }} }} }}',
        '{ viewer { email } cases(first: -1, after: "x") { edges { cursor } } }',
        f'{{ cases(after: "{past_bigint}") {{ totalCount }} }}',
    ]
    searched = "query S($s: String) { cases(search: $s) { totalCount } }"
    seeds = {
        "queries": [
            *(Operation(query, {}, mutation=False) for query in queries),
            Operation(searched, {"s": "\ud800"}, mutation=False),
        ]
    }
    if role != "CLIENT":
        imported = (
            "mutation I($p: JSON!) { importCourtData(caseId: $c, payload: $p) { movementsAdded } }"
        )
        seeds["mutations"] = [
            Operation(
                'mutation { createCase(input: {title: "X"}) '
                '{ case { id movements(after: "bad") { totalCount } } } }',
                {},
                mutation=True,
            ),
            Operation(
                imported.replace("$c", f'"{world.case_with_number}"'),
                {"p": _nested(900)},
                mutation=True,
            ),
        ]
    return seeds


# --- running ---------------------------------------------------------------------------


@dataclass
class Tally:
    operations: int = 0
    mutations: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # code -> answers carrying it
    problems: Counter[str] = field(default_factory=Counter)  # cause -> count
    examples: dict[str, Operation] = field(default_factory=dict)  # cause -> first operation

    def problem(self, cause: str, operation: Operation) -> None:
        self.problems[cause] += 1
        self.examples.setdefault(cause, operation)

    def summary(self) -> str:
        lines = [
            f"{count} x {cause}\n    {self.examples[cause]}"
            for cause, count in self.problems.most_common()
        ]
        return f"{self.operations} operations, problems:\n" + "\n".join(lines)


def _cause(error: BaseException) -> str:
    first_line = next(iter(str(error).splitlines()), "")
    return f"{type(error).__name__}: {first_line[:90]}"


class _Internal(logging.Handler):
    """What the server logged as unexpected while one operation ran."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.causes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.causes.append(_cause(error))


@contextlib.contextmanager
def _logged_internals() -> Iterator[_Internal]:
    handler = _Internal()
    logger = logging.getLogger("causa")  # and so causa.graphql, whose records come here too
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def _fingerprint(engine: AsyncEngine, office_id: uuid.UUID) -> str:
    """A digest of every row of the office: any write changes it."""
    parts = " || ".join(
        f"(SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
        f" FROM {table} t WHERE office_id = :office)"
        for table in OFFICE_TABLES
    )
    async with engine.connect() as connection:
        result = await connection.scalar(
            text(f"SELECT (SELECT md5(o::text) FROM office o WHERE id = :office) || {parts}"),
            {"office": office_id},
        )
    return str(result)


def _root_keys(document: str) -> list[str]:
    try:
        ast = graphql.parse(document, no_location=True)
    except graphql.GraphQLError:
        return []
    operation = ast.definitions[0]
    if not isinstance(operation, graphql.OperationDefinitionNode):
        return []
    return [
        (s.alias or s.name).value
        for s in operation.selection_set.selections
        if isinstance(s, graphql.FieldNode)
    ]


async def _send(
    http: httpx.AsyncClient, token: str, operation: Operation
) -> tuple[httpx.Response | None, str | None]:
    """The answer, or what the app raised instead of answering."""
    body = json.dumps({"query": operation.document, "variables": operation.variables})
    try:
        response = await http.post(
            "/graphql",
            content=body.encode(),  # ASCII: lone surrogates travel as JSON escapes
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    except Exception as error:  # the app raised: the server would answer 500
        return None, f"500 {_cause(error)}"
    return response, None


async def _run(
    http: httpx.AsyncClient,
    owner: AsyncEngine,
    world: World,
    token: str,
    operation: Operation,
    tally: Tally,
) -> None:
    tally.operations += 1
    keys = _root_keys(operation.document)
    checked = operation.mutation and len(keys) == 1
    before = await _fingerprint(owner, world.office.office_id) if checked else None
    with _logged_internals() as logged:
        response, raised = await _send(http, token, operation)
    if raised is not None:
        tally.problem(raised, operation)
        return
    assert response is not None
    if response.status_code >= 500:
        tally.problem(f"HTTP {response.status_code}: {response.text[:90]}", operation)
    try:
        answer = response.json()
    except ValueError:
        tally.problem(f"not JSON (HTTP {response.status_code})", operation)
        return
    errors = answer.get("errors") or [] if isinstance(answer, dict) else []
    for code in {(e.get("extensions") or {}).get("code") for e in errors}:
        tally.errors[str(code)] += 1
    for uncoded in (e for e in errors if not (e.get("extensions") or {}).get("code")):
        tally.problem(f"error without a code: {uncoded.get('message')}", operation)
    if any((e.get("extensions") or {}).get("code") == "INTERNAL" for e in errors):
        for cause in logged.causes or ["INTERNAL, nothing logged"]:
            tally.problem(f"INTERNAL {cause}", operation)
    if checked:
        tally.mutations += 1
        answered = answer.get("data") if isinstance(answer, dict) else None
        refused = errors and (answered is None or answered.get(keys[0]) is None)
        if refused and await _fingerprint(owner, world.office.office_id) != before:
            codes = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
            tally.problem(f"refused mutation {keys[0]} ({', '.join(codes)}) wrote rows", operation)


async def _fuzz(
    http: httpx.AsyncClient,
    owner: AsyncEngine,
    world: World,
    role: str,
    token: str,
    schema: graphql.GraphQLSchema,
) -> Tally:
    """OPERATIONS_PER_ROLE generated operations sent as ``token``, counted."""
    tally = Tally()
    loop = asyncio.get_running_loop()
    seeds = _seeds(world, role)

    def run(operation: Operation) -> None:
        asyncio.run_coroutine_threadsafe(
            _run(http, owner, world, token, operation, tally), loop
        ).result()

    def parts() -> None:
        kinds = _kinds(schema, world.visible[role], world.foreign)
        for kind, share in SHARES[role].items():
            run_kind = seed(zlib.crc32(f"{role} {kind}".encode()))(
                settings(
                    max_examples=share,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )(given(kinds[kind])(run))
            )
            for known in seeds.get(kind, []):
                run_kind = example(known)(run_kind)
            run_kind()

    started = time.monotonic()
    quiet = logging.getLogger("strawberry.execution")  # logs every error with its traceback
    level, quiet.level = quiet.level, logging.CRITICAL
    try:
        await asyncio.to_thread(parts)
    finally:
        quiet.setLevel(level)
    print(
        f"\n{role}: {tally.operations} operations ({tally.mutations} single mutations checked)"
        f" in {time.monotonic() - started:.1f} s; error codes {dict(tally.errors)}"
    )
    print(tally.summary() if tally.problems else "no problem")
    return tally


def _views() -> dict[str, graphql.GraphQLSchema]:
    return {"staff": staff_schema()._schema, "client": client_schema()._schema}


# In this order: staff may revoke the client's access, and the admin may disable the lawyer.
@pytest.mark.parametrize("role", ["CLIENT", "LAWYER", "ADMIN"])
async def test_generated_operations_get_no_5xx_no_internal_and_refused_mutations_write_nothing(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, world: World, role: str
) -> None:
    token = {
        "ADMIN": world.office.token,
        "LAWYER": world.office.lawyer_token,
        "CLIENT": world.client_token,
    }[role]
    schema = _views()["client" if role == "CLIENT" else "staff"]

    tally = await _fuzz(client, owner_engine, world, role, token, schema)

    assert tally.operations >= OPERATIONS_PER_ROLE
    if tally.problems:
        pytest.fail(tally.summary(), pytrace=False)
    still = await gql(client, token if role != "ADMIN" else world.office.token, TRIVIAL)
    assert "email" in data(still)["viewer"]
