"""What one request may ask for: small documents cannot hold the server, costly ones are
refused before they run, and a document of several operations must name the one to run."""

from __future__ import annotations

import httpx
import pytest
from graphql import get_introspection_query

from tests.factories import (
    CLIENT_FOLDERS,  # the portal's usual read
    Docket,
    Staff,
    doubling,
    doubling_apart,
    make_docket,
)
from tests.graphql_client import data, error, gql

README_FOLDERS = """
query Folders {
  cases(first: 20, search: "indenização", status: ACTIVE) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      folder title cnjNumber court status
      responsibleLawyer { name }
      parties { role isClient person { name } }
      movements(first: 5) { edges { node { occurredAt description source } } }
      tasks { title dueOn done }
    } }
  }
}
"""


PAGES = "{ edges { node { movements(first: 100) { edges { node { id } } } } } }"
# 48 aliased pages of 100 cases, each with 100 movements: per case edges, node,
# movements and 100 times edges, node and id.
ALIASED_PAGES = "{ " + " ".join(f"p{n}: cases(first: 100) {PAGES}" for n in range(48)) + " }"
ALIASED_PAGES_COST = 48 * (1 + 100 * (3 + 100 * 3))

# A client's pages of 50 cases, each with 50 movements and 50 documents: per case edges,
# node, and two pages of 50 times edges, node and two fields.
CLIENT_PAGES = """
{ cases(first: 50) { edges { node {
  movements(first: 50) { edges { node { id occurredAt } } }
  documents(first: 50) { edges { node { id title } } }
} } } }
"""
CLIENT_PAGES_COST = 1 + 50 * (2 + 2 * (1 + 50 * 4))

TWO_OPERATIONS = "query Me { viewer { email } } query Role { viewer { role } }"

NESTED_INTROSPECTION = (
    "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
)


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


# --- fragments spread again and again cannot hold the server --------------------------------


@pytest.mark.parametrize("levels", [20, 40])
async def test_fragments_each_spreading_the_last_twice_are_answered(
    client: httpx.AsyncClient, office: Staff, docket: Docket, levels: int
) -> None:
    staff = data(await gql(client, office.token, doubling(levels)))
    assert staff == {"viewer": {"email": office.email}}
    portal = data(await gql(client, docket.client.token, doubling(levels)))
    assert portal == {"viewer": {"email": docket.client.email}}


async def test_fragments_doubling_where_execution_cannot_merge_them_are_refused_as_costly(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, doubling_apart(40))

    assert body["data"] is None
    assert error(body)["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": 1 + 2**40,
        "limit": 30_000,
    }


# --- the cost limit -----------------------------------------------------------------


async def test_aliased_pages_of_pages_are_refused_for_staff_with_their_cost(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": ALIASED_PAGES},
        headers={"Authorization": f"Bearer {office.token}"},
    )

    assert response.status_code == 200  # as every other validation error
    body = response.json()
    assert body["data"] is None
    assert error(body)["message"] == (
        f"'anonymous' may cost {ALIASED_PAGES_COST}, past the limit of 30000: "
        "ask for smaller pages (first) or fewer nested lists."
    )
    assert error(body)["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": ALIASED_PAGES_COST,
        "limit": 30_000,
    }


async def test_a_client_is_refused_sooner_than_staff(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    body = await gql(client, docket.client.token, CLIENT_PAGES)

    assert body["data"] is None
    assert error(body)["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": CLIENT_PAGES_COST,
        "limit": 20_000,
    }
    assert len(data(await gql(client, office.token, CLIENT_PAGES))["cases"]["edges"]) == 3


async def test_the_readme_query_passes(client: httpx.AsyncClient, office: Staff) -> None:
    assert data(await gql(client, office.token, README_FOLDERS))["cases"]["totalCount"] == 0


async def test_a_clients_usual_read_passes(client: httpx.AsyncClient, docket: Docket) -> None:
    body = await gql(client, docket.client.token, CLIENT_FOLDERS, {"first": 20})

    assert data(body)["cases"]["totalCount"] == 1


# --- introspection ------------------------------------------------------------------


async def test_the_usual_introspection_passes_for_a_client(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    body = await gql(client, docket.client.token, get_introspection_query())

    assert data(body)["__schema"]["queryType"]["name"] == "Query"


async def test_nested_introspection_lists_are_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, NESTED_INTROSPECTION)

    assert body["data"] is None
    assert error(body)["message"] == "Maximum introspection depth exceeded"
    assert error(body)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


# --- which operation runs -----------------------------------------------------------


async def test_several_operations_without_a_name_are_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": TWO_OPERATIONS},
        headers={"Authorization": f"Bearer {office.token}"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "The document has 2 operations; name one with operationName.",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }


async def test_the_named_operation_runs(client: httpx.AsyncClient, office: Staff) -> None:
    response = await client.post(
        "/graphql",
        json={"query": TWO_OPERATIONS, "operationName": "Role"},
        headers={"Authorization": f"Bearer {office.token}"},
    )

    assert response.status_code == 200
    assert data(response.json()) == {"viewer": {"role": "ADMIN"}}


# --- the answer's size ----------------------------------------------------------------

WIDE_PAGES = (
    "{ "
    + " ".join(
        f"p{n}: cases(first: 100) {{ edges {{ node {{ id folder title cnjNumber court status "
        "phase subject } } }"
        for n in range(48)
    )
    + " }"
)
NOTES_PAGES = (
    "{ "
    + " ".join(
        f"p{n}: cases(first: 100) {{ edges {{ node {{ internalNotes feeAgreement }} }} }}"
        for n in range(12)
    )
    + " }"
)
ONE_PAGE_OF_NOTES = "{ cases(first: 100) { edges { node { title internalNotes feeAgreement } } } }"


@pytest.mark.parametrize("document", [WIDE_PAGES, NOTES_PAGES], ids=["wide", "long text"])
async def test_many_aliased_pages_are_refused_however_flat(
    client: httpx.AsyncClient, office: Staff, document: str
) -> None:
    body = await gql(client, office.token, document)

    assert body["data"] is None
    extensions = error(body)["extensions"]
    assert extensions["code"] == "QUERY_TOO_COSTLY"
    assert extensions["cost"] > extensions["limit"] == 30_000


async def test_a_page_of_cases_with_their_notes_passes(
    client: httpx.AsyncClient, office: Staff
) -> None:
    assert data(await gql(client, office.token, ONE_PAGE_OF_NOTES))["cases"]["edges"] == []


async def test_a_cost_past_what_json_keeps_exactly_is_reported_at_that_ceiling(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # each round: a page of 100 cases times 10 parties, six rounds deep
    nested = "{ id }"
    for _ in range(6):
        round_trip = "cases(first: 100) { edges { node { parties { person %s } } } }"
        nested = "{ " + round_trip % nested + " }"
    document = "{ persons(first: 100) { edges { node " + nested + " } } }"

    body = await gql(client, office.token, document)

    costly = [e for e in body["errors"] if e["extensions"]["code"] == "QUERY_TOO_COSTLY"]
    assert costly[0]["extensions"]["cost"] == 2**53 - 1


async def test_introspection_repeated_under_aliases_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    document = "{ " + " ".join(f"s{n}: __schema {{ types {{ name }} }}" for n in range(4)) + " }"

    body = await gql(client, office.token, document)

    assert body["data"] is None
    assert error(body)["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": 40_000,
        "limit": 30_000,
    }


async def test_graphiqls_introspection_passes_for_staff_and_clients(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    for token in (office.token, docket.client.token):
        assert data(await gql(client, token, get_introspection_query()))["__schema"]["types"]
