"""Relay's object identification: global ids that carry their type, the Node interface,
and node(id:) / nodes(ids:) in each view, with the scope of case(id:)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from domain.viewer import Role
from settings import Settings
from tests.factories import (
    PDF,
    Docket,
    Staff,
    add_movement,
    id_of,
    key_of,
    make_docket,
    upload_document,
)
from tests.graphql_client import data, error, gql

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Case { title }
    ... on Movement { description source }
    ... on Person { name }
    ... on CaseParty { isClient person { id } }
  }
}
"""
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
CASE_WITH_EVERYTHING = """
query Case($id: ID!) {
  case(id: $id) {
    id
    responsibleLawyer { id }
    parties { id person { id } }
    movements { edges { node { id } } }
    documents { edges { node { id } } }
  }
}
"""
STAFF_CASE = """
query Case($id: ID!) {
  case(id: $id) {
    tasks { id }
    parties { person { id portalAccess { id enabled } } }
  }
}
"""
CREATE_TASK = """
mutation Task($caseId: ID!) { createTask(caseId: $caseId, input: {title: "Prazo"}) { task { id } } }
"""
POSSIBLE_NODES = '{ __type(name: "Node") { possibleTypes { name } } }'


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


def decoded(id: str) -> str:
    return base64.b64decode(id).decode()


async def everything_of(client: httpx.AsyncClient, token: str, case_id: str) -> dict[str, Any]:
    found: dict[str, Any] = data(await gql(client, token, CASE_WITH_EVERYTHING, {"id": case_id}))[
        "case"
    ]
    return found


async def node(client: httpx.AsyncClient, token: str, id: str) -> Any:
    return data(await gql(client, token, NODE, {"id": id}))["node"]


