"""An invitation the SMTP server refused is delivered by the worker once the server is back."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import REVOKE, Staff, create_person, grant, unique_email
from tests.graphql_client import data, gql
from tests.jobs.outbox import delivery_jobs, message_in
from tests.mailbox import Mailbox

INVITATION = "Seu acesso ao portal do cliente"


async def refused_invitation(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> tuple[str, str, dict[str, Any]]:
    """A person granted portal access while the SMTP server refuses mail: their e-mail,
    the link's token in the grant's answer, and the FAILED message."""
    person_id = (await create_person(client, office.token, name="Rita Campos"))["id"]
    email = unique_email()
    granted = await grant(client, office.token, person_id, email)
    message = await message_in(owner_engine, email, INVITATION, "FAILED")
    return email, granted["token"], {**message, "person_id": person_id}


async def check(client: httpx.AsyncClient, token: str) -> str:
    answer = await client.post("/auth/invitations/check", json={"token": token})
    status: str = answer.json().get("status") or answer.json()["error"]
    return status


async def test_a_refused_invitation_is_sent_again_by_the_worker_with_a_new_link(
    client: httpx.AsyncClient,
    office: Staff,
    mailbox: Mailbox,
    owner_engine: AsyncEngine,
    worker: None,
) -> None:
    # given an invitation the SMTP server refused as the grant committed
    with mailbox.refused():
        email, first_token, message = await refused_invitation(client, office, owner_engine)
    assert message["attempts"] == 1
    assert "554" in message["last_error"]

    # when the server is back, the worker's next try delivers it
    received = await asyncio.to_thread(mailbox.to, email, wait=30)
    assert len(received) == 1
    assert received[0]["Subject"].startswith(INVITATION)
    sent = await message_in(owner_engine, email, INVITATION, "SENT")
    assert sent["attempts"] == 2

    # then with a link of its own: the one never delivered stops working, the new one works
    link = re.search(r"#token=(\S+)", received[0].get_content())
    assert link is not None
    assert link[1] != first_token
    assert await check(client, first_token) == "revoked_token"
    assert await check(client, link[1]) == "usable"

    # and the outbox keeps the e-mail without its link, as always
    assert link[1] not in sent["body"]
    assert await delivery_jobs(owner_engine, message["id"]) == ["succeeded"]


async def test_a_refused_invitation_withdrawn_meanwhile_is_not_sent(
    client: httpx.AsyncClient,
    office: Staff,
    mailbox: Mailbox,
    owner_engine: AsyncEngine,
    worker: None,
) -> None:
    # given an invitation refused by the SMTP server, then the access revoked
    with mailbox.refused():
        email, _, message = await refused_invitation(client, office, owner_engine)
        data(await gql(client, office.token, REVOKE, {"personId": message["person_id"]}))

    # when the worker's next try comes
    states = await delivery_jobs(owner_engine, message["id"])

    # then it ends without sending a link to an access that no longer exists
    assert states[-1] == "succeeded"
    assert mailbox.to(email) == []
    assert (await message_in(owner_engine, email, INVITATION, "FAILED"))["attempts"] >= 1


async def test_a_refused_password_reset_is_not_retried(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox, owner_engine: AsyncEngine
) -> None:
    # given a password reset asked for while the SMTP server refuses mail
    with mailbox.refused():
        asked = await client.post("/auth/password-reset", json={"login": office.email})
        assert asked.status_code == 202
        message = await message_in(owner_engine, office.email, "Criar uma nova senha", "FAILED")

    # then no job sends it again: its recipient asks for a new link, and the page says how
    assert await delivery_jobs(owner_engine, message["id"]) == []
