"""The embedded PostgreSQL killed under a write load: only 503s while it is down, Causa brings
it back by itself, and every write it acknowledged is there."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from postgres.embedded import postmaster
from tests.factories import CREATE_PERSON, PASSWORD, sign_in
from tests.graphql_client import data, gql
from tests.processes import ROOT, causa_env, causa_serving, server_processes

ADMIN = "admin@outage.example.com"
WRITERS = 4
BEFORE_KILL = 20  # writes acknowledged before the kill
AFTER_RETURN = 20  # and after the server is back
DEADLINE = 45.0  # seconds of load at most
PERSONS = """
query Persons($after: String) {
  persons(first: 100, after: $after) {
    edges { node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@dataclass
class Load:
    """What the writers were told, in order of arrival."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # id -> name
    refused: list[tuple[float, int, str | None, Any]] = field(default_factory=list)
    failed: list[tuple[float, str]] = field(default_factory=list)  # no HTTP answer at all
    killed_at: float | None = None
    back_at: float | None = None  # first write acknowledged after the kill
    after_return: int = 0
    going: asyncio.Event = field(default_factory=asyncio.Event)  # BEFORE_KILL acknowledged
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def write(client: httpx.AsyncClient, token: str, writer: int, load: Load) -> None:
    for n in range(10_000):
        if load.stop.is_set():
            return
        name = f"Writer {writer} person {n}"
        sent = time.monotonic()
        try:
            response = await client.post(
                "/graphql",
                json={"query": CREATE_PERSON, "variables": {"input": {"name": name}}},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.TransportError as error:
            load.failed.append((sent, repr(error)))
            continue
        json = response.headers.get("content-type", "").startswith("application/json")
        body: Any = response.json() if json else response.text
        if response.status_code == 200 and "errors" not in body and body["data"]:
            load.acknowledged[body["data"]["createPerson"]["person"]["id"]] = name
            if len(load.acknowledged) >= BEFORE_KILL:
                load.going.set()
            if load.killed_at is not None and sent > load.killed_at:
                load.back_at = load.back_at or time.monotonic()
                load.after_return += 1
                if load.after_return >= AFTER_RETURN:
                    load.stop.set()
        else:
            load.refused.append(
                (sent, response.status_code, response.headers.get("retry-after"), body)
            )
            await asyncio.sleep(0.1)


async def kill_database(pgdata: Path, load: Load) -> int:
    """Kill -9 the server once the load has been acknowledged a while; its pid."""
    await load.going.wait()
    server = postmaster(pgdata)
    assert server is not None
    server.kill()
    load.killed_at = time.monotonic()
    return int(server.pid)


async def stored_persons(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    found: dict[str, str] = {}
    after = None
    while True:
        page = data(await gql(client, token, PERSONS, {"after": after}))["persons"]
        found.update({edge["node"]["id"]: edge["node"]["name"] for edge in page["edges"]})
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


@pytest.fixture
def data_dir() -> Path:
    """A data directory with an office's admin (its server stopped when the command ended).
    Not one of pytest's numbered folders, which pytest removes while a server may run in
    them."""
    data_dir = Path(tempfile.mkdtemp(prefix="causa-outage-")).resolve() / "data"
    admin = subprocess.run(
        [sys.executable, "-m", "cli", "create-admin", "--office", "Outage", "--email", ADMIN],
        cwd=ROOT,
        env={**causa_env(data_dir), "CAUSA_ADMIN_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert admin.returncode == 0, admin.stderr
    return data_dir


async def test_a_database_killed_under_write_load_comes_back_with_every_acknowledged_write(
    data_dir: Path,
) -> None:
    pgdata = data_dir / "pgdata"
    load = Load()

    with causa_serving(data_dir) as (serving, base):
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            token = (await sign_in(client, ADMIN))["access_token"]
            writers = [asyncio.create_task(write(client, token, w, load)) for w in range(WRITERS)]
            killed = await kill_database(pgdata, load)
            try:
                await asyncio.wait_for(load.stop.wait(), DEADLINE)
            finally:
                load.stop.set()
                await asyncio.gather(*writers)
            restarted = postmaster(pgdata)
            stored = await stored_persons(client, token)
        serving.terminate()
        await asyncio.to_thread(serving.wait, 60)

    assert load.killed_at is not None
    assert load.back_at is not None, "no write was acknowledged after the kill"
    outage = load.back_at - load.killed_at
    print(
        f"\nacknowledged {len(load.acknowledged)}, found {len(stored)} "
        f"({len(set(load.acknowledged) - set(stored))} missing); "
        f"{len(load.refused)} refused while down; outage {outage:.2f} s"
    )
    # Causa answered every request, and brought the server back by itself.
    assert load.failed == [], load.failed
    assert restarted is not None
    assert restarted.pid != killed
    assert outage < 15
    assert server_processes(pgdata) == []  # and stopped the restarted server on SIGTERM
    # Every acknowledged write is there, as written.
    assert {id: stored.get(id) for id in load.acknowledged} == load.acknowledged
    # Refusals came only while the server was down, each a 503 with Retry-After. (A request
    # cut mid-statement by the kill answers 500 until every endpoint answers a database
    # error with 503.)
    assert all(sent >= load.killed_at - 1 for sent, *_ in load.refused)
    assert [
        (status, retry_after, body)
        for _, status, retry_after, body in load.refused
        if (status, retry_after) != (503, "5")
    ] == []
