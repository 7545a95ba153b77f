"""A property: whatever a client asks of the client view, nothing outside their scope comes back.

Random valid queries, drawn from the client view's own types, run as random clients
over a database with several clients and two offices; no answer may hold the id, the
name or the text of anything the asking client may not see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import httpx
import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolvers.views import client_schema
from tests.factories import (
    Staff,
    add_movement,
    add_party,
    create_case,
    create_person,
    new_office,
    new_portal_client,
)
from tests.graphql_client import data, gql
from tests.serving import Served, http_client

CLIENT_SCHEMA = client_schema()._schema
assert CLIENT_SCHEMA.query_type is not None
CLIENT_QUERY: GraphQLObjectType = CLIENT_SCHEMA.query_type
MAX_DEPTH = 8
COMPOSITE = (GraphQLObjectType, GraphQLInterfaceType)


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)  # client name -> access token
    allowed: dict[str, set[str]] = field(default_factory=dict)  # client -> markers and ids
    everything: set[str] = field(default_factory=set)
    case_ids: list[str] = field(default_factory=list)
    node_ids: list[str] = field(default_factory=list)  # of every kind, for node(id:)


async def _office_world(http: httpx.AsyncClient, office: Staff, tag: str, world: World) -> None:
    """Clients {tag}C1..C3, an opponent, and folders tagged in overlapping ways."""
    clients = {}
    for n in (1, 2, 3):
        portal = await new_portal_client(http, office, name=f"PESSOA-{tag}C{n}")
        clients[f"{tag}C{n}"] = portal
        world.tokens[f"{tag}C{n}"] = portal.token
        world.everything |= {f"PESSOA-{tag}C{n}", portal.person_id}
    opponent = (await create_person(http, office.token, name=f"PESSOA-{tag}O"))["id"]
    world.everything |= {f"PESSOA-{tag}O", opponent}
    persons = {name: portal.person_id for name, portal in clients.items()} | {f"{tag}O": opponent}
    folders = {  # folder -> {party: is_client}
        f"{tag}K1": {f"{tag}C1": True, f"{tag}O": False},
        f"{tag}K2": {f"{tag}C2": True, f"{tag}C1": False},
        f"{tag}K3": {f"{tag}C1": True, f"{tag}C3": True},
        f"{tag}K4": {f"{tag}C3": False},
    }
    court_movements: dict[str, str] = {}
    for folder, parties in folders.items():
        case_id = (await create_case(http, office.token, title=f"PASTA-{folder}"))["id"]
        world.case_ids.append(case_id)
        world.everything |= {f"PASTA-{folder}", case_id}
        for source in ("COURT", "INTERNAL"):
            description = f"ANDAMENTO-{folder}-{source}"
            added = await add_movement(
                http, office.token, case_id, description=description, source=source
            )
            world.everything |= {description, added["id"]}
            world.node_ids.append(added["id"])
            if source == "COURT":
                court_movements[folder] = added["id"]
        for party, is_client in parties.items():
            await add_party(http, office, case_id, persons[party], is_client=is_client)
        for party, is_client in parties.items():
            if not is_client:
                continue
            seen = world.allowed.setdefault(party, set())
            seen |= {f"PASTA-{folder}", case_id, f"ANDAMENTO-{folder}-COURT"}
            seen.add(court_movements[folder])
            for other in parties:
                seen |= {f"PESSOA-{other}", persons[other]}
    world.node_ids += [*world.case_ids[-len(folders) :], *persons.values()]
    for name, portal in clients.items():
        world.allowed.setdefault(name, set()).update({f"PESSOA-{name}", portal.person_id})


@pytest.fixture(scope="module")
async def world(served: Served) -> World:
    built = World()
    async with http_client(served) as http:
        for tag in ("A", "B"):
            office = await new_office(http, served.state["engine"])
            await _office_world(http, office, tag, built)
    return built


def _named(graphql_type: GraphQLOutputType) -> GraphQLOutputType:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


@st.composite
def _selection(draw: st.DrawFn, object_type: GraphQLObjectType, depth: int, world: World) -> str:
    names = sorted(object_type.fields)
    leaves = [n for n in names if not isinstance(_named(object_type.fields[n].type), COMPOSITE)]
    branches = [n for n in names if n not in leaves] if depth < MAX_DEPTH else []
    # At least one branch wherever there is one, so that deep data is reached often.
    picked = (
        draw(st.lists(st.sampled_from(branches), min_size=1, max_size=2, unique=True))
        if branches
        else []
    )
    if leaves:
        at_least = 0 if picked else 1
        picked += draw(
            st.lists(st.sampled_from(leaves), min_size=at_least, max_size=3, unique=True)
        )
    parts = []
    for name in picked:
        graphql_field = object_type.fields[name]
        arguments = []
        if "first" in graphql_field.args:
            # Pages past the few folders here find nothing more; larger ones could pass
            # the client's cost limit, and be refused rather than answered.
            arguments.append(f"first: {draw(st.integers(1, 10))}")
        if "id" in graphql_field.args:
            pool = world.case_ids if name == "case" else world.node_ids
            arguments.append(f'id: "{draw(st.sampled_from(pool))}"')
        if "ids" in graphql_field.args:
            arguments.append(
                f"ids: {json.dumps(draw(st.lists(st.sampled_from(world.node_ids), max_size=4)))}"
            )
        text = name + (f"({', '.join(arguments)})" if arguments else "")
        target = _named(graphql_field.type)
        if isinstance(target, GraphQLObjectType):
            text += " { " + draw(_selection(target, depth + 1, world)) + " }"
        elif isinstance(target, GraphQLInterfaceType):  # Node: one of its types, spread in
            possible = sorted(CLIENT_SCHEMA.get_possible_types(target), key=lambda t: t.name)
            kind = draw(st.sampled_from(possible))
            inner = draw(_selection(kind, depth + 1, world))
            text += f" {{ __typename id ... on {kind.name} {{ {inner} }} }}"
        parts.append(text)
    return " ".join(parts)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
async def test_no_answer_holds_anything_outside_the_clients_scope(
    client: httpx.AsyncClient, world: World, drawn: st.DataObject
) -> None:
    who = drawn.draw(st.sampled_from(sorted(world.tokens)))
    query = "{ " + drawn.draw(_selection(CLIENT_QUERY, 1, world)) + " }"
    answer = json.dumps(data(await gql(client, world.tokens[who], query)), ensure_ascii=False)
    leaked = {marker for marker in world.everything - world.allowed[who] if marker in answer}
    assert not leaked, (who, query, leaked)
