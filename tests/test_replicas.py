"""Replicas: two `causa serve` processes on one PostgreSQL agree on what matters (a lockout,
a revocation, a write seen on the next read), and `serve --workers` runs a pool of them.
They share nothing but the database: no memory, no sticky sessions."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import psutil
import pytest

from tests.processes import ROOT, free_port, wait_until_ready
from tests.test_cli import causa

PERSONS = "query Count { persons(first: 1) { totalCount } }"
ADD = 'mutation Add { createPerson(input: {name: "Ana Replica"}) { person { id } } }'


@contextmanager
def replica(database_url: str, key: str, *args: str) -> Iterator[httpx.Client]:
    """``causa serve`` on ``database_url`` in a process of its own, answering: a client."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CAUSA_")}
    # what every replica shares (README, "Scaling"): the database, the key, the public URL
    environment |= {
        "CAUSA_DATABASE_URL": database_url,
        "CAUSA_SECRET_KEY": key,
        "CAUSA_PUBLIC_URL": "https://causa.replicas.example",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(server, base)
        with httpx.Client(base_url=base, timeout=30) as client:
            client.server_pid = server.pid  # type: ignore[attr-defined]
            yield client
    finally:
        server.terminate()
        server.communicate(timeout=30)


@pytest.fixture(scope="module")
def replicas(database_url: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    key = secrets.token_urlsafe(48)  # the same on every replica, as the README says
    with ExitStack() as stack:
        one = stack.enter_context(replica(database_url, key))
        two = stack.enter_context(replica(database_url, key))
        yield one, two


def new_admin(database_url: str) -> tuple[str, str]:
    email, password = f"admin-{uuid.uuid4().hex[:8]}@replicas.example.com", "replica password 2026"
    created = causa(
        database_url,
        "create-admin",
        "--office",
        f"Replicas {uuid.uuid4().hex[:8]}",
        "--email",
        email,
        "--password",
        password,
    )
    assert created.returncode == 0, created.stderr
    return email, password


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    form = {"grant_type": "password", "username": email, "password": password}
    return client.post("/auth/token", data=form)


def ask(client: httpx.Client, token: str, query: str) -> httpx.Response:
    return client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_write_through_one_replica_is_read_on_the_other_at_once(
    replicas: tuple[httpx.Client, httpx.Client], database_url: str
) -> None:
    one, two = replicas
    token = sign_in(one, *new_admin(database_url)).json()["access_token"]
    # a read on the second, twice: the second time from its answer cache
    counts = [ask(two, token, PERSONS).json()["data"]["persons"]["totalCount"] for _ in "ab"]
    assert counts == [0, 0]
    # a write through the first
    assert "errors" not in ask(one, token, ADD).json()
    # is in the second's very next answer
    assert ask(two, token, PERSONS).json()["data"]["persons"]["totalCount"] == 1


def test_a_session_revoked_on_one_replica_ends_on_the_other(
    replicas: tuple[httpx.Client, httpx.Client], database_url: str
) -> None:
    one, two = replicas
    grant = sign_in(one, *new_admin(database_url)).json()
    assert ask(two, grant["access_token"], PERSONS).status_code == 200
    assert one.post("/auth/revoke", data={"token": grant["refresh_token"]}).status_code == 200
    # the access token has minutes left, yet the other replica refuses it at once
    assert ask(two, grant["access_token"], PERSONS).status_code == 401


def test_a_lockout_reached_on_one_replica_holds_on_the_other(
    replicas: tuple[httpx.Client, httpx.Client], database_url: str
) -> None:
    one, two = replicas
    email, password = new_admin(database_url)
    for _ in range(5):  # CAUSA_LOGIN_FAILURES_PER_ACCOUNT
        assert sign_in(one, email, "not the password").status_code == 400
    locked = sign_in(two, email, password)
    assert locked.status_code == 429
    assert locked.json()["error"] == "too_many_attempts"


def test_serve_workers_runs_that_many_processes_on_one_port(database_url: str) -> None:
    with replica(database_url, secrets.token_urlsafe(48), "--workers", "2") as client:
        children = psutil.Process(client.server_pid).children()  # type: ignore[attr-defined]
        lines = [" ".join(child.cmdline()) for child in children]
        assert len([line for line in lines if "spawn_main" in line]) == 2, lines
        statuses = {client.get("/healthz").status_code for _ in range(20)}
        assert statuses == {200}


def test_serve_refuses_fewer_than_one_worker(database_url: str) -> None:
    refused = causa(database_url, "serve", "--workers", "0")
    assert refused.returncode == 2
    assert "--workers must be 1 or more, not 0" in refused.stderr


def test_serve_workers_refuse_a_metrics_port_they_cannot_all_bind(database_url: str) -> None:
    port, metrics_port = str(free_port()), str(free_port())
    refused = causa(
        database_url, "serve", "--port", port, "--workers", "2", CAUSA_METRICS_PORT=metrics_port
    )
    assert refused.returncode == 1
    last = refused.stderr.splitlines()[-1]
    assert last.startswith("causa: CAUSA_METRICS_PORT serves one process's metrics")
