"""``causa worker``: the job queue's worker as a process of its own, beside the API."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.factories import Staff
from tests.jobs.test_court_news import client_folder, news_for
from tests.mailbox import Mailbox
from tests.processes import causa_serving
from tests.test_cli import ROOT, SAMPLE, causa

TJSP_NUMBER = "1023456-21.2021.8.26.0100"
SAMPLE_HITS = json.loads(SAMPLE.read_text())["hits"]["hits"]
ADMIN = ("admin@demo.causa.example", "demo-admin-2026")


async def test_the_worker_delivers_the_news_of_an_import_and_stops_on_sigterm(
    database_url: str, client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    # given a client's folder, and a worker running as its own process
    portal, _ = await client_folder(client, office, cnjNumber=TJSP_NUMBER)
    environment = {
        **os.environ,
        "CAUSA_DATABASE_URL": database_url,
        "CAUSA_SECRET_KEY": secrets.token_urlsafe(48),
        "CAUSA_SMTP_URL": mailbox.url,
        "CAUSA_PUBLIC_URL": "https://portal.causa.test",
    }
    worker = subprocess.Popen(  # noqa: ASYNC220  (a process of its own, stopped below)
        [sys.executable, "-m", "cli", "worker", "--concurrency", "2"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # when the DataJud sample is imported from the command line
        started = time.monotonic()
        imported = causa(database_url, "import-datajud", str(SAMPLE), "--office", office.slug)
        assert imported.returncode == 0, imported.stdout + imported.stderr

        # then the client's e-mail arrives within a minute
        received = await asyncio.to_thread(news_for, mailbox, portal.email, wait=60)
        assert len(received) == 1, worker.stdout
        assert time.monotonic() - started < 60
        assert TJSP_NUMBER in received[0]["Subject"]
    finally:
        # and the worker stops when told to
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "Worker running (2 jobs at a time)." in output


def test_the_worker_refuses_a_concurrency_below_one(database_url: str) -> None:
    refused = causa(database_url, "worker", "--concurrency", "0")
    assert refused.returncode == 2
    assert "--concurrency must be 1 or more, not 0" in refused.stderr


FOLDERS = """
{ cases(first: 50) { edges { node { id cnjNumber
    parties { isClient person { portalAccess { login } } } } } } }
"""
OUTBOX = "{ outbox(first: 50) { edges { node { recipient subject status } } } }"
IMPORT = """
mutation Import($caseId: ID!, $payload: JSON!) {
  importCourtData(caseId: $caseId, payload: $payload) { movementsAdded }
}
"""
DEMO_CLIENT = "carlos.lima@example.com.br"


def test_the_demo_runs_a_worker_of_its_own(tmp_path: Path) -> None:
    # given `causa serve --demo` (no SMTP server: the e-mails stay in the outbox)
    with (
        causa_serving(tmp_path / "data", "--demo") as (_, base),
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        token = http.post(
            "/auth/token",
            data={"grant_type": "password", "username": ADMIN[0], "password": ADMIN[1]},
        ).json()["access_token"]

        def ask(query: str, variables: dict[str, Any] | None = None) -> Any:
            answer = http.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token}"},
            )
            return answer.json()["data"]

        # when court data about a folder of the demo client is imported
        folder = next(
            edge["node"]
            for edge in ask(FOLDERS)["cases"]["edges"]
            if edge["node"]["cnjNumber"]
            and any(
                party["isClient"]
                and (party["person"]["portalAccess"] or {}).get("login") == DEMO_CLIENT
                for party in edge["node"]["parties"]
            )
        )
        hit = copy.deepcopy(SAMPLE_HITS[0]["_source"])
        hit["numeroProcesso"] = re.sub(r"\D", "", folder["cnjNumber"])
        added = ask(IMPORT, {"caseId": folder["id"], "payload": hit})
        assert added["importCourtData"]["movementsAdded"] == 6

        # then the demo's own worker writes the client's e-mail within a minute
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            news = [
                edge["node"]
                for edge in ask(OUTBOX)["outbox"]["edges"]
                if edge["node"]["recipient"] == DEMO_CLIENT
                and edge["node"]["subject"].startswith("Novidades")
            ]
            if news:
                break
            time.sleep(0.5)
        assert [message["status"] for message in news] == ["QUEUED"]
