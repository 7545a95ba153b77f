"""What a client sees over HTTP: their folders, the Principal tab, what came from the court."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db.session import act_as, transaction
from db.tables import cases
from domain.viewer import Role, Viewer
from schema.permissions import IsStaff
from settings import Settings
from tests.factories import Docket, Staff, add_party, create_case, make_docket
from tests.graphql_client import data, error, gql, hidden
from tests.serving import Served

FOLDERS = """
{
  cases { totalCount edges { node {
    id title
    parties { role isClient person { id name } }
    movements { totalCount edges { node { description source } } }
  } } }
}
"""
ONE_CASE = "query One($id: ID!) { case(id: $id) { id title } }"


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


async def test_a_client_reads_only_the_folders_where_they_carry_the_client_tag(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    folders = data(await gql(client, docket.client.token, FOLDERS))["cases"]
    assert folders["totalCount"] == 1
    [edge] = folders["edges"]
    node = edge["node"]
    assert (node["id"], node["title"]) == (docket.own, "Ação de cobrança")
    # every party's name and role, and only the movements that came from the court
    assert sorted(party["person"]["name"] for party in node["parties"]) == [
        "Maria Cliente",
        "Outro Cliente",
    ]
    assert node["movements"] == {
        "totalCount": 1,
        "edges": [{"node": {"description": "Sentença publicada", "source": "COURT"}}],
    }


@pytest.mark.parametrize("which", ["untagged", "others"])
async def test_a_folder_out_of_scope_is_null_never_forbidden(
    client: httpx.AsyncClient, docket: Docket, which: str
) -> None:
    body = await gql(client, docket.client.token, ONE_CASE, {"id": getattr(docket, which)})
    assert body == {"data": {"case": None}}


async def test_a_folder_of_another_office_is_null(
    client: httpx.AsyncClient, docket: Docket, other_office: Staff
) -> None:
    elsewhere = await create_case(client, other_office.token, title="Caso de outro escritório")
    body = await gql(client, docket.client.token, ONE_CASE, {"id": elsewhere["id"]})
    assert body == {"data": {"case": None}}


async def test_a_malformed_id_is_bad_input_naming_the_argument(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    body = await gql(client, docket.client.token, ONE_CASE, {"id": "not-an-id"})
    assert body["data"] == {"case": None}
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


async def test_removing_the_client_tag_hides_the_folder_on_the_next_request(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    await add_party(client, office, docket.own, docket.client.person_id, is_client=False)
    body = await gql(client, docket.client.token, ONE_CASE, {"id": docket.own})
    assert body == {"data": {"case": None}}
    assert data(await gql(client, docket.client.token, FOLDERS))["cases"]["totalCount"] == 0


# --- the client view of the schema (lock 1) --------------------------------------------------


async def test_a_hidden_field_fails_exactly_like_a_field_that_does_not_exist(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    token = docket.client.token
    for name in ("internalNotes", "lossRisk", "feeAgreement", "tasks", "createdAt"):
        assert await hidden(client, token, f"{{ cases {{ edges {{ node {{ {name} }} }} }} }}") == [
            f"Cannot query field '{name}' on type 'Case'."
        ]
    assert await hidden(client, token, "{ cases { edges { node { noSuchField } } } }") == [
        "Cannot query field 'noSuchField' on type 'Case'."
    ]


async def test_with_the_permission_classes_switched_off_the_view_still_hides_fields(
    client: httpx.AsyncClient, docket: Docket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given lock 2 switched off: IsStaff lets everyone through
    monkeypatch.setattr(IsStaff, "has_permission", lambda *args, **kwargs: True)
    query = "query One($id: ID!) { case(id: $id) { title internalNotes } }"

    # then the client view alone still refuses the field, before anything runs
    assert await hidden(client, docket.client.token, query, {"id": docket.own}) == [
        "Cannot query field 'internalNotes' on type 'Case'."
    ]


async def test_no_suggestion_names_a_hidden_field(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    messages = await hidden(
        client, docket.client.token, "{ cases { edges { node { internalNote } } } }"
    )
    assert messages == ["Cannot query field 'internalNote' on type 'Case'."]


INTROSPECTION = """
{
  __schema { mutationType { name } types { name } }
  task: __type(name: "Task") { name }
  case: __type(name: "Case") { fields { name } }
  person: __type(name: "Person") { fields { name } }
}
"""


async def test_introspection_shows_a_client_only_the_principal_tab(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    answer = data(await gql(client, docket.client.token, INTROSPECTION))
    names = {t["name"] for t in answer["__schema"]["types"] if not t["name"].startswith("__")}
    assert answer["__schema"]["mutationType"] is None
    assert answer["task"] is None
    assert not names & {"Task", "PortalAccess", "OutboxMessage", "PersonInput", "Mutation"}
    assert {f["name"] for f in answer["person"]["fields"]} == {"id", "name"}
    case_fields = {f["name"] for f in answer["case"]["fields"]}
    assert "internalNotes" not in case_fields
    assert {"folder", "cnjNumber", "movements", "documents"} <= case_fields


async def test_staff_see_the_whole_schema(client: httpx.AsyncClient, office: Staff) -> None:
    answer = data(await gql(client, office.lawyer_token, INTROSPECTION))
    assert answer["__schema"]["mutationType"] == {"name": "Mutation"}
    assert answer["task"] == {"name": "Task"}


# --- the permission classes alone (lock 2): the client view switched off ----------------------


@pytest.fixture
def full_schema_for_clients(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    views: dict[bool, Any] = served.state["views"]
    monkeypatch.setitem(views, False, views[True])


@pytest.mark.usefixtures("full_schema_for_clients")
async def test_with_the_full_schema_a_client_still_gets_forbidden_and_no_value(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    body = await gql(
        client,
        docket.client.token,
        "query One($id: ID!) { case(id: $id) { title internalNotes } }",
        {"id": docket.own},
    )
    assert body["data"] == {"case": {"title": "Ação de cobrança", "internalNotes": None}}
    assert error(body)["extensions"] == {"code": "FORBIDDEN"}
    assert error(body)["path"] == ["case", "internalNotes"]

    mutation = await gql(
        client,
        docket.client.token,
        'mutation { createPerson(input: {name: "Intrusa"}) { person { id } } }',
    )
    assert mutation["data"] is None
    assert error(mutation)["extensions"] == {"code": "FORBIDDEN"}


# --- limits, stricter for clients ------------------------------------------------------------


async def test_a_client_page_is_at_most_50(client: httpx.AsyncClient, docket: Docket) -> None:
    body = await gql(client, docket.client.token, "{ cases(first: 51) { totalCount } }")
    assert body["data"] is None
    assert error(body)["message"] == "first must be between 0 and 50, not 51."
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


STAFF_PAGE = """
query Page($after: String) {
  cases(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id } }
  }
}
"""


async def test_staff_pages_go_to_100(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff
) -> None:
    # given 105 cases in the office
    viewer = Viewer(
        account_id=office.admin_id,
        office_id=office.office_id,
        role=Role.ADMIN,
        email=office.email,
        name="Ana Admin",
        session_id=office.office_id,
    )
    async with transaction(engine) as db:
        await act_as(db, viewer)
        await db.execute(
            sa.insert(cases).values(
                [
                    {"office_id": office.office_id, "folder": f"P-{n:03d}", "title": f"Caso {n}"}
                    for n in range(105)
                ]
            )
        )

    # then a staff page holds 100 of them, and the next one the other 5
    first = data(await gql(client, office.token, STAFF_PAGE))["cases"]
    assert len(first["edges"]) == 100
    assert first["totalCount"] == 105
    assert first["pageInfo"]["hasNextPage"] is True
    after = {"after": first["pageInfo"]["endCursor"]}
    rest = data(await gql(client, office.token, STAFF_PAGE, after))["cases"]
    assert len(rest["edges"]) == 5
    assert rest["pageInfo"]["hasNextPage"] is False
    ids = {edge["node"]["id"] for edge in first["edges"] + rest["edges"]}
    assert len(ids) == 105


async def test_a_deep_query_is_refused_for_a_client(
    client: httpx.AsyncClient, docket: Docket, settings: Settings
) -> None:
    nested = "{ viewer { person " + "{ id x " * 9 + "}" * 9 + " } }"
    messages = await hidden(client, docket.client.token, nested)
    depth = settings.client_limits.depth
    assert f"'anonymous' exceeds maximum operation depth of {depth}: it is 10 deep." in messages


async def test_an_alias_bomb_is_refused_for_a_client_but_not_for_staff(
    client: httpx.AsyncClient, docket: Docket, office: Staff
) -> None:
    bomb = "{ " + " ".join(f"a{n}: viewer {{ email }}" for n in range(11)) + " }"
    [message] = await hidden(client, docket.client.token, bomb)
    assert message == "11 aliases found. Allowed: 10"
    data(await gql(client, office.token, bomb))


async def test_too_many_tokens_are_refused_for_a_client(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    query = "{ viewer { " + " ".join(["email"] * 1_000) + " } }"
    body = await gql(client, docket.client.token, query)
    assert body["data"] is None
    assert error(body)["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "more than 1000 tokens" in error(body)["message"]


async def test_a_large_body_is_refused_for_a_client_but_not_for_staff(
    client: httpx.AsyncClient, docket: Docket, office: Staff
) -> None:
    padding = " " * 25_000
    query = "{ viewer { email } }" + padding
    refused = await gql(client, docket.client.token, query, status=413)
    assert error(refused)["message"] == "The request body exceeds 20000 bytes."
    data(await gql(client, office.token, query))
