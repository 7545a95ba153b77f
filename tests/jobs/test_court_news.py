"""E-mails about court news: a client hears of COURT items in their folders, by the worker."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

import logs
from tests.api.test_corrections import UPDATE_DOCUMENT
from tests.api.test_court_import import SAMPLE, TJSP_NUMBER, answer, import_court_data
from tests.factories import (
    PDF,
    Staff,
    add_movement,
    add_party,
    create_case,
    key_of,
    new_portal_client,
    upload_document,
)
from tests.graphql_client import data, gql
from tests.jobs.outbox import message_in
from tests.mailbox import Mailbox

TJSP = SAMPLE["hits"]["hits"][0]
NEWS = "Novidades"
FORM = {"content-type": "application/x-www-form-urlencoded"}


async def client_folder(http: httpx.AsyncClient, office: Staff, **fields: Any) -> tuple[Any, str]:
    portal = await new_portal_client(http, office, name="Carla Souza")
    case = await create_case(http, office.token, title="Souza x Banco Azul", **fields)
    await add_party(http, office, case["id"], portal.person_id, is_client=True)
    return portal, case["id"]


def news_for(mailbox: Mailbox, email: str, *, count: int = 1, wait: float = 0.0) -> list[Any]:
    """The e-mails about court news (not the invitation) that ``email`` received, waiting up
    to ``wait`` seconds for ``count``."""
    deadline = time.monotonic() + wait
    while True:
        found = [m for m in mailbox.to(email) if m["Subject"].startswith(NEWS)]
        if len(found) >= count or time.monotonic() >= deadline:
            return found
        time.sleep(0.05)


async def news_rows(owner_engine: AsyncEngine, person_id: str) -> list[dict[str, Any]]:
    async with owner_engine.connect() as connection:
        result = await connection.execute(
            sa.text(
                "SELECT movement_id, document_id, sent_at, message_id FROM court_news "
                "WHERE person_id = :person ORDER BY created_at"
            ),
            {"person": key_of(person_id)},
        )
        return [dict(row) for row in result.mappings()]


async def test_an_import_reaches_the_client_by_email_within_a_minute(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox, worker: None
) -> None:
    # given a client tagged in a folder with a CNJ number
    portal, case_id = await client_folder(client, office, cnjNumber=TJSP_NUMBER)

    # when the court's data about its process is imported
    started = asyncio.get_running_loop().time()
    await import_court_data(client, office.lawyer_token, case_id, answer(TJSP))

    # then one e-mail reaches the client within a minute, in plain language
    received = await asyncio.to_thread(news_for, mailbox, portal.email, wait=60)
    assert asyncio.get_running_loop().time() - started < 60
    assert len(received) == 1
    mail = received[0]
    assert mail["Subject"].startswith(f"Novidades no processo {TJSP_NUMBER} — ")
    body = mail.get_content()
    assert "Olá, Carla Souza." in body
    assert "Souza x Banco Azul" in body
    assert f"Processo nº {TJSP_NUMBER}" in body
    assert "- 09/03/2022: Procedência" in body
    assert "O que significa:" in body
    link = re.search(r"Ver no portal: (\S+)", body)
    assert link is not None
    assert link[1].startswith("https://portal.causa.test/portal#/pasta/")
    unsubscribe = re.search(r"abra:\s+(\S+)", body)
    assert unsubscribe is not None
    assert mail["List-Unsubscribe"] == f"<{unsubscribe[1]}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def gathered_now(owner_engine: AsyncEngine, office: Staff) -> None:
    """The office's news job that waits for more items to gather runs now (a minute on)."""
    async with owner_engine.begin() as connection:
        await connection.execute(
            sa.text(
                "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo' "
                "AND task_name = 'causa.court_news' AND args->>'office_id' = :office"
            ),
            {"office": str(office.office_id)},
        )


async def quiet_time_over(owner_engine: AsyncEngine, person_id: str) -> None:
    """The client's last e-mail went eleven minutes ago."""
    async with owner_engine.begin() as connection:
        await connection.execute(
            sa.text(
                "UPDATE court_news SET sent_at = sent_at - interval '11 minutes' "
                "WHERE person_id = :person AND sent_at IS NOT NULL"
            ),
            {"person": key_of(person_id)},
        )


