"""GraphQL over HTTP (the spec's draft): the answer's media type follows the Accept header,
and in application/graphql-response+json an operation that never ran is a 400 without
``data``, on the compiled read path and through the executor alike."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.factories import Staff
from tests.serving import Served

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
GRAPHQL_RESPONSE_UTF8 = "application/graphql-response+json; charset=utf-8"

COMPILED_READ = "{ cases(first: 5) { totalCount } }"
EXECUTOR_READ = '{ __type(name: "Case") { name } }'
PARSE_ERROR = "{ cases("
VALIDATION_ERROR = "{ noSuchField }"
COERCION_ERROR = "query Q($first: Int!) { cases(first: $first) { totalCount } }"
MUTATION = 'mutation { createCase(input: {title: "Pelo HTTP"}) { case { title } } }'

# Accept header -> the media type of the answer (None: no Accept header sent).
NEGOTIATED = [
    pytest.param(None, JSON, id="no Accept"),
    pytest.param(JSON, JSON, id="json"),
    pytest.param("application/json; charset=utf-8", JSON, id="json with charset"),
    pytest.param("*/*", JSON, id="any"),
    pytest.param("application/*", JSON, id="any application type"),
    pytest.param(GRAPHQL_RESPONSE, GRAPHQL_RESPONSE_UTF8, id="graphql-response"),
    pytest.param(
        f"{GRAPHQL_RESPONSE}; charset=utf-8, {JSON}; charset=utf-8",
        GRAPHQL_RESPONSE_UTF8,
        id="the spec's recommended Accept",
    ),
    pytest.param(f"{JSON}, {GRAPHQL_RESPONSE}", JSON, id="json listed first"),
    pytest.param(f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON, id="json of higher quality"),
    pytest.param(f"{JSON};q=0, */*", GRAPHQL_RESPONSE_UTF8, id="json refused, any other"),
    pytest.param(f"text/html, {GRAPHQL_RESPONSE};q=0.1", GRAPHQL_RESPONSE_UTF8, id="low q"),
]


async def post(
    client: httpx.AsyncClient,
    office: Staff,
    query: str,
    accept: str | None,
    variables: dict[str, Any] | None = None,
    content_type: str = JSON,
) -> httpx.Response:
    headers = {**office.headers, "Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    body = httpx.Request("POST", "/", json={"query": query, "variables": variables}).content
    return await client.post("/graphql", content=body, headers=headers)


def count(served: Served) -> Counter[str]:
    counts: Counter[str] = served.state["reads"].counts
    return counts.copy()


def ran(response: httpx.Response, media: str) -> dict[str, Any]:
    assert (response.status_code, response.headers["content-type"]) == (200, media), response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


@pytest.mark.parametrize(("accept", "media"), NEGOTIATED)
async def test_a_compiled_read_is_a_200_in_the_accepted_type(
    client: httpx.AsyncClient, office: Staff, served: Served, accept: str | None, media: str
) -> None:
    before = count(served)
    body = ran(await post(client, office, COMPILED_READ, accept), media)

    assert body == {"data": {"cases": {"totalCount": 0}}}
    after = count(served)
    assert after["compiled"] + after["cached"] == before["compiled"] + before["cached"] + 1
    assert after["executor"] == before["executor"]


@pytest.mark.parametrize(("accept", "media"), NEGOTIATED)
async def test_an_executor_read_is_a_200_in_the_accepted_type(
    client: httpx.AsyncClient, office: Staff, served: Served, accept: str | None, media: str
) -> None:
    before = count(served)
    body = ran(await post(client, office, EXECUTOR_READ, accept), media)

    assert body == {"data": {"__type": {"name": "Case"}}}
    assert count(served)["executor"] == before["executor"] + 1


@pytest.mark.parametrize(("accept", "media"), NEGOTIATED)
async def test_a_mutation_is_a_200_in_the_accepted_type(
    client: httpx.AsyncClient, office: Staff, accept: str | None, media: str
) -> None:
    body = ran(await post(client, office, MUTATION, accept), media)

    assert body == {"data": {"createCase": {"case": {"title": "Pelo HTTP"}}}}


FAILURES = [
    pytest.param(PARSE_ERROR, None, "Syntax Error: Expected Name, found <EOF>.", id="parse"),
    pytest.param(
        VALIDATION_ERROR,
        None,
        "Cannot query field 'noSuchField' on type 'Query'.",
        id="validation",
    ),
    pytest.param(
        COERCION_ERROR,
        {"first": "ten"},
        "Variable '$first' has invalid value: Int cannot represent non-integer value: 'ten'",
        id="variable coercion",
    ),
]


@pytest.mark.parametrize(("query", "variables", "message"), FAILURES)
async def test_an_operation_that_never_ran_is_a_400_without_data_in_graphql_response_json(
    client: httpx.AsyncClient,
    office: Staff,
    query: str,
    variables: dict[str, Any] | None,
    message: str,
) -> None:
    response = await post(client, office, query, GRAPHQL_RESPONSE, variables)

    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_UTF8
    body = response.json()
    assert list(body) == ["errors"]
    assert body["errors"][0]["message"] == message


@pytest.mark.parametrize("accept", [None, JSON, "*/*", f"{JSON}, {GRAPHQL_RESPONSE}"])
@pytest.mark.parametrize(("query", "variables", "message"), FAILURES)
async def test_an_operation_that_never_ran_stays_a_200_with_null_data_in_json(
    client: httpx.AsyncClient,
    office: Staff,
    query: str,
    variables: dict[str, Any] | None,
    message: str,
    accept: str | None,
) -> None:
    response = await post(client, office, query, accept, variables)

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert list(body) == ["data", "errors"]
    assert body["data"] is None
    assert body["errors"][0]["message"] == message


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml, text/*", f"{GRAPHQL_RESPONSE};q=0, {JSON};q=0"]
)
async def test_an_accept_that_takes_neither_type_is_a_406(
    client: httpx.AsyncClient, office: Staff, accept: str
) -> None:
    response = await post(client, office, COMPILED_READ, accept)

    assert response.status_code == 406
    assert response.headers["content-type"] == JSON
    assert response.json() == {
        "errors": [
            {
                "message": f"The answer is {GRAPHQL_RESPONSE} or {JSON}:"
                " send an Accept that takes one.",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }


@pytest.mark.parametrize(
    "content_type",
    [
        JSON,
        "application/json; charset=utf-8",
        'Application/JSON; Charset="UTF-8"',
    ],
)
async def test_json_is_read_with_or_without_its_utf8_charset(
    client: httpx.AsyncClient, office: Staff, content_type: str
) -> None:
    response = await post(client, office, COMPILED_READ, None, content_type=content_type)

    assert ran(response, JSON) == {"data": {"cases": {"totalCount": 0}}}


@pytest.mark.parametrize(
    "content_type",
    [
        "",
        "text/plain",
        "application/graphql",
        "application/jsonx",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ],
)
@pytest.mark.parametrize(
    ("accept", "media"), [(JSON, JSON), (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE_UTF8)]
)
async def test_a_body_in_any_other_type_is_a_415(
    client: httpx.AsyncClient, office: Staff, content_type: str, accept: str, media: str
) -> None:
    response = await post(client, office, COMPILED_READ, accept, content_type=content_type)

    assert response.status_code == 415
    assert response.headers["content-type"] == media
    assert response.json() == {
        "errors": [
            {
                "message": "Send the operation as application/json"
                " (or multipart/form-data, for uploads).",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }


async def test_malformed_json_is_a_400_in_either_type(
    client: httpx.AsyncClient, office: Staff
) -> None:
    for accept, media in [(JSON, JSON), (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE_UTF8)]:
        response = await client.post(
            "/graphql",
            content=b'{"query": ',
            headers={**office.headers, "Content-Type": JSON, "Accept": accept},
        )
        assert (response.status_code, response.headers["content-type"]) == (400, media)
        assert list(response.json()) == ["errors"]


async def test_a_refused_token_is_a_401_in_the_accepted_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": COMPILED_READ},
        headers={"Authorization": "Bearer nonsense", "Accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_UTF8
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
