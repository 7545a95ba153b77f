"""The compiled read path answers exactly as the executor does.

One database, served twice: an app that compiles reads into one statement (its answer
cache off, so that every read is compiled afresh) and an app whose every read goes
through the Strawberry executor. Random valid documents, drawn from each view's own
types (connection pages and cursors, searches, statuses, ids real and bogus, aliases,
``__typename``, named fragments, variables), are sent to both as several viewers: the
answers must be equal, errors included. Download links are signed with the time, so
two of them are equal when they name the same document.

Whatever the executor answers without an error in the client view, the compiled path
must answer itself; an argument the executor refuses is refused by the executor, byte
for byte.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.cases import PAGE_ORDER as CASE_ORDER
from db.persons import PAGE_ORDER as PERSON_ORDER
from resolvers.views import client_schema, staff_schema
from schema.pagination import cursor
from settings import Settings
from tests.factories import (
    CLIENT_FOLDERS,
    PDF,
    Staff,
    add_movement,
    add_party,
    create_case,
    create_person,
    grant,
    id_of,
    new_office,
    new_portal_client,
    unique_email,
    upload_document,
)
from tests.graphql_client import data, gql
from tests.serving import Served, http_client, serving

EXAMPLES = 200  # per view
MAX_DEPTH = 6
TJSP_NUMBER = "1023456-21.2021.8.26.0100"
ID_KINDS = {"case": ("Case",), "person": ("Person",)}  # what each id argument takes
COMPOSITE = (GraphQLObjectType, GraphQLInterfaceType)
REFETCH = re.compile(r"\bnodes?\(")
# The access log grows with every read, the test's own: two reads of it never agree.
ACCESS_LOG = {("Viewer", "activity"), ("Person", "portalActivity")}
NOBODY = [id_of(kind, "00000000-0000-4000-8000-000000000000") for kind in ("Case", "Person")]
SEARCHES = [
    "",
    " ",
    "   ",
    "Ação",
    "ação",
    "PASTA",
    "%",
    "_",
    "%_",
    "\\",
    "1023456",
    "1023456-21",
    "2021.8.26",
    "26",
    "0100",
    "Carla",
    "ç",
    "日本",
    "K1",
    "x" * 200,
]
MAX_ID = uuid.UUID(int=2**128 - 1)
CURSORS = [  # a case's (and a movement's, same shape), in 2024; a person's; not a cursor
    cursor(CASE_ORDER, (datetime(2024, 1, 1, tzinfo=UTC), uuid.UUID(int=0))),
    cursor(CASE_ORDER, (datetime(2024, 5, 12, 13, tzinfo=UTC), MAX_ID)),
    cursor(CASE_ORDER, (datetime(2100, 1, 1, tzinfo=UTC), uuid.UUID(int=0))),
    cursor(PERSON_ORDER, ("Caio", uuid.UUID(int=0))),
]
DOCUMENT_URL = re.compile(r"^(\S+/documents/[0-9a-f-]{36})\?token=\S+$")


@dataclass
class World:
    tokens: dict[str, str]  # viewer -> access token; clients first
    ids: list[str]  # of office A's rows, and of another office's
    clients: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)


async def _create_task(http: httpx.AsyncClient, token: str, case_id: str, **task: Any) -> None:
    document = (
        "mutation T($c: ID!, $i: TaskInput!) { createTask(caseId: $c, input: $i) { task { id } } }"
    )
    data(await gql(http, token, document, {"c": case_id, "i": task}))


async def _office(http: httpx.AsyncClient, office: Staff, tag: str) -> tuple[list[str], list[str]]:
    """Two clients with folders of their own and one shared, an opponent, a person whose
    access was never accepted; movements of both sources, documents, tasks. The ids, and
    the two clients' tokens."""
    first = await new_portal_client(http, office, name=f"Carla Primeira {tag}")
    second = await new_portal_client(http, office, name=f"Caio Segundo {tag}")
    opponent = (await create_person(http, office.token, name=f"Banco Réu {tag}"))["id"]
    invited = (await create_person(http, office.token, name=f"Dora Convidada {tag}"))["id"]
    await grant(http, office.token, invited, unique_email())
    lawyer = office.lawyer_global_id
    folders = [  # title, fields, {person: is_client}
        (
            f"PASTA {tag}K1 Ação de cobrança",
            {"cnjNumber": TJSP_NUMBER, "court": "TJSP", "responsibleLawyerId": lawyer},
            {first.person_id: True, opponent: False},
        ),
        (
            f"PASTA {tag}K2 Inventário 50%",
            {"status": "SUSPENDED", "claimValue": "1234.50", "filedOn": "2023-03-01"},
            {second.person_id: True, first.person_id: False},
        ),
        (
            f"PASTA {tag}K3 Divórcio_consensual",
            {"status": "CLOSED", "responsibleLawyerId": office.admin_global_id},
            {first.person_id: True, second.person_id: True, opponent: False},
        ),
        (f"PASTA {tag}K4 Sem cliente", {"internalNotes": "só da equipe"}, {opponent: False}),
    ]
    ids = [first.person_id, second.person_id, opponent, invited, lawyer, office.admin_global_id]
    for n, (title, fields, parties) in enumerate(folders):
        case_id = (await create_case(http, office.token, title=title, **fields))["id"]
        ids.append(case_id)
        for person, is_client in parties.items():
            await add_party(http, office, case_id, person, is_client=is_client)
        for m, source in enumerate(["COURT", "INTERNAL", "COURT"][: 3 - n % 2]):
            added = await add_movement(
                http,
                office.token,
                case_id,
                occurredAt=f"2024-0{m + 1}-1{n}T10:00:00-03:00",
                description=f"ANDAMENTO {tag}K{n + 1} {source} {m}",
                source=source,
                code=100 + m if m else None,
            )
            ids.append(added["id"])
        if n < 3:
            for source in ("COURT", "INTERNAL")[: 2 - n // 2]:
                uploaded = await upload_document(
                    http, office.token, case_id, PDF, name=f"peça-{n}.pdf", source=source
                )
                ids.append(data(uploaded)["uploadDocument"]["document"]["id"])
        await _create_task(http, office.token, case_id, title=f"Prazo {n}", assigneeId=lawyer)
        await _create_task(
            http, office.token, case_id, title="Feito", done=True, dueOn="2024-01-0" + str(n + 1)
        )
    return ids, [first.token, second.token]


@pytest.fixture(scope="module")
async def world(served: Served) -> World:
    async with http_client(served) as http:
        office = await new_office(http, served.state["engine"])
        stranger = await new_office(http, served.state["engine"])
        own, clients = await _office(http, office, "A")
        foreign, _ = await _office(http, stranger, "B")
    tokens = {
        "client 1": clients[0],
        "client 2": clients[1],
        "admin": office.token,
        "lawyer": office.lawyer_token,
    }
    return World(
        tokens=tokens,
        ids=own + foreign[:8],
        clients=["client 1", "client 2"],
        staff=["admin", "lawyer"],
    )


@pytest.fixture(scope="module")
async def compiled(settings: Settings) -> AsyncIterator[Served]:
    """Reads compiled, no answer stored: every read is compiled and run."""
    async with serving(settings.model_copy(update={"answer_cache_mb": 0})) as app:
        yield app


@pytest.fixture(scope="module")
async def executor(settings: Settings) -> AsyncIterator[Served]:
    """Every read through the executor, as before the compiled path."""
    async with serving(settings.model_copy(update={"compiled_reads": False})) as app:
        assert app.state["reads"] is None
        yield app


@pytest.fixture(scope="module")
async def both(
    compiled: Served, executor: Served
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with http_client(compiled) as one, http_client(executor) as other:
        yield one, other


# --- documents --------------------------------------------------------------------------


def kind_of(id: str) -> str:
    return base64.b64decode(id).decode().partition(":")[0]


def _named(graphql_type: GraphQLOutputType) -> GraphQLOutputType:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


@dataclass(frozen=True)
class Document:
    query: str
    variables: dict[str, Any]

    def __repr__(self) -> str:
        return f"{self.query!r} with {self.variables!r}"


class _Writer:
    """One document being drawn: its variables and fragments as they are made."""

    def __init__(
        self, draw: st.DrawFn, schema: GraphQLSchema, ids: list[str], as_variables: bool
    ) -> None:
        self.draw = draw
        self.schema = schema
        self.id_kinds: tuple[str, ...] | None = None  # of the field being written
        self.ids = ids
        self.as_variables = as_variables
        self.variables: dict[str, Any] = {}
        self.definitions: list[str] = []
        self.fragments: list[str] = []
        self.names = itertools.count()

    def value(self, name: str, argument: GraphQLArgument) -> Any:
        """A value for the argument, or None to leave it out."""
        draw = self.draw
        argument_type = get_named_type(argument.type)
        if name in {"first", "last"}:
            return draw(st.none() | st.none() | st.integers(0, 10))
        if name in {"after", "before"}:
            # a time and an id, as every connection but persons has: a cursor that a
            # connection refuses would send the read to the executor even where the
            # executor never reaches that connection (an empty page's nested one)
            return draw(st.none() | st.none() | st.sampled_from(CURSORS[:3]))
        if name == "search":
            return draw(st.none() | st.sampled_from(SEARCHES) | st.text(max_size=12))
        if name == "ids":
            pool = st.sampled_from(self.ids) | st.sampled_from(NOBODY)
            return draw(st.lists(pool, max_size=3))
        if name == "id":  # mostly ids of the type asked, sometimes another's or none
            bogus = st.sampled_from(["nope", "00000000-0000-0000-0000-000000000000", *NOBODY])
            fitting = [i for i in self.ids if self.id_kinds is None or kind_of(i) in self.id_kinds]
            return draw(st.sampled_from(fitting) | st.sampled_from(fitting) | bogus)
        if isinstance(argument_type, GraphQLEnumType):
            return draw(st.none() | st.sampled_from(sorted(argument_type.values)))
        if name == "includeDisabled":
            return draw(st.none() | st.booleans())
        raise AssertionError(f"no values for the argument {name}")

    def argument(self, name: str, argument: GraphQLArgument) -> str | None:
        value = self.value(name, argument)
        if value is None:
            return None
        if self.as_variables and self.draw(st.booleans()):
            variable = f"v{next(self.names)}"
            self.variables[variable] = value
            self.definitions.append(f"${variable}: {argument.type}")
            return f"{name}: ${variable}"
        if isinstance(get_named_type(argument.type), GraphQLEnumType):
            return f"{name}: {value}"
        return f"{name}: {json.dumps(value, ensure_ascii=False)}"

    def selection(self, object_type: GraphQLObjectType, depth: int) -> str:
        draw = self.draw
        names = sorted(n for n in object_type.fields if (object_type.name, n) not in ACCESS_LOG)
        leaves = [n for n in names if not isinstance(_named(object_type.fields[n].type), COMPOSITE)]
        branches = [n for n in names if n not in leaves] if depth < MAX_DEPTH else []
        picked = (
            draw(st.lists(st.sampled_from(branches), min_size=1, max_size=2, unique=True))
            if branches
            else []
        )
        if leaves:
            picked += draw(
                st.lists(
                    st.sampled_from(leaves), min_size=0 if picked else 1, max_size=3, unique=True
                )
            )
        parts = []
        for name in picked:
            for alias in [None] + (
                [f"a{next(self.names)}"] if draw(st.integers(0, 5)) == 0 else []
            ):
                parts.append(self.field(object_type, name, alias, depth))
        if draw(st.integers(0, 4)) == 0:
            parts.insert(draw(st.integers(0, len(parts))), "__typename")
        text = " ".join(parts)
        if depth > 1 and draw(st.integers(0, 5)) == 0:
            fragment = f"F{next(self.names)}"
            self.fragments.append(f"fragment {fragment} on {object_type.name} {{ {text} }}")
            return f"...{fragment}"
        return text

    def field(
        self, object_type: GraphQLObjectType, name: str, alias: str | None, depth: int
    ) -> str:
        graphql_field = object_type.fields[name]
        self.id_kinds = ID_KINDS.get(name)
        arguments = [
            written
            for argument_name, argument in graphql_field.args.items()
            if (written := self.argument(argument_name, argument)) is not None
        ]
        if any(a.startswith("first:") for a in arguments):  # refused together, like first: 101
            arguments = [a for a in arguments if not a.startswith("last:")]
        text = (f"{alias}: " if alias else "") + name
        text += f"({', '.join(arguments)})" if arguments else ""
        target = _named(graphql_field.type)
        if isinstance(target, GraphQLObjectType):
            text += " { " + self.selection(target, depth + 1) + " }"
        elif isinstance(target, GraphQLInterfaceType):  # Node: one of its types, spread in
            possible = sorted(self.schema.get_possible_types(target), key=lambda t: t.name)
            kind = self.draw(st.sampled_from(possible))
            inner = self.selection(kind, depth + 1)
            text += f" {{ __typename id ... on {kind.name} {{ {inner} }} }}"
        return text


@st.composite
def documents(draw: st.DrawFn, schema: GraphQLSchema, ids: list[str]) -> Document:
    query_type = schema.query_type
    assert query_type is not None
    writer = _Writer(draw, schema, ids, as_variables=draw(st.booleans()))
    selection = writer.selection(query_type, 1)
    head = f"query Drawn({', '.join(writer.definitions)})" if writer.definitions else ""
    query = " ".join([f"{head} {{ {selection} }}".strip(), *writer.fragments])
    return Document(query, writer.variables)


# --- comparing ----------------------------------------------------------------------------


def _comparable(value: Any) -> Any:
    """The answer with each download link cut to the document it names (links are signed
    with the time they were made)."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, str) and (found := DOCUMENT_URL.match(value)):
        return ("download link", found.group(1))
    return value


@dataclass
class Answer:
    status: int
    body: Any
    content: bytes


async def _post(http: httpx.AsyncClient, token: str, document: Document) -> Answer:
    response = await http.post(
        "/graphql",
        content=json.dumps({"query": document.query, "variables": document.variables}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return Answer(response.status_code, response.json(), response.content)


@dataclass
class Tally:
    answered: int = 0  # by the executor without an error
    compiled: int = 0  # of those, by the compiled path
    failed: int = 0  # answered with errors (by both alike)


async def _compare(
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    compiled_app: Served,
    token: str,
    document: Document,
    tally: Tally,
    *,
    all_compiled: bool,
) -> None:
    counts = compiled_app.state["reads"].counts
    before = counts["compiled"]
    fast = await _post(both[0], token, document)
    went_compiled = counts["compiled"] - before
    slow = await _post(both[1], token, document)
    assert (fast.status, _comparable(fast.body)) == (slow.status, _comparable(slow.body)), (
        f"compiled: {fast.content.decode()}\nexecutor: {slow.content.decode()}"
    )
    if slow.status == 200 and not slow.body.get("errors"):
        tally.answered += 1
        tally.compiled += went_compiled
        if all_compiled:
            assert went_compiled == 1, "the executor answered a read the compiler covers"
    else:
        tally.failed += 1
        assert went_compiled == 0


VIEWS = {"client": client_schema()._schema, "staff": staff_schema()._schema}


@pytest.mark.parametrize("view", ["client", "staff"])
async def test_compiled_reads_answer_as_the_executor_does(
    world: World,
    compiled: Served,
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    view: str,
) -> None:
    loop = asyncio.get_running_loop()
    viewers = world.clients if view == "client" else world.staff
    tally = Tally()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.sampled_from(viewers), documents(VIEWS[view], world.ids))
    def compare(viewer: str, document: Document) -> None:
        asyncio.run_coroutine_threadsafe(
            _compare(
                both,
                compiled,
                world.tokens[viewer],
                document,
                tally,
                # node(id:) and nodes(ids:) are the executor's: the type is the id's
                all_compiled=view == "client" and not REFETCH.search(document.query),
            ),
            loop,
        ).result()

    await asyncio.to_thread(compare)

    print(
        f"\n{view} view: {tally.answered} documents answered without errors, "
        f"{tally.compiled} of them compiled ({tally.compiled / max(tally.answered, 1):.0%}); "
        f"{tally.failed} answered with errors"
    )
    assert tally.answered >= EXAMPLES // 3  # most documents are answered, not refused


async def test_a_clients_usual_folders_read_is_compiled_and_equal(
    world: World, compiled: Served, both: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    tally = Tally()
    for viewer in world.clients:
        document = Document(CLIENT_FOLDERS, {"first": 10})
        await _compare(both, compiled, world.tokens[viewer], document, tally, all_compiled=True)
    assert (tally.answered, tally.compiled) == (2, 2)


# --- argument errors are the executor's ---------------------------------------------------

PAGE = "{ cases(first: 101) { totalCount } }"
ARGUMENT_ERRORS = [
    ("client 1", PAGE, {}),
    ("admin", PAGE, {}),
    ("client 1", "{ cases(first: 51) { totalCount } }", {}),  # the client's page is 50
    ("client 1", '{ cases(after: "bad") { totalCount } }', {}),
    ("lawyer", '{ cases(first: 2, after: "b2Zmc2V0OnRlbg==") { totalCount } }', {}),
    ("client 2", '{ cases(last: 2, before: "bad") { totalCount } }', {}),
    ("admin", "{ cases(first: 1, last: 1) { totalCount } }", {}),
    ("client 1", "query P($n: Int) { cases(last: $n) { totalCount } }", {"n": 51}),
    ("client 1", '{ case(id: "nope") { id } }', {}),
    ("admin", '{ case(id: "nope") { id } person(id: "") { id } }', {}),
    ("client 2", "query S($s: String) { cases(search: $s) { totalCount } }", {"s": "a" * 201}),
    ("admin", "query S($s: String) { persons(search: $s) { totalCount } }", {"s": "é" * 201}),
    ("client 1", "query P($n: Int) { cases(first: $n) { totalCount } }", {"n": "ten"}),
    ("lawyer", "query P($n: Int!) { cases(first: $n) { totalCount } }", {}),
    ("client 2", "query C($id: ID!) { case(id: $id) { id } }", {"id": 12.5}),
    (
        "client 1",
        "{ cases { edges { node { movements(first: 101) { totalCount } } } } }",
        {},
    ),
]


@pytest.mark.parametrize(("viewer", "query", "variables"), ARGUMENT_ERRORS)
async def test_an_argument_the_executor_refuses_is_refused_by_the_executor(
    world: World,
    compiled: Served,
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    viewer: str,
    query: str,
    variables: dict[str, Any],
) -> None:
    counts = compiled.state["reads"].counts
    before = dict(counts)
    document = Document(query, variables)

    fast = await _post(both[0], world.tokens[viewer], document)
    slow = await _post(both[1], world.tokens[viewer], document)

    assert fast.body["errors"], fast.body
    assert (fast.status, fast.content) == (slow.status, slow.content)
    assert counts["executor"] == before.get("executor", 0) + 1
    assert counts["compiled"] == before.get("compiled", 0)


# --- what the compiler leaves to the executor ----------------------------------------------

CASE_FIELDS = [
    "id", "folder", "title", "cnjNumber", "court", "courtDivision", "district", "instance",
    "caseClass", "subject", "filedOn", "claimValue", "status", "phase", "internalNotes",
    "lossRisk", "feeAgreement", "createdAt", "updatedAt",
]  # fmt: skip
WIDE = (  # 19 fields and 38 aliases of them: 57 keys in one object, past json_build_object's 50
    "{ cases(first: 3) { edges { node { "
    + " ".join(CASE_FIELDS + [f"a{n}: {name}" for n, name in enumerate(CASE_FIELDS * 2)])
    + " } } } }"
)
LEFT_TO_THE_EXECUTOR = [
    ("admin", WIDE),
    ("admin", "{ __schema { queryType { name } } }"),
    ("client 1", '{ __type(name: "Case") { name } cases { totalCount } }'),
    ("admin", "query Q($on: Boolean!) { cases @include(if: $on) { totalCount } }"),
]


@pytest.mark.parametrize(("viewer", "query"), LEFT_TO_THE_EXECUTOR)
async def test_what_the_compiler_does_not_cover_is_answered_by_the_executor_alike(
    world: World,
    compiled: Served,
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    viewer: str,
    query: str,
) -> None:
    counts = compiled.state["reads"].counts
    before = dict(counts)
    document = Document(query, {"on": True} if "$on" in query else {})

    fast = await _post(both[0], world.tokens[viewer], document)
    slow = await _post(both[1], world.tokens[viewer], document)

    assert "errors" not in fast.body, fast.body
    assert (fast.status, fast.body) == (slow.status, slow.body)
    assert counts["executor"] == before.get("executor", 0) + 1
    assert counts["compiled"] == before.get("compiled", 0)


async def test_skip_and_include_written_in_the_document_are_compiled(
    world: World, compiled: Served, both: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    tally = Tally()
    query = (
        "{ cases(first: 2) @include(if: true) { totalCount } "
        "persons @skip(if: true) { totalCount } viewer @skip(if: false) { role } }"
    )
    await _compare(
        both, compiled, world.tokens["admin"], Document(query, {}), tally, all_compiled=True
    )
    assert (tally.answered, tally.compiled) == (1, 1)


# --- pages with and without cursors, lists; times with and without a fraction --------------

# A page's cursors are written in SQL only when asked for; its rows are in the relation's
# order either way, after the key that ``after`` gives.
PAGES = [
    (
        "client 1",
        "{ cases(first: 2, after: AFTER0) { totalCount "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
        "edges { node { id movements(first: 1, after: AFTER0) { "
        "pageInfo { endCursor hasNextPage } edges { node { occurredAt description } } } } } } }",
    ),
    (
        "client 1",
        "{ cases { edges { cursor node { id "
        "movements { edges { cursor node { occurredAt } } } } } } }",
    ),
    (
        "client 2",
        "{ cases(last: 2, before: BEFORE) { pageInfo { hasNextPage hasPreviousPage "
        "startCursor endCursor } edges { cursor node { id "
        "movements(last: 1) { pageInfo { hasPreviousPage } edges { cursor } } } } } }",
    ),
    (
        "admin",
        "{ cases(first: 3, after: AFTER1) { edges { node { createdAt "
        "movements { pageInfo { startCursor } "
        "edges { node { occurredAt createdAt description } } } } } } }",
    ),
    (
        "lawyer",
        "{ cases { edges { cursor node { updatedAt "
        "movements(first: 2) { edges { cursor node { occurredAt createdAt } } } } } } }",
    ),
    (
        "admin",
        "{ persons(last: 3, before: PERSON) { pageInfo { hasNextPage hasPreviousPage } "
        "edges { cursor node { name } } } }",
    ),
    (  # lists: in their order too (plaintiffs first; open tasks first, by due date)
        "admin",
        "{ cases { edges { node { parties { role isClient person { name } } "
        "tasks { title dueOn done } } } } }",
    ),
]
WHOLE_SECOND = re.compile(r'"occurredAt" ?: ?"[0-9-]+T[0-9:]{8}\+00:00"')
FRACTION = re.compile(r'"createdAt" ?: ?"[0-9-]+T[0-9:]{8}\.[0-9]{6}\+00:00"')


@pytest.mark.parametrize(("viewer", "query"), PAGES)
async def test_a_page_or_a_list_is_compiled_and_equal_with_or_without_cursors(
    world: World,
    compiled: Served,
    both: tuple[httpx.AsyncClient, httpx.AsyncClient],
    viewer: str,
    query: str,
) -> None:
    tally = Tally()
    after = {
        "AFTER0": json.dumps(CURSORS[2]),  # 2100: every row is after it, newest first
        "AFTER1": json.dumps(cursor(CASE_ORDER, (datetime(2100, 1, 1, tzinfo=UTC), MAX_ID))),
        "BEFORE": json.dumps(CURSORS[0]),  # 2024-01-01: every case is before it
        "PERSON": json.dumps(CURSORS[3]),
    }
    document = Document(
        re.sub("AFTER[01]|BEFORE|PERSON", lambda found: after[found.group()], query), {}
    )

    await _compare(both, compiled, world.tokens[viewer], document, tally, all_compiled=True)

    assert (tally.answered, tally.compiled) == (1, 1)
    answer = (await _post(both[0], world.tokens[viewer], document)).content.decode()
    if "occurredAt" in query:  # movements occurred on the hour
        assert WHOLE_SECOND.search(answer), answer
    if "createdAt" in query:  # written by now(): with microseconds
        assert FRACTION.search(answer), answer