async def test_a_court_movement_gathers_for_a_minute_and_an_internal_one_sends_nothing(
    client: httpx.AsyncClient,
    office: Staff,
    mailbox: Mailbox,
    owner_engine: AsyncEngine,
    worker: None,
) -> None:
    # given a client's folder
    portal, case_id = await client_folder(client, office)

    # when staff add an INTERNAL movement
    await add_movement(client, office.token, case_id, description="Nota interna", source="INTERNAL")

    # then nothing is noted for the client
    assert await news_rows(owner_engine, portal.person_id) == []

    # when staff add a COURT movement, it waits a minute for others to join it
    await add_movement(client, office.token, case_id, description="Sentença publicada", code=123)
    await asyncio.sleep(1)
    assert news_for(mailbox, portal.email) == []
    await gathered_now(owner_engine, office)

    # then the e-mail tells of the COURT movement and of nothing INTERNAL
    received = await asyncio.to_thread(news_for, mailbox, portal.email, wait=30)
    assert len(received) == 1
    body = received[0].get_content()
    assert "Sentença publicada" in body
    assert "Nota interna" not in body
    rows = await news_rows(owner_engine, portal.person_id)
    assert len(rows) == 1
    assert rows[0]["message_id"] is not None


async def test_an_import_is_not_held_back_by_a_movement_gathering_in_another_folder(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox, worker: None
) -> None:
    # given a COURT movement added to one folder, its e-mail gathering for a minute
    _, other_case = await client_folder(client, office)
    await add_movement(client, office.token, other_case, description="Despacho", code=11010)

    # when the court's data about another client's folder of the office is imported
    portal, case_id = await client_folder(client, office, cnjNumber=TJSP_NUMBER)
    await import_court_data(client, office.token, case_id, answer(TJSP))

    # then that client hears of it at once, not a minute later
    assert len(await asyncio.to_thread(news_for, mailbox, portal.email, wait=20)) == 1


async def test_a_folder_sends_at_most_one_email_per_ten_minutes(
    client: httpx.AsyncClient,
    office: Staff,
    mailbox: Mailbox,
    owner_engine: AsyncEngine,
    worker: None,
) -> None:
    # given a client who just received an e-mail about their folder
    portal, case_id = await client_folder(client, office, cnjNumber=TJSP_NUMBER)
    await import_court_data(client, office.token, case_id, answer(TJSP))
    assert len(await asyncio.to_thread(news_for, mailbox, portal.email, wait=30)) == 1

    # when the court moves again at once
    await add_movement(client, office.token, case_id, description="Embargos de declaração")
    await gathered_now(owner_engine, office)
    await asyncio.sleep(2)

    # then the news waits for the quiet ten minutes
    assert len(news_for(mailbox, portal.email)) == 1
    assert (await news_rows(owner_engine, portal.person_id))[-1]["sent_at"] is None

    # and goes once they are over (the sweep of every minute, or any run, sends it)
    await quiet_time_over(owner_engine, portal.person_id)
    await add_movement(client, office.token, case_id, description="Certidão", code=581)
    await gathered_now(owner_engine, office)
    received = await asyncio.to_thread(news_for, mailbox, portal.email, count=2, wait=30)
    assert len(received) == 2
    body = received[1].get_content()
    assert "Embargos de declaração" in body
    assert "Certidão" in body


async def test_a_document_made_internal_before_the_email_goes_is_left_out(
    client: httpx.AsyncClient,
    office: Staff,
    mailbox: Mailbox,
    owner_engine: AsyncEngine,
    worker: None,
) -> None:
    # given a client's folder with two COURT documents uploaded
    portal, case_id = await client_folder(client, office)
    kept = await upload_document(client, office.token, case_id, PDF, title="Sentença")
    wrong = await upload_document(client, office.token, case_id, PDF, title="Parecer interno")
    assert len(await news_rows(owner_engine, portal.person_id)) == 2

    # when one is reclassified INTERNAL before the minute is up
    variables = {
        "id": data(wrong)["uploadDocument"]["document"]["id"],
        "input": {"source": "INTERNAL"},
    }
    data(await gql(client, office.token, UPDATE_DOCUMENT, variables))
    assert data(kept)["uploadDocument"]["document"]["source"] == "COURT"
    await gathered_now(owner_engine, office)

    # then the e-mail names only the other
    received = await asyncio.to_thread(news_for, mailbox, portal.email, wait=30)
    body = received[0].get_content()
    assert "- Documento: Sentença" in body
    assert "Parecer interno" not in body
    rows = await news_rows(owner_engine, portal.person_id)
    assert sorted(row["message_id"] is None for row in rows) == [False, True]


async def test_an_email_refused_by_the_smtp_server_is_retried_by_the_worker(
    client: httpx.AsyncClient,
    office: Staff,
    mailbox: Mailbox,
    owner_engine: AsyncEngine,
    worker: None,
) -> None:
    # given an SMTP server that refuses mail for now
    portal, case_id = await client_folder(client, office, cnjNumber=TJSP_NUMBER)
    with mailbox.refused():
        # when court data is imported
        await import_court_data(client, office.token, case_id, answer(TJSP))

        # then the outbox records the failure
        message = await message_in(owner_engine, portal.email, NEWS, "FAILED")
        assert message["attempts"] == 1
        assert "554" in message["last_error"]

    # and once the server is back, the worker's next try delivers it
    received = await asyncio.to_thread(news_for, mailbox, portal.email, wait=30)
    assert len(received) == 1
    message = await message_in(owner_engine, portal.email, NEWS, "SENT")
    assert message["attempts"] == 2


