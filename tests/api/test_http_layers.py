"""What every answer passes through: CORS for the configured origins, brotli or gzip for large
answers a client accepts compressed, and the request id echoed."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import AsyncIterator

import brotli
import httpx
import pytest

from endpoints.static import STATIC
from settings import Settings
from tests.factories import Docket, Staff, make_docket, upload_document
from tests.graphql_client import data, gql
from tests.serving import Served, http_client, serving

APP_ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example.net"
SMALL = "{ viewer { role } }"
LARGE = "{ __schema { types { name description fields { name description } } } }"
CLIENT_DOCUMENTS = """
query One($id: ID!) { case(id: $id) { documents { edges { node { downloadUrl } } } } }
"""
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
async def with_cors(settings: Settings) -> AsyncIterator[Served]:
    configured = settings.model_copy(update={"cors_origins": (APP_ORIGIN,)})
    async with serving(configured) as app:
        yield app


@pytest.fixture
async def cors_client(with_cors: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(with_cors) as http:
        yield http


def _preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, x-request-id",
    }


# --- CORS ---


@pytest.mark.parametrize("path", ["/graphql", "/auth/token", "/documents/x"])
async def test_a_preflight_from_a_configured_origin_is_allowed_and_cached(
    cors_client: httpx.AsyncClient, path: str
) -> None:
    response = await cors_client.options(path, headers=_preflight(APP_ORIGIN))

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    allowed = response.headers["access-control-allow-headers"].lower().split(", ")
    assert {"authorization", "content-type", "x-request-id"} <= set(allowed)
    assert response.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in response.headers


async def test_a_preflight_from_another_origin_is_not_allowed(
    cors_client: httpx.AsyncClient,
) -> None:
    response = await cors_client.options("/graphql", headers=_preflight(OTHER_ORIGIN))

    assert response.status_code == 400
    assert response.text == "Disallowed CORS origin"
    assert "access-control-allow-origin" not in response.headers


async def test_a_post_from_a_configured_origin_may_be_read_by_its_page(
    cors_client: httpx.AsyncClient, office: Staff
) -> None:
    response = await cors_client.post(
        "/graphql", json={"query": SMALL}, headers={**office.headers, "Origin": APP_ORIGIN}
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"role": "ADMIN"}}}
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert response.headers["access-control-expose-headers"] == (
        "WWW-Authenticate, Retry-After, X-Request-ID"
    )
    assert "Origin" in response.headers["vary"]


async def test_a_refusal_from_a_configured_origin_may_be_read_too(
    cors_client: httpx.AsyncClient,
) -> None:
    response = await cors_client.post(
        "/graphql", json={"query": SMALL}, headers={"Origin": APP_ORIGIN}
    )

    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "www-authenticate" in response.headers


async def test_a_post_from_another_origin_carries_no_permission(
    cors_client: httpx.AsyncClient, office: Staff
) -> None:
    response = await cors_client.post(
        "/graphql", json={"query": SMALL}, headers={**office.headers, "Origin": OTHER_ORIGIN}
    )

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_without_configured_origins_there_is_no_cors_at_all(
    client: httpx.AsyncClient, office: Staff
) -> None:
    preflight = await client.options("/graphql", headers=_preflight(APP_ORIGIN))
    answer = await client.post(
        "/graphql", json={"query": SMALL}, headers={**office.headers, "Origin": APP_ORIGIN}
    )

    assert preflight.status_code == 405
    assert not [name for name in preflight.headers if name.startswith("access-control-")]
    assert not [name for name in answer.headers if name.startswith("access-control-")]


# --- compression ---


async def _raw(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: object
) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent, not decoded."""
    async with client.stream(method, url, **kwargs) as response:  # type: ignore[arg-type]
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


async def test_a_large_answer_is_gzipped_for_a_client_that_accepts_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    plain = await client.post(
        "/graphql",
        json={"query": LARGE},
        headers={**office.headers, "Accept-Encoding": "identity"},
    )
    response, raw = await _raw(
        client,
        "POST",
        "/graphql",
        json={"query": LARGE},
        headers={**office.headers, "Accept-Encoding": "gzip"},
    )

    assert "content-encoding" not in plain.headers
    assert len(plain.content) > 10_000
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(raw) < len(plain.content) / 4
    assert json.loads(gzip.decompress(raw)) == plain.json()
    assert "errors" not in plain.json()


async def test_a_small_answer_is_sent_as_it_is(client: httpx.AsyncClient, office: Staff) -> None:
    response, raw = await _raw(
        client,
        "POST",
        "/graphql",
        json={"query": SMALL},
        headers={**office.headers, "Accept-Encoding": "gzip"},
    )

    assert "content-encoding" not in response.headers
    assert json.loads(raw) == {"data": {"viewer": {"role": "ADMIN"}}}


