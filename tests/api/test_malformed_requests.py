"""Malformed HTTP bodies get a 4xx naming what is wrong, never a 5xx."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.factories import Staff, create_case, make_docket
from tests.graphql_client import data, gql, refused

VIEWER = "{ viewer { email } }"
PERSONS = "query P($search: String) { persons(search: $search) { totalCount } }"
UPLOAD = (
    "mutation($f: Upload!, $c: ID!) "
    "{ uploadDocument(caseId: $c, file: $f, source: COURT) { document { id } } }"
)


def nested(depth: int) -> str:
    """A JSON list ``depth`` levels deep, written out (json.dumps itself would recurse)."""
    return "[" * depth + '"x"' + "]" * depth


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"null", "application/json", id="json null"),
        pytest.param(b"42", "application/json", id="json number"),
        pytest.param(b'"{ viewer { email } }"', "application/json", id="json string"),
        pytest.param(b"[]", "application/json", id="json list"),
        pytest.param(
            b'{"query": "{ viewer { email } }", "x": "\xff\xfe"}',
            "application/json",
            id="invalid utf-8",
        ),
        pytest.param(b'{"query": ', "application/json", id="json cut short"),
        pytest.param(b'{"query": 42}', "application/json", id="query not a string"),
        pytest.param(
            b'{"query": "{ viewer { email } }", "variables": 42}',
            "application/json",
            id="variables not an object",
        ),
        pytest.param(
            b'{"query": "{ viewer { email } }", "operationName": 42}',
            "application/json",
            id="operationName not a string",
        ),
        pytest.param(b"query=%7B+viewer+%7D", "text/plain", id="unknown media type"),
    ],
)
async def test_a_malformed_body_is_a_400(
    client: httpx.AsyncClient, office: Staff, body: bytes, content_type: str
) -> None:
    headers = {**office.headers, "Content-Type": content_type}
    response = await client.post("/graphql", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["errors"][0]["message"]


@pytest.mark.parametrize("depth", [60, 100, 5_000, 200_000])
async def test_deeply_nested_variables_are_refused(
    client: httpx.AsyncClient, office: Staff, depth: int
) -> None:
    body = json.dumps({"query": PERSONS, "variables": {"search": "@"}})
    body = body.replace('"@"', nested(depth))
    response = await client.post(
        "/graphql", content=body, headers={**office.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == (400 if depth > 64 else 200), response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert data(await gql(client, office.token, VIEWER))["viewer"]["email"] == office.email


async def test_a_client_cannot_take_the_parser_down_within_its_body_limit(
    client: httpx.AsyncClient, office: Staff
) -> None:
    docket = await make_docket(client, office)
    body = (
        '{"query": "{ viewer { email } }", "variables": {"v": ' + "[" * 9_000 + "]" * 9_000 + "}}"
    )
    response = await client.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {docket.client.token}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "mapping",
    ["[1, 2]", "42", "null", '{"0": "variables.f"}', '{"0": [1]}', '{"0": ["nothing.here"]}', "{"],
)
async def test_a_malformed_upload_map_is_a_400(
    client: httpx.AsyncClient, office: Staff, mapping: str
) -> None:
    operations = json.dumps(
        {
            "query": UPLOAD,
            "variables": {"c": "00000000-0000-0000-0000-000000000000", "f": None},
        }
    )
    response = await client.post(
        "/graphql",
        headers=office.headers,
        data={"operations": operations, "map": mapping},
        files={"0": ("a.txt", b"hello", "text/plain")},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("depth", [900, 2_400])
async def test_a_deeply_nested_literal_in_the_document_is_refused(
    client: httpx.AsyncClient, office: Staff, depth: int
) -> None:
    document = "{ persons(search: " + "[" * depth + '"x"' + "]" * depth + ") { totalCount } }"
    response = await client.post("/graphql", json={"query": document}, headers=office.headers)
    assert response.status_code in {200, 400}, response.text
    [refusal] = response.json()["errors"]
    assert refusal["extensions"]["code"] in {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}
    assert data(await gql(client, office.token, VIEWER))["viewer"]["email"] == office.email


async def test_an_upload_given_as_json_instead_of_a_file_is_a_user_error(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, title="Upload sem arquivo"))["id"]
    extensions = await refused(client, office.token, UPLOAD, {"c": case_id, "f": "arquivo.pdf"})
    assert extensions == {"code": "BAD_USER_INPUT", "field": "file"}
