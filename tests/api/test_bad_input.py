"""Malformed requests and bad GraphQL get client errors, and the server keeps serving."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from settings import Settings
from tests.factories import Staff
from tests.graphql_client import data, error, gql

VIEWER = "{ viewer { email role } }"

SYNTAX_ERROR = "{ viewer { email }"

UNKNOWN_FIELD = "{ viewer { emial } }"

WRONG_ARGUMENT_TYPE = '{ persons(first: "ten") { totalCount } }'

PERSONS_FIRST = """
query Persons($first: Int) {
  persons(first: $first) { totalCount }
}
"""

PERSONS_SEARCH = """
query Persons($search: String) {
  persons(search: $search) { totalCount }
}
"""

CREATE_CASE = """
mutation CreateCase($input: CaseInput!) {
  createCase(input: $input) { case { folder title } }
}
"""

CREATE_CASE_ID = """
mutation CreateCase($input: CaseInput!) {
  createCase(input: $input) { case { id } }
}
"""

CREATE_PERSON = """
mutation CreatePerson($input: PersonInput!) {
  createPerson(input: $input) { person { id name } }
}
"""

ADD_MOVEMENT = """
mutation AddMovement($caseId: ID!, $input: MovementInput!) {
  addMovement(caseId: $caseId, input: $input) { movement { id } }
}
"""

# 14 levels of selection (13 fields with a selection), past the default limit of 12; pages
# of one keep it within the cost limit.
TOO_DEEP = """
{
  persons(first: 1) {
    edges { node { cases(first: 1) { edges { node { parties { person {
      cases(first: 1) { edges { node { parties { person { name } } } } }
    } } } } } } }
  }
}
"""

TWO_MUTATIONS_SECOND_REFUSED = """
mutation Two {
  kept: createCase(input: {title: "Mantido"}) { case { folder title } }
  refused: createCase(input: {title: "Recusado", claimValue: "-1"}) { case { folder title } }
}
"""

TWO_MUTATIONS_BOTH_FINE = """
mutation Two {
  first: createCase(input: {title: "Um"}) { case { folder } }
  second: createCase(input: {title: "Dois"}) { case { folder } }
}
"""

CASE_TITLES = "{ cases { totalCount edges { node { folder title } } } }"


async def post(
    client: httpx.AsyncClient, token: str, content: bytes, content_type: str
) -> httpx.Response:
    return await client.post(
        "/graphql",
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )


def only_code(body: dict[str, Any]) -> str:
    code: str = error(body)["extensions"]["code"]
    return code


# --- HTTP level ---------------------------------------------------------------------


async def test_malformed_json_body_is_a_400(client: httpx.AsyncClient, office: Staff) -> None:
    response = await post(
        client, office.token, b'{"query": "{ viewer { email } }"', "application/json"
    )

    assert response.status_code == 400
    assert only_code(response.json()) == "BAD_USER_INPUT"


async def test_text_plain_body_is_a_415(client: httpx.AsyncClient, office: Staff) -> None:
    response = await post(client, office.token, VIEWER.encode(), "text/plain")

    assert response.status_code == 415
    assert only_code(response.json()) == "BAD_USER_INPUT"
    assert error(response.json())["message"] == (
        "Send the operation as application/json (or multipart/form-data, for uploads)."
    )


async def test_a_batch_of_operations_is_a_400(client: httpx.AsyncClient, office: Staff) -> None:
    response = await client.post(
        "/graphql",
        json=[{"query": VIEWER}, {"query": VIEWER}],
        headers={"Authorization": f"Bearer {office.token}"},
    )

    assert response.status_code == 400
    assert only_code(response.json()) == "BAD_USER_INPUT"


async def test_a_body_without_a_query_is_a_400(client: httpx.AsyncClient, office: Staff) -> None:
    response = await post(client, office.token, b'{"variables": {}}', "application/json")

    assert response.status_code == 400
    assert only_code(response.json()) == "BAD_USER_INPUT"


async def test_a_body_over_the_cap_is_a_413(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    body = b" " * (settings.max_body_bytes + 1)

    response = await post(client, office.token, body, "application/json")

    assert response.status_code == 413
    assert only_code(response.json()) == "BAD_USER_INPUT"


async def test_a_body_of_exactly_the_cap_is_served(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    body = f'{{"query": "{VIEWER}"}}'.encode().ljust(settings.max_body_bytes)

    response = await post(client, office.token, body, "application/json")

    assert response.status_code == 200
    assert data(response.json()) == {"viewer": {"email": office.email, "role": "ADMIN"}}


# --- GraphQL documents --------------------------------------------------------------


async def test_a_syntax_error_is_graphql_parse_failed(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # Twice: the second time the parser cache is warm.
    for _ in range(2):
        body = await gql(client, office.token, SYNTAX_ERROR)

        assert body["data"] is None
        assert error(body)["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
        assert error(body)["message"].startswith("Syntax Error")


async def test_an_unknown_field_is_graphql_validation_failed_without_suggestions(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, UNKNOWN_FIELD)

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "Did you mean" not in error(body)["message"]
    assert "email" not in error(body)["message"].replace("emial", "")


async def test_a_wrong_argument_type_is_graphql_validation_failed(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, WRONG_ARGUMENT_TYPE)

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_a_wrong_variable_type_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, PERSONS_FIRST, {"first": "ten"})

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}
    assert error(body)["message"].startswith("Variable '$first' has invalid value")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("claimValue", "abc"),
        ("filedOn", "2024-13-01"),
        ("filedOn", "2024-01-01T00:00:00"),
        ("status", "OPEN"),
        ("title", 42),
    ],
)
async def test_a_variable_value_its_scalar_refuses_is_bad_user_input_not_internal(
    client: httpx.AsyncClient, office: Staff, field: str, value: object
) -> None:
    body = await gql(client, office.token, CREATE_CASE, {"input": {"title": "X", field: value}})

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert data(await gql(client, office.token, CASE_TITLES))["cases"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("occurredAt", "yesterday"), ("code", 2**31), ("source", "PHONE")],
)
async def test_a_bad_movement_variable_is_bad_user_input_not_internal(
    client: httpx.AsyncClient, office: Staff, field: str, value: object
) -> None:
    case = data(await gql(client, office.token, CREATE_CASE_ID, {"input": {"title": "X"}}))
    movement = {"occurredAt": "2024-05-02T14:30:00-03:00", "description": "D", "source": "COURT"}

    body = await gql(
        client,
        office.token,
        ADD_MOVEMENT,
        {"caseId": case["createCase"]["case"]["id"], "input": {**movement, field: value}},
    )

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_a_missing_required_variable_is_bad_user_input(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, CREATE_CASE, {})

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "input"}


async def test_a_text_with_a_nul_character_is_bad_user_input_not_internal(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, CREATE_PERSON, {"input": {"name": "Ma\x00ria"}})

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "name"}


async def test_a_search_with_a_nul_character_finds_nothing(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await gql(client, office.token, CREATE_PERSON, {"input": {"name": "Maria"}})

    body = await gql(client, office.token, PERSONS_SEARCH, {"search": "Ma\x00"})

    assert data(body) == {"persons": {"totalCount": 0}}


async def test_a_query_deeper_than_the_limit_is_refused(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    body = await gql(client, office.token, TOO_DEEP)

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    limit = settings.max_query_depth
    assert (
        error(body)["message"]
        == f"'anonymous' exceeds maximum operation depth of {limit}: it is 13 deep."
    )


async def test_an_unknown_operation_name_is_a_400(client: httpx.AsyncClient, office: Staff) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query A { viewer { email } }", "operationName": "B"},
        headers={"Authorization": f"Bearer {office.token}"},
    )

    assert response.status_code == 400
    assert only_code(response.json()) == "BAD_USER_INPUT"


# --- mutations are savepoints -------------------------------------------------------


async def test_two_mutations_both_succeeding_run_in_order(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, TWO_MUTATIONS_BOTH_FINE)

    assert data(body) == {
        "first": {"case": {"folder": "00001"}},
        "second": {"case": {"folder": "00002"}},
    }


async def test_when_the_second_mutation_fails_and_the_answer_is_lost_neither_lands(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, TWO_MUTATIONS_SECOND_REFUSED)

    # createCase is non-null, so the failure nulls the data: the first case's answer is
    # lost too, and a retry would make it twice.
    assert body["data"] is None
    assert error(body)["path"] == ["refused"]
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "claimValue"}
    cases = data(await gql(client, office.token, CASE_TITLES))["cases"]
    assert cases == {"totalCount": 0, "edges": []}
    # Neither took a folder number.
    after = data(await gql(client, office.token, CREATE_CASE, {"input": {"title": "Depois"}}))
    assert after == {"createCase": {"case": {"folder": "00001", "title": "Depois"}}}


# --- and the server still answers -----------------------------------------------------


async def test_the_server_still_answers_after_a_run_of_bad_requests(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    await post(client, office.token, b"{not json", "application/json")
    await post(client, office.token, VIEWER.encode(), "text/plain")
    await post(client, office.token, b" " * (settings.max_body_bytes + 1), "application/json")
    await gql(client, office.token, SYNTAX_ERROR)
    await gql(client, office.token, UNKNOWN_FIELD)
    await gql(client, office.token, WRONG_ARGUMENT_TYPE)
    await gql(client, office.token, PERSONS_FIRST, {"first": "ten"})
    await gql(client, office.token, TOO_DEEP)
    await gql(client, office.token, TWO_MUTATIONS_SECOND_REFUSED)
    await gql(client, office.token, CREATE_PERSON, {"input": {"name": "\x00"}})

    viewer = await gql(client, office.token, VIEWER)
    created = await gql(client, office.token, CREATE_CASE, {"input": {"title": "Depois"}})

    assert data(viewer) == {"viewer": {"email": office.email, "role": "ADMIN"}}
    assert data(created) == {"createCase": {"case": {"folder": "00001", "title": "Depois"}}}