async def test_every_id_is_opaque_and_names_its_type(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    await upload_document(client, office.token, docket.own, PDF, source="COURT")
    case = await everything_of(client, office.token, docket.own)

    assert decoded(case["id"]) == f"Case:{key_of(docket.own)}"
    movement = case["movements"]["edges"][0]["node"]["id"]
    assert decoded(movement).startswith("Movement:")
    assert decoded(case["documents"]["edges"][0]["node"]["id"]).startswith("Document:")
    party = next(p for p in case["parties"] if p["person"]["id"] == docket.client.person_id)
    # a party is known by its case and its person
    assert decoded(party["id"]) == (
        f"CaseParty:{key_of(docket.own)}:{key_of(docket.client.person_id)}"
    )


async def test_staff_refetch_every_kind_of_object_by_node(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    task = data(await gql(client, office.token, CREATE_TASK, {"caseId": docket.own}))
    await upload_document(client, office.token, docket.own, PDF, source="INTERNAL")
    case = await everything_of(client, office.token, docket.own)
    staff = data(await gql(client, office.token, STAFF_CASE, {"id": docket.own}))["case"]
    access = next(
        p["person"]["portalAccess"]
        for p in staff["parties"]
        if p["person"]["id"] == docket.client.person_id
    )
    ids = {
        "Case": case["id"],
        "Movement": case["movements"]["edges"][0]["node"]["id"],
        "Document": case["documents"]["edges"][0]["node"]["id"],
        "CaseParty": case["parties"][0]["id"],
        "Person": case["parties"][0]["person"]["id"],
        "Task": task["createTask"]["task"]["id"],
        "PortalAccess": access["id"],
    }

    found = data(await gql(client, office.token, NODES, {"ids": list(ids.values())}))["nodes"]

    assert found == [{"__typename": kind, "id": id} for kind, id in ids.items()]
    assert await node(client, office.token, ids["Case"]) == {
        "__typename": "Case",
        "id": docket.own,
        "title": "Ação de cobrança",
    }


async def test_a_client_refetches_what_they_see_and_nothing_else(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    token = docket.client.token
    internal = await add_movement(client, office.token, docket.own, source="INTERNAL")
    task = data(await gql(client, office.token, CREATE_TASK, {"caseId": docket.own}))
    theirs = await everything_of(client, token, docket.own)
    court_movement = theirs["movements"]["edges"][0]["node"]["id"]

    assert await node(client, token, docket.own) == {
        "__typename": "Case",
        "id": docket.own,
        "title": "Ação de cobrança",
    }
    assert await node(client, token, court_movement) == {
        "__typename": "Movement",
        "id": court_movement,
        "description": "Sentença publicada",
        "source": "COURT",
    }
    # out of scope, INTERNAL, or a type the client view does not have: null, as case(id:)
    unseen = [
        docket.untagged,
        docket.others,
        internal["id"],
        task["createTask"]["task"]["id"],
        id_of("PortalAccess", key_of(docket.client.person_id)),
        id_of("Case", "00000000-0000-4000-8000-000000000000"),
        id_of("NoSuchType", "00000000-0000-4000-8000-000000000000"),
    ]
    for id in unseen:
        assert await node(client, token, id) is None, decoded(id)
    found = data(await gql(client, token, NODES, {"ids": [*unseen, docket.own]}))["nodes"]
    assert found == [*[None] * len(unseen), {"__typename": "Case", "id": docket.own}]


async def test_another_office_sees_null(
    client: httpx.AsyncClient, docket: Docket, other_office: Staff
) -> None:
    assert await node(client, other_office.token, docket.own) is None
    assert await node(client, other_office.token, docket.client.person_id) is None


async def test_the_client_view_has_node_only_over_its_own_types(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    def names(body: dict[str, Any]) -> list[str]:
        return sorted(t["name"] for t in data(body)["__type"]["possibleTypes"])

    assert names(await gql(client, docket.client.token, POSSIBLE_NODES)) == [
        "Case",
        "CaseParty",
        "Document",
        "Movement",
        "Person",
        "PortalActivity",
        "StaffMember",
    ]
    assert names(await gql(client, office.token, POSSIBLE_NODES)) == [
        "Case",
        "CaseParty",
        "Document",
        "Movement",
        "OAuthClient",
        "OutboxMessage",
        "Person",
        "PortalAccess",
        "PortalActivity",
        "Removal",
        "StaffMember",
        "Task",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "not base64!",
        "",
        base64.b64encode(b"no separator").decode(),
        base64.b64encode(b"Case:not-a-uuid").decode(),
        base64.b64encode(b"Case:{12345678-1234-5678-1234-567812345678}").decode(),
        base64.b64encode(b"\xff\xfe:x").decode(),
        "QQ==" * 100,
    ],
)
async def test_a_malformed_id_is_bad_user_input(
    client: httpx.AsyncClient, docket: Docket, bad: str
) -> None:
    for token in (docket.client.token,):
        err = error(await gql(client, token, NODE, {"id": bad}))
        assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
        assert "is not an id given by this API" in err["message"]


async def test_an_id_of_another_type_is_refused_by_name(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    body = await gql(
        client,
        docket.client.token,
        "query($id: ID!) { case(id: $id) { id } }",
        {"id": docket.client.person_id},
    )
    err = error(body)
    assert err["message"] == "id must be the id of a Case, not of a Person."
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


async def test_nodes_takes_at_most_a_page_of_ids(
    client: httpx.AsyncClient, docket: Docket, settings: Settings
) -> None:
    most = settings.limits_for(Role.CLIENT).page_size
    ids = [docket.own] * (most + 1)
    err = error(await gql(client, docket.client.token, NODES, {"ids": ids}))
    assert err["message"] == f"ids may name at most {most} objects, not {most + 1}."
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "ids"}


async def test_both_read_paths_write_the_same_ids(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    """case(id:) is compiled into one statement; node(id:) goes through the executor."""
    compiled = await everything_of(client, office.token, docket.own)
    executed = data(
        await gql(
            client,
            office.token,
            """query($id: ID!) { node(id: $id) { ... on Case {
                id responsibleLawyer { id } parties { id person { id } }
                movements { edges { node { id } } } documents { edges { node { id } } }
            } } }""",
            {"id": docket.own},
        )
    )["node"]
    assert executed == compiled
