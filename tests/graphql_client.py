"""Talking GraphQL to the app under test: post a document, read its data or its errors."""

from __future__ import annotations

import json
from typing import Any

import httpx


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def gql(
    client: httpx.AsyncClient,
    token: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> dict[str, Any]:
    """The answer to ``query``, sent as JSON by ``token``'s bearer, that must have ``status``."""
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=_bearer(token),
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def gql_ascii(
    client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The answer to ``query`` sent as ASCII JSON, so that a lone surrogate travels as its
    escape (``gql`` sends UTF-8, which cannot carry one)."""
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}).encode(),
        headers={**_bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(
    client: httpx.AsyncClient,
    token: str,
    query: str,
    variables: dict[str, Any],
    *,
    files: dict[str, tuple[str, bytes]],
) -> dict[str, Any]:
    """The answer to ``query`` sent as a multipart request: each of ``files`` (variable name
    to file name and content) is the value of that variable."""
    names = list(files)
    operations = {"query": query, "variables": {**variables, **dict.fromkeys(names)}}
    mapping = {str(n): [f"variables.{name}"] for n, name in enumerate(names)}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files={
            str(n): (files[name][0], files[name][1], "application/octet-stream")
            for n, name in enumerate(names)
        },
        headers=_bearer(token),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def data(body: dict[str, Any]) -> dict[str, Any]:
    """The data of an answer that must have no errors."""
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def error(body: dict[str, Any]) -> dict[str, Any]:
    """The single error of an answer."""
    assert len(body.get("errors") or []) == 1, body
    result: dict[str, Any] = body["errors"][0]
    return result


async def refusal(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The message and extensions of the single error of an operation that left no data."""
    body = await gql(client, token, document, variables)
    assert body["data"] is None, body
    refused = error(body)
    return {"message": refused["message"], **refused["extensions"]}


async def hidden(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any] | None = None
) -> list[str]:
    """The messages of an operation that fails validation: it names what does not exist."""
    body = await gql(client, token, document, variables)
    assert body["data"] is None, body
    assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}
    return [e["message"] for e in body["errors"]]


async def refused(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The extensions of the single error of a refused operation that left no data."""
    body = await gql(client, token, document, variables)
    assert body["data"] is None, body
    extensions: dict[str, Any] = error(body)["extensions"]
    return extensions
