"""Connections are held only while a request works with the database, and a request
that cannot get one in time answers 503, not 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from settings import Settings
from tests.factories import PDF, UPLOAD, Staff, create_case
from tests.graphql_client import data, gql
from tests.serving import http_client, serving

VIEWER = "{ viewer { email } }"
SLOW_UPLOADS = 4


async def trickle(
    head: bytes, tail: bytes, opened: asyncio.Event, finish: asyncio.Event
) -> AsyncIterator[bytes]:
    """A body sent slowly: all but its end, then the end once ``finish`` is set."""
    yield head
    opened.set()
    await finish.wait()
    yield tail


def multipart(case_id: str) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST",
        "http://causa.test/graphql",
        data={
            "operations": json.dumps(
                {"query": UPLOAD, "variables": {"caseId": case_id, "file": None, "source": "COURT"}}
            ),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("lenta.pdf", PDF, "application/pdf")},
    )
    return request.read(), request.headers["content-type"]


async def test_slow_uploads_hold_no_database_connection(
    settings: Settings, client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, title="Uploads lentos"))["id"]
    body, content_type = multipart(case_id)
    small = settings.model_copy(update={"database_pool_size": 1, "database_pool_timeout": 1})
    async with serving(small) as app, http_client(app) as http:
        finish = asyncio.Event()
        opened = [asyncio.Event() for _ in range(SLOW_UPLOADS)]
        uploads = [
            asyncio.create_task(
                http.post(
                    "/graphql",
                    content=trickle(body[:100], body[100:], event, finish),
                    headers={
                        **office.headers,
                        "Content-Type": content_type,
                        "Content-Length": str(len(body)),
                    },
                )
            )
            for event in opened
        ]
        async with asyncio.timeout(30):  # a body not read at all: the app gave up on it
            await asyncio.gather(*(event.wait() for event in opened))
        # Twice the pool is sending its body; other requests are served meanwhile.
        answer = await gql(http, office.token, VIEWER)
        token = await http.post(
            "/auth/token",
            data={"grant_type": "refresh_token", "refresh_token": office.refresh_token},
        )
        finish.set()
        done = await asyncio.gather(*uploads)
    assert data(answer) == {"viewer": {"email": office.email}}
    assert token.status_code == 200, token.text
    assert [response.status_code for response in done] == [200] * SLOW_UPLOADS
    assert all(data(response.json())["uploadDocument"]["document"]["id"] for response in done)


async def test_no_connection_in_time_is_a_503_with_retry_after(
    settings: Settings, office: Staff
) -> None:
    small = settings.model_copy(update={"database_pool_size": 1, "database_pool_timeout": 0.2})
    async with serving(small) as app, http_client(app) as http:
        engine: AsyncEngine = app.state["engine"]
        async with engine.connect() as one, engine.connect() as two:  # the pool and its overflow
            held: list[Any] = [one, two]
            response = await http.post("/graphql", json={"query": VIEWER}, headers=office.headers)
        assert len(held) == 2
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.json()["errors"][0] == {
            "message": "Causa is busy: no database connection came free in time; "
            "try again shortly.",
            "extensions": {"code": "UNAVAILABLE"},
        }
        assert data(await gql(http, office.token, VIEWER))["viewer"]["email"] == office.email


async def test_sessions_stop_long_statements_and_idle_transactions(
    settings: Settings,
) -> None:
    tight = settings.model_copy(
        update={"statement_timeout": 1.5, "idle_in_transaction_timeout": 2.5}
    )
    async with serving(tight) as app:
        engine: AsyncEngine = app.state["engine"]
        async with engine.connect() as connection:
            statement = await connection.scalar(text("SHOW statement_timeout"))
            idle = await connection.scalar(text("SHOW idle_in_transaction_session_timeout"))
    assert (statement, idle) == ("1500ms", "2500ms")


async def test_a_failed_statement_names_no_value_it_was_sent(settings: Settings) -> None:
    async with serving(settings) as app:
        engine: AsyncEngine = app.state["engine"]
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as failed:
                await connection.execute(text("SELECT :email, 1 / 0"), {"email": "ana@x.test"})
    assert "ana@x.test" not in str(failed.value)
    assert "division by zero" in str(failed.value)
    assert "SELECT $1, 1 / 0" in str(failed.value)