async def test_graphiqls_script_is_gzipped(client: httpx.AsyncClient) -> None:
    script = (STATIC / "graphiql" / "graphiql.min.js").read_bytes()

    response, raw = await _raw(
        client, "GET", "/static/graphiql/graphiql.min.js", headers={"Accept-Encoding": "gzip"}
    )

    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert len(raw) < len(script) / 4
    assert gzip.decompress(raw) == script


async def test_brotli_is_preferred_when_accepted(client: httpx.AsyncClient, office: Staff) -> None:
    plain = await client.post(
        "/graphql",
        json={"query": LARGE},
        headers={**office.headers, "Accept-Encoding": "identity"},
    )
    response, raw = await _raw(
        client,
        "POST",
        "/graphql",
        json={"query": LARGE},
        headers={**office.headers, "Accept-Encoding": "gzip, deflate, br"},
    )

    assert response.headers["content-encoding"] == "br"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(raw) < len(plain.content) / 4
    assert json.loads(brotli.decompress(raw)) == plain.json()


async def test_graphiqls_script_is_sent_in_brotli(client: httpx.AsyncClient) -> None:
    script = (STATIC / "graphiql" / "graphiql.min.js").read_bytes()

    response, raw = await _raw(
        client, "GET", "/static/graphiql/graphiql.min.js", headers={"Accept-Encoding": "br"}
    )

    assert response.headers["content-encoding"] == "br"
    assert len(raw) < len(script) / 5
    assert brotli.decompress(raw) == script


async def test_a_coding_refused_with_q_0_is_not_used(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response, raw = await _raw(
        client,
        "POST",
        "/graphql",
        json={"query": LARGE},
        headers={**office.headers, "Accept-Encoding": "br;q=0, gzip;q=0.5"},
    )
    refused_all, plain = await _raw(
        client,
        "POST",
        "/graphql",
        json={"query": LARGE},
        headers={**office.headers, "Accept-Encoding": "br;q=0.0, gzip; q=0"},
    )

    assert response.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(raw)) == json.loads(plain)
    assert "content-encoding" not in refused_all.headers


async def test_the_oauth_endpoints_are_never_compressed_however_large(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # a large answer that repeats what the request sent: the shape BREACH needs
    name = "p" * 3000
    refused, raw = await _raw(
        client,
        "POST",
        "/auth/token",
        content=f"{name}=1&{name}=2",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Encoding": "gzip"},
    )
    granted, _ = await _raw(
        client,
        "POST",
        "/auth/token",
        data={"grant_type": "password", "username": office.email, "password": office.password},
        headers={"Accept-Encoding": "gzip"},
    )

    assert refused.status_code == 400
    assert len(raw) > 3000
    assert json.loads(raw)["error"] == "invalid_request"
    assert "content-encoding" not in refused.headers
    assert granted.status_code == 200
    assert "content-encoding" not in granted.headers
    assert granted.headers["cache-control"] == "no-store"


async def test_a_download_is_sent_as_stored(client: httpx.AsyncClient, office: Staff) -> None:
    docket: Docket = await make_docket(client, office)
    text = ("Ata da audiência. " * 400).encode()
    await upload_document(client, office.token, docket.own, text, name="ata.txt")
    listed = data(await gql(client, docket.client.token, CLIENT_DOCUMENTS, {"id": docket.own}))
    url = listed["case"]["documents"]["edges"][0]["node"]["downloadUrl"]

    response, raw = await _raw(client, "GET", url, headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert raw == text
    assert response.headers["content-length"] == str(len(text))


# --- X-Request-ID ---


async def test_a_sane_request_id_is_echoed(client: httpx.AsyncClient, office: Staff) -> None:
    response = await client.post(
        "/graphql",
        json={"query": SMALL},
        headers={**office.headers, "X-Request-ID": "web-7f3a:42/retry#1"},
    )

    assert response.status_code == 200
    assert response.headers.get_list("x-request-id") == ["web-7f3a:42/retry#1"]


@pytest.mark.parametrize(
    "sent",
    [None, "", "x" * 129, "has space", "tab\there", "caf\u00e9"],
    ids=["absent", "empty", "too-long", "space", "tab", "non-ascii"],
)
async def test_a_request_id_is_made_when_absent_or_insane(
    client: httpx.AsyncClient, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent.encode()}

    response = await client.get("/healthz", headers=headers)  # type: ignore[arg-type]

    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")

    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/graphql", 401), ("GET", "/nowhere", 404), ("PUT", "/auth/token", 405)],
)
async def test_a_refusal_carries_the_request_id(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(
        method, path, json={"query": SMALL}, headers={"X-Request-ID": "r-1"}
    )

    assert response.status_code == status
    assert response.headers["x-request-id"] == "r-1"


async def test_a_cors_preflight_carries_the_request_id(cors_client: httpx.AsyncClient) -> None:
    response = await cors_client.options(
        "/graphql", headers={**_preflight(APP_ORIGIN), "X-Request-ID": "pre-1"}
    )

    assert response.status_code == 200
    assert response.headers["x-request-id"] == "pre-1"
