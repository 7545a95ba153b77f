"""Argument values that PostgreSQL cannot take are refused as BAD_USER_INPUT naming the field."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from tests.factories import Staff, create_case
from tests.graphql_client import data, error, gql, gql_ascii

CASES_AFTER = "query C($after: String) { cases(after: $after) { totalCount edges { cursor } } }"
PERSONS_AFTER = "query P($after: String) { persons(after: $after) { totalCount } }"
MOVEMENTS_AFTER = """
query M($id: ID!, $after: String) { case(id: $id) { movements(after: $after) { totalCount } } }
"""
CASES_FIRST = "query C($first: Int) { cases(first: $first) { totalCount } }"
CASES_SEARCH = "query C($search: String) { cases(search: $search) { totalCount } }"
PERSONS_SEARCH = "query P($search: String) { persons(search: $search) { totalCount } }"
CREATE_PERSON = "mutation P($input: PersonInput!) { createPerson(input: $input) { person { id } } }"
IMPORT = """
mutation I($caseId: ID!, $payload: JSON!) {
  importCourtData(caseId: $caseId, payload: $payload) { movementsAdded }
}
"""
LAST_BIGINT = 2**63 - 1


def _cursor(offset: int | str) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _key_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(f"k1:{json.dumps(key)}".encode()).decode()


def _refused(body: dict[str, Any]) -> dict[str, Any]:
    refused = error(body)
    assert refused["extensions"]["code"] == "BAD_USER_INPUT", body
    return {"field": refused["extensions"]["field"], "message": refused["message"]}


@pytest.mark.parametrize("offset", [0, LAST_BIGINT, 2**63, 10**40])
async def test_an_offset_cursor_of_the_old_form_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff, offset: int
) -> None:
    body = await gql(client, office.token, CASES_AFTER, {"after": _cursor(offset)})

    assert _refused(body) == {
        "field": "after",
        "message": "after is not a cursor returned by this connection.",
    }


async def test_a_cursor_far_past_the_end_is_an_empty_page(
    client: httpx.AsyncClient, office: Staff
) -> None:
    (await create_case(client, office.token, title="Única"))["id"]
    oldest = _key_cursor([-(10**16), "00000000-0000-0000-0000-000000000000"])  # year 1653

    body = await gql(client, office.token, CASES_AFTER, {"after": oldest})

    assert data(body) == {"cases": {"totalCount": 1, "edges": []}}


@pytest.mark.parametrize(
    "key",
    [[10**20, "00000000-0000-0000-0000-000000000000"], ["Ana", 1], [1, "\u0661"], [True, "x"]],
)
async def test_a_cursor_whose_key_is_not_the_connections_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff, key: list[Any]
) -> None:
    body = await gql(client, office.token, PERSONS_AFTER, {"after": _key_cursor(key)})

    assert _refused(body)["field"] == "after"


async def test_a_bad_cursor_on_a_nested_connection_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, title="Com andamentos"))["id"]

    body = await gql(
        client, office.token, MOVEMENTS_AFTER, {"id": case_id, "after": _cursor(LAST_BIGINT)}
    )

    assert _refused(body)["field"] == "after"
    assert body["data"] == {"case": None}


@pytest.mark.parametrize("first", [-1, 101, 2**31 - 1, -(2**31)])
async def test_a_page_size_out_of_range_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff, first: int
) -> None:
    body = await gql(client, office.token, CASES_FIRST, {"first": first})

    assert _refused(body) == {
        "field": "first",
        "message": f"first must be between 0 and 100, not {first}.",
    }


@pytest.mark.parametrize("query", [CASES_SEARCH, PERSONS_SEARCH])
@pytest.mark.parametrize("term", ["\ud800", "Ma\udfffria"])
async def test_a_search_with_a_lone_surrogate_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff, query: str, term: str
) -> None:
    body = await gql_ascii(client, office.token, query, {"search": term})

    assert _refused(body) == {
        "field": "search",
        "message": "search is not valid text: it holds a lone surrogate.",
    }


async def test_a_lone_surrogate_in_the_query_text_is_a_parse_error(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql_ascii(client, office.token, '{ cases(search: "\ud800") { totalCount } }', {})

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


@pytest.mark.parametrize(
    ("person", "field"),
    [
        ({"name": "Ma\ud800ria"}, "name"),
        ({"name": "Maria", "notes": "\udfff"}, "notes"),
        ({"name": "Maria", "email": "ma\ud800@example.com"}, "email"),
    ],
)
async def test_written_text_with_a_lone_surrogate_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff, person: dict[str, str], field: str
) -> None:
    body = await gql_ascii(client, office.token, CREATE_PERSON, {"input": person})

    assert body["data"] is None
    assert _refused(body)["field"] == field


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


# Past the import's 32 levels, within the 64 that any JSON body may nest.
@pytest.mark.parametrize(
    "payload",
    [
        _nested(40),
        {"numeroProcesso": "1023456-21.2021.8.26.0100", "assuntos": _nested(40)},
        {"hits": {"hits": [{"_source": {"numeroProcesso": "x", "movimentos": _nested(40)}}]}},
    ],
    ids=["bare", "subjects", "movements"],
)
async def test_a_deeply_nested_court_payload_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff, payload: Any
) -> None:
    case_id = (
        await create_case(
            client, office.token, title="Execução", cnjNumber="1023456-21.2021.8.26.0100"
        )
    )["id"]

    body = await gql(client, office.token, IMPORT, {"caseId": case_id, "payload": payload})

    assert body["data"] is None
    assert _refused(body) == {
        "field": "payload",
        "message": "The payload is nested deeper than 32 levels; no DataJud answer is.",
    }


async def test_a_court_payload_past_any_json_limit_is_refused_before_graphql(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (
        await create_case(
            client, office.token, title="Execução", cnjNumber="1023456-21.2021.8.26.0100"
        )
    )["id"]

    body = await gql(
        client, office.token, IMPORT, {"caseId": case_id, "payload": _nested(900)}, status=400
    )

    assert body["errors"][0]["message"] == "The JSON nests deeper than 64 levels."


async def test_a_search_longer_than_any_name_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    document = "query($s: String) { cases(search: $s) { totalCount } }"
    body = await gql(client, office.token, document, {"s": "a%_" * 100})

    assert body["data"] is None
    assert _refused(body) == {
        "field": "search",
        "message": "search must be at most 200 characters long, not 300.",
    }
    found = await gql(client, office.token, document, {"s": "a" * 200})
    assert found["data"]["cases"]["totalCount"] == 0