async def test_a_refused_email_is_logged_without_the_servers_answer(
    client: httpx.AsyncClient,
    office: Staff,
    mailbox: Mailbox,
    owner_engine: AsyncEngine,
    worker: None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given an SMTP server whose refusal quotes the address, as many do
    async def refuse(self: Mailbox, server: Any, session: Any, envelope: Any) -> str:
        return f"550 5.1.1 <{envelope.rcpt_tos[0]}>: Recipient address rejected"

    monkeypatch.setattr(Mailbox, "handle_DATA", refuse)
    caplog.set_level(logging.INFO)
    portal, case_id = await client_folder(client, office, cnjNumber=TJSP_NUMBER)

    # when the worker's try is refused
    await import_court_data(client, office.token, case_id, answer(TJSP))
    message = await message_in(owner_engine, portal.email, NEWS, "FAILED")
    assert portal.email in message["last_error"]  # kept for staff, in the outbox
    deadline = time.monotonic() + 10
    while not [r for r in caplog.records if getattr(r, "action", "") == "job_error_retry"]:
        assert time.monotonic() < deadline, "the job's failure was not logged"
        await asyncio.sleep(0.05)

    # then no line of Causa's or its worker's holds the address (mail.log is the test server)
    lines = [logs.JsonLines().format(r) for r in caplog.records if r.name != "mail.log"]
    assert not [line for line in lines if portal.email in line]


ACCESS = """
query Access($id: ID!) { person(id: $id) { portalAccess { enabled courtNewsOffAt } } }
"""


def unsubscribe_link(mail: Any) -> str:
    header = str(mail["List-Unsubscribe"])
    assert header.startswith("<https://portal.causa.test/portal/avisos?token=")
    return header[1:-1].removeprefix("https://portal.causa.test")


async def test_the_link_in_the_email_turns_the_emails_off_and_staff_see_it(
    client: httpx.AsyncClient,
    office: Staff,
    mailbox: Mailbox,
    owner_engine: AsyncEngine,
    worker: None,
) -> None:
    # given a client who received an e-mail about court news
    portal, case_id = await client_folder(client, office, cnjNumber=TJSP_NUMBER)
    await import_court_data(client, office.token, case_id, answer(TJSP))
    link = unsubscribe_link((await asyncio.to_thread(news_for, mailbox, portal.email, wait=30))[0])

    # when they open its link, the page says what they receive and offers to stop
    page = await client.get(link)
    assert page.status_code == 200
    assert "Você recebe um e-mail quando chegam novidades" in page.text
    assert 'name="choice" value="off"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")

    # when their mail client unsubscribes in one click (RFC 8058)
    answer_ = await client.post(link, content=b"List-Unsubscribe=One-Click", headers=FORM)
    assert answer_.status_code == 200
    assert "Pronto: escolha salva." in answer_.text
    assert "Você não recebe e-mails" in answer_.text

    # then staff see when, and the court's next movement notes nothing for them
    variables = {"id": portal.person_id}
    access = data(await gql(client, office.token, ACCESS, variables))["person"]["portalAccess"]
    assert access["enabled"] is True
    assert access["courtNewsOffAt"] is not None
    before = len(await news_rows(owner_engine, portal.person_id))
    await add_movement(client, office.token, case_id, description="Trânsito em julgado")
    assert len(await news_rows(owner_engine, portal.person_id)) == before

    # and the page's button turns them on again
    again = await client.post(link, data={"choice": "on"})
    assert "Você recebe um e-mail" in again.text
    access = data(await gql(client, office.token, ACCESS, variables))["person"]["portalAccess"]
    assert access["courtNewsOffAt"] is None


async def test_a_tampered_or_empty_choice_is_refused_with_a_clear_page(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox, worker: None
) -> None:
    portal, case_id = await client_folder(client, office, cnjNumber=TJSP_NUMBER)
    await import_court_data(client, office.token, case_id, answer(TJSP))
    link = unsubscribe_link((await asyncio.to_thread(news_for, mailbox, portal.email, wait=30))[0])

    for tampered in (link[:-3] + "AAA", "/portal/avisos", "/portal/avisos?token=x.y.z"):
        refused = await client.get(tampered)
        assert refused.status_code == 400
        assert "Este link de avisos não é válido" in refused.text
    nothing = await client.post(link, data={"choice": "maybe"})
    assert nothing.status_code == 400
    assert "Escolha uma das opções da página." in nothing.text
    too_long = await client.post(link, data={"choice": "off" * 1000})
    assert too_long.status_code == 400
