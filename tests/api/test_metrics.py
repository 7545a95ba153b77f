"""/metrics: Prometheus's text, moved by what the app does, with no data in it."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from domain import log_context
from endpoints import metrics
from settings import Settings
from tests.factories import Staff, new_portal_client
from tests.processes import free_port
from tests.serving import http_client, live, serving

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = "query Folders { cases(first: 5) { edges { node { id title } } } }"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Each sample of a scrape by its name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    scraped: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answered = await client.get("/metrics")
    assert answered.status_code == 200
    assert answered.headers["content-type"].startswith("text/plain")
    return samples(answered.text)


async def test_metrics_count_requests_reads_sign_ins_and_queues(
    client: httpx.AsyncClient, office: Staff
) -> None:
    before = await scrape(client)
    auth = {"Authorization": f"Bearer {office.token}"}

    # a read twice (compiled, then from the answer cache), a mutation (the executor),
    # a refused sign-in, and an invitation waiting in the outbox
    for _ in range(2):
        read = {"query": FOLDERS, "operationName": "Folders"}
        assert (await client.post("/graphql", json=read, headers=auth)).status_code == 200
    created = {"query": 'mutation Add { createPerson(input: {name: "Ana"}) { person { id } } }'}
    assert (await client.post("/graphql", json=created, headers=auth)).status_code == 200
    wrong = {"grant_type": "password", "username": office.email, "password": "wrong password"}
    assert (await client.post("/auth/token", data=wrong)).status_code == 400
    portal = await new_portal_client(client, office, name="Carla Souza")
    metrics.LIVE.read_at = 0.0  # the depths are read again at this scrape, not 15 s on

    after = await scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = {"route": "/graphql", "method": "POST", "status": "200"}
    assert moved("causa_http_requests_total", **route, operation="Folders") == 2
    assert moved("causa_http_requests_total", **route, operation="Add") == 1
    assert (
        moved(
            "causa_http_requests_total",
            route="/auth/token",
            method="POST",
            status="400",
            operation="-",
        )
        == 1
    )
    assert moved("causa_http_request_duration_seconds_count", route="/graphql") >= 3
    assert moved("causa_reads_total", path="compiled") >= 1
    assert moved("causa_reads_total", path="cached") >= 1
    assert moved("causa_reads_total", path="executor") >= 1
    assert moved("causa_sign_ins_total", outcome="failure") == 1
    assert (
        value(after, "causa_queue_items", queue="outbox", status="QUEUED")
        + value(after, "causa_queue_items", queue="outbox", status="SENT")
        >= 1
    )
    assert value(after, "causa_db_pool_size") >= 1
    assert ("causa_db_pool_connections", (("state", "checked_out"),)) in after

    # and nothing of the data: no e-mail, token, name or id
    text = (await client.get("/metrics")).text
    for secret in (office.email, portal.email, office.token, "Carla Souza", str(office.office_id)):
        assert secret not in text
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)


async def test_a_clients_own_operation_name_is_counted_as_other(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a portal client, and the names its own page sends
    portal = await new_portal_client(client, office, name="Beatriz Lima")
    auth = {"Authorization": f"Bearer {portal.token}"}
    before = await scrape(client)

    # when it sends the portal's Folders, and then an operation named as it likes
    for name in ("Folders", "Beatriz_Lima_CPF_52998224725"):
        read = {"query": f"query {name} {{ viewer {{ id }} }}", "operationName": name}
        assert (await client.post("/graphql", json=read, headers=auth)).status_code == 200

    # then the first is counted by its name, the other as "other", and its name is nowhere
    after = await scrape(client)
    route = {"route": "/graphql", "method": "POST", "status": "200"}
    for operation in ("Folders", "other"):
        labels = {**route, "operation": operation}
        moved = value(after, "causa_http_requests_total", **labels)
        assert moved - value(before, "causa_http_requests_total", **labels) >= 1
    assert "Beatriz" not in (await client.get("/metrics")).text


def test_the_portals_operations_are_those_its_page_sends() -> None:
    sent = {
        match[1]
        for path in (ROOT / "static" / "portal").glob("*.js")
        for match in re.finditer(r"\b(?:query|mutation) ([_A-Za-z]\w*)", path.read_text())
    }
    assert sent == log_context.PORTAL_OPERATIONS


async def test_a_metrics_token_is_required_when_set(settings: Settings) -> None:
    token = secrets.token_urlsafe(24)
    guarded = settings.model_copy(update={"metrics_token": SecretStr(token)})
    async with serving(guarded) as served, http_client(served) as client:
        refused = await client.get("/metrics")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        assert "causa_http_requests_total" in scraped.text


def test_a_metrics_port_of_its_own_serves_them_there_only(settings: Settings) -> None:
    port = free_port()
    apart = settings.model_copy(update={"metrics_port": port})
    with live(apart) as base:
        assert httpx.get(f"{base}/metrics").status_code == 404
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert scraped.status_code == 200
        assert "causa_http_requests_total" in scraped.text
    # and the port is closed with the app
    try:
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    except httpx.TransportError:
        return
    raise AssertionError("the metrics port is still open after the app stopped")


def test_a_metrics_port_of_its_own_asks_for_the_token_too(settings: Settings) -> None:
    port, token = free_port(), secrets.token_urlsafe(24)
    apart = settings.model_copy(update={"metrics_port": port, "metrics_token": SecretStr(token)})
    with live(apart):
        url = f"http://127.0.0.1:{port}/metrics"
        refused = httpx.get(url)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
        scraped = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        assert "causa_http_requests_total" in scraped.text
