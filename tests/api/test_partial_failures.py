"""A field that fails leaves the rest of the answer, the connection and the data sound.

When a field fails, GraphQL stops waiting for its siblings; their SQL statements must
still end cleanly (a statement cut off mid-way broke the transaction: 500 at commit, or
a false 503). A mutation whose answer fails anywhere is rolled back whole.
"""

from __future__ import annotations

import json

import httpx

from settings import Settings
from tests.factories import PDF, Staff, create_case, make_docket
from tests.graphql_client import data, gql
from tests.storage import stored_files

BAD_CURSOR_BESIDE_A_CASE = """
query Two($id: ID!) {
  cases(after: "bad") { totalCount }
  case(id: $id) { id movements { totalCount edges { node { description } } } }
}
"""

BAD_PAGE_BESIDE_THE_VIEWER = """
{ viewer { email person { name } } cases(first: -1, after: "x") { edges { cursor } } }
"""

NULLABLE_FAILURE_BESIDE_A_CASE = """
query Two($id: ID!) {
  case(id: $id) { id title movements(after: "bad") { totalCount } }
  persons { totalCount }
}
"""

CREATE_CASE_BAD_SELECTION = """
mutation {
  createCase(input: {title: "Sem retorno"}) { case { id movements(after: "bad") { totalCount } } }
}
"""

CREATE_TWO_SECOND_BAD_SELECTION = """
mutation {
  kept: createCase(input: {title: "Mantido"}) { case { id } }
  undone: createCase(input: {title: "Desfeito"}) {
    case { id movements(first: 500) { totalCount } }
  }
}
"""

UPLOAD_THEN_BAD_UPDATE = """
mutation($f: Upload!, $c: ID!) {
  uploadDocument(caseId: $c, file: $f, source: COURT) { document { id } }
  updateCase(id: $c, input: {claimValue: "-1"}) { case { id } }
}
"""

VIEWER = "{ viewer { email } }"


def codes(body: dict[str, object]) -> set[str]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return {e["extensions"]["code"] for e in errors}


async def test_a_failing_field_beside_pending_sql_is_a_user_error_not_a_500(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, title="Ação de despejo"))["id"]
    for _ in range(20):  # the race between the failure and the siblings' SQL, many times
        body = await gql(client, office.token, BAD_CURSOR_BESIDE_A_CASE, {"id": case_id})
        assert body["data"] is None
        assert codes(body) == {"BAD_USER_INPUT"}
        assert body["errors"][0]["extensions"]["field"] == "after"
    assert data(await gql(client, office.token, VIEWER))["viewer"]["email"] == office.email


async def test_a_client_with_a_bad_page_gets_a_user_error(
    client: httpx.AsyncClient, office: Staff
) -> None:
    docket = await make_docket(client, office)
    for _ in range(20):
        body = await gql(client, docket.client.token, BAD_PAGE_BESIDE_THE_VIEWER)
        assert body["data"] is None
        assert codes(body) == {"BAD_USER_INPUT"}
    assert data(await gql(client, docket.client.token, VIEWER))["viewer"]["email"]


async def test_the_fields_that_could_be_resolved_are_answered(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, title="Ação de alimentos"))["id"]
    body = await gql(client, office.token, NULLABLE_FAILURE_BESIDE_A_CASE, {"id": case_id})
    assert codes(body) == {"BAD_USER_INPUT"}
    assert body["data"]["case"] is None  # nulled up to the nearest nullable field
    assert body["data"]["persons"]["totalCount"] == 0


async def test_a_mutation_whose_answer_fails_is_not_written(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, CREATE_CASE_BAD_SELECTION)
    assert body["data"] is None
    assert codes(body) == {"BAD_USER_INPUT"}
    titles = await case_titles(client, office)
    assert "Sem retorno" not in titles


async def test_when_an_error_empties_the_answer_no_mutation_of_it_lands(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, CREATE_TWO_SECOND_BAD_SELECTION)
    assert codes(body) == {"BAD_USER_INPUT"}
    assert body["data"] is None  # createCase is non-null: the error reaches the root
    titles = await case_titles(client, office)
    assert "Mantido" not in titles  # its id was never given
    assert "Desfeito" not in titles


async def test_an_upload_whose_answer_is_lost_leaves_no_file(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    case_id = (await create_case(client, office.token, title="Upload perdido"))["id"]
    before = stored_files(settings)
    operations = {"query": UPLOAD_THEN_BAD_UPDATE, "variables": {"c": case_id, "f": None}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": ("peticao.pdf", PDF, "application/pdf")},
        headers=office.headers,
    )
    body = response.json()
    assert body["data"] is None
    assert codes(body) == {"BAD_USER_INPUT"}
    assert stored_files(settings) == before
    documents = "query($id: ID!) { case(id: $id) { documents { totalCount } } }"
    found = data(await gql(client, office.token, documents, {"id": case_id}))
    assert found["case"]["documents"]["totalCount"] == 0


CASE_TITLES = "{ cases(first: 100) { edges { node { title } } } }"


async def case_titles(client: httpx.AsyncClient, office: Staff) -> list[str]:
    edges = data(await gql(client, office.token, CASE_TITLES))["cases"]["edges"]
    return [edge["node"]["title"] for edge in edges]
