"""The outbox: every e-mail of the office, how its delivery went, and sending it again."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from mail.letters import WITHHELD_LINK
from settings import Settings
from tests.factories import (
    CLIENT_PASSWORD,
    Staff,
    accept,
    create_staff_member,
    id_of,
    invite_client,
    new_portal_client,
    sign_in,
    unique_email,
)
from tests.graphql_client import data, gql, hidden, refusal
from tests.mailbox import Mailbox
from tests.serving import http_client, serving

MESSAGE_FIELDS = "id recipient subject body status attempts lastError sentAt"
OUTBOX = f"""
query Outbox($first: Int, $after: String, $status: OutboxStatus) {{
  outbox(first: $first, after: $after, status: $status) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {MESSAGE_FIELDS} }} }}
  }}
}}
"""
SEND = (
    f"mutation Send($id: ID!) {{ sendOutboxMessage(id: $id) {{ message {{ {MESSAGE_FIELDS} }} }} }}"
)
PORTAL_SUBJECT = "Seu acesso ao portal do cliente — Escritório "
NO_SMTP = "No SMTP server is configured (CAUSA_SMTP_URL): pass the message on by hand."


async def outbox(
    client: httpx.AsyncClient, token: str, **arguments: Any
) -> tuple[int, list[dict[str, Any]]]:
    """The total count and the messages of one page of the outbox."""
    page = data(await gql(client, token, OUTBOX, arguments))["outbox"]
    return page["totalCount"], [edge["node"] for edge in page["edges"]]


def invitation_link(content: str) -> str:
    found = re.search(r"https://portal\.causa\.test/invitation#token=\S+", content)
    assert found is not None, content
    return found[0]


def delivery(message: dict[str, Any]) -> tuple[str, int, str | None, bool]:
    return message["status"], message["attempts"], message["lastError"], message["sentAt"] is None


async def test_the_outbox_lists_the_sent_invitations_newest_first(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given two people granted portal access, one after the other
    first, second = [(await invite_client(client, office.token))[1]["message"] for _ in range(2)]

    # when staff read the outbox
    total, messages = await outbox(client, office.token)

    # then both invitation e-mails are listed, newest first, each sent once
    assert total == 2
    assert [m["id"] for m in messages] == [second["id"], first["id"]]
    assert [m["recipient"] for m in messages] == [second["recipient"], first["recipient"]]
    for message in messages:
        assert message["subject"].startswith(PORTAL_SUBJECT)
        assert delivery(message) == ("SENT", 1, None, False)
    # and a lawyer reads them a page at a time
    page = data(await gql(client, office.lawyer_token, OUTBOX, {"first": 1}))["outbox"]
    assert [edge["node"]["id"] for edge in page["edges"]] == [second["id"]]
    assert page["pageInfo"]["hasNextPage"] is True
    after = page["pageInfo"]["endCursor"]
    assert (await outbox(client, office.lawyer_token, first=1, after=after))[1] == messages[1:]


async def test_another_offices_messages_are_not_listed(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    ours = (await invite_client(client, office.token))[1]["message"]
    theirs = (await invite_client(client, other_office.token))[1]["message"]

    assert [m["id"] for m in (await outbox(client, office.token))[1]] == [ours["id"]]
    assert [m["id"] for m in (await outbox(client, other_office.token))[1]] == [theirs["id"]]


async def test_a_refused_email_leaves_the_grant_in_place_and_the_message_failed(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    # given an SMTP server that refuses every message
    with mailbox.refused():
        # when staff grant portal access
        _, invitation = await invite_client(client, office.token)
    recipient = invitation["message"]["recipient"]

    # then the message is FAILED, with the server's answer, and nothing was delivered
    [message] = (await outbox(client, office.token))[1]
    assert message["id"] == invitation["message"]["id"]
    assert message["status"] == "FAILED"
    assert message["attempts"] == 1
    assert "554" in message["lastError"]
    assert message["sentAt"] is None
    assert mailbox.to(recipient) == []
    # and the grant stands: the invitation still sets a password that signs in
    accepted = await accept(client, invitation["token"], CLIENT_PASSWORD)
    assert accepted.status_code == 200, accepted.text
    signed_in = await sign_in(client, recipient, CLIENT_PASSWORD)
    assert signed_in["token_type"] == "Bearer"


async def test_the_status_filter_lists_only_messages_in_that_status(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    # given one message sent and one refused by the server
    sent = (await invite_client(client, office.token))[1]["message"]
    with mailbox.refused():
        failed = (await invite_client(client, office.token))[1]["message"]

    # when staff filter the outbox by status, then each status lists its own
    for status, expected in (("SENT", [sent]), ("FAILED", [failed]), ("QUEUED", [])):
        total, messages = await outbox(client, office.token, status=status)
        assert (total, [m["id"] for m in messages]) == (len(expected), [m["id"] for m in expected])


async def test_sending_a_failed_message_again_delivers_it_once_the_server_accepts(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    # given an invitation e-mail that the server refused
    with mailbox.refused():
        _, invitation = await invite_client(client, office.token)
        message_id = invitation["message"]["id"]

        # when a lawyer sends it again while the server still refuses
        retried = data(await gql(client, office.lawyer_token, SEND, {"id": message_id}))

        # then it stays FAILED, after a second attempt
        assert retried["sendOutboxMessage"]["message"]["status"] == "FAILED"
        assert retried["sendOutboxMessage"]["message"]["attempts"] == 2
        assert "554" in retried["sendOutboxMessage"]["message"]["lastError"]

    # when it is sent again once the server accepts
    sent = data(await gql(client, office.lawyer_token, SEND, {"id": message_id}))

    # then it is SENT after a third attempt, the outbox says so, and the mailbox has it
    assert delivery(sent["sendOutboxMessage"]["message"]) == ("SENT", 3, None, False)
    [listed] = (await outbox(client, office.token))[1]
    assert listed == sent["sendOutboxMessage"]["message"]
    [received] = mailbox.to(invitation["message"]["recipient"])
    # with a new link (the first was never kept), which works where the first no longer does
    link = invitation_link(received.get_content())
    assert link != invitation["url"]
    stale = await accept(client, invitation["token"], CLIENT_PASSWORD)
    assert (stale.status_code, stale.json()["error"]) == (400, "revoked_token")
    fresh = await accept(client, link.partition("#token=")[2], CLIENT_PASSWORD)
    assert fresh.status_code == 200, fresh.text


async def test_sending_a_sent_message_again_sends_it_once_more(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    _, invitation = await invite_client(client, office.token)
    message = invitation["message"]

    again = data(await gql(client, office.token, SEND, {"id": message["id"]}))

    assert delivery(again["sendOutboxMessage"]["message"]) == ("SENT", 2, None, False)
    assert len(mailbox.to(message["recipient"])) == 2


async def test_sending_an_unknown_or_another_offices_message_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff, mailbox: Mailbox
) -> None:
    # given a message of another office, and an id that names no message
    theirs = (await invite_client(client, other_office.token))[1]["message"]
    unknown = id_of("OutboxMessage", uuid.uuid4())

    # when staff send either, then neither is found
    for message_id in (unknown, theirs["id"]):
        assert await refusal(client, office.token, SEND, {"id": message_id}) == {
            "message": "No message has that id.",
            "code": "NOT_FOUND",
            "field": "id",
        }
    # and the other office's message was not sent again
    assert len(mailbox.to(theirs["recipient"])) == 1
    [listed] = (await outbox(client, other_office.token))[1]
    assert delivery(listed) == ("SENT", 1, None, False)


async def test_sending_a_malformed_id_is_bad_input(
    client: httpx.AsyncClient, office: Staff
) -> None:
    assert await refusal(client, office.token, SEND, {"id": "not-an-id"}) == {
        "message": "id is not an id given by this API: 'not-an-id'.",
        "code": "BAD_USER_INPUT",
        "field": "id",
    }


async def test_clients_may_not_read_or_send_the_outbox(
    client: httpx.AsyncClient, office: Staff
) -> None:
    portal_client = await new_portal_client(client, office)
    [message] = (await outbox(client, office.token))[1]

    # for a client, neither the outbox nor any mutation exists
    assert "Cannot query field 'outbox' on type 'Query'." in await hidden(
        client, portal_client.token, OUTBOX, {}
    )
    assert await hidden(client, portal_client.token, SEND, {"id": message["id"]}) == [
        "The mutation operation is not supported by the schema."
    ]


async def test_without_an_smtp_server_messages_stay_queued_for_staff(
    office: Staff, settings: Settings, mailbox: Mailbox
) -> None:
    # given the app served with no SMTP server configured
    without_smtp = Settings(
        database_url=settings.database_url,
        secret_key=settings.secret_key,
        data_dir=settings.data_dir,
        smtp_url=None,
        public_url=settings.public_url,
    )
    async with serving(without_smtp) as app, http_client(app) as client:
        # when staff grant portal access
        _, invitation = await invite_client(client, office.token)
        message = invitation["message"]

        # then the invitation e-mail is kept in the outbox, never attempted
        [listed] = (await outbox(client, office.token))[1]
        assert listed["id"] == message["id"]
        assert delivery(listed) == ("QUEUED", 0, None, True)
        assert invitation["token"] not in message["body"]
        assert WITHHELD_LINK in message["body"]
        assert mailbox.to(message["recipient"]) == []

        # and sending it again says why it cannot be sent
        assert await refusal(client, office.token, SEND, {"id": message["id"]}) == {
            "message": NO_SMTP,
            "code": "BAD_USER_INPUT",
            "field": "id",
        }
        [unchanged] = (await outbox(client, office.token))[1]
        assert unchanged == listed


async def test_staff_never_read_an_invitation_link_in_the_outbox(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine, mailbox: Mailbox
) -> None:
    # given a client invited to the portal, and a lawyer invited by the admin
    _, invitation = await invite_client(client, office.token)
    staff = await create_staff_member(client, office.token, email=unique_email())
    tokens = [invitation["token"], staff["token"]]

    # when a lawyer and the admin read the outbox
    lawyers = (await outbox(client, office.lawyer_token))[1]
    admins = (await outbox(client, office.token))[1]

    # then neither reads a live link: the bodies withhold it, and it is not stored at all
    assert [m["id"] for m in lawyers] == [invitation["message"]["id"]]  # not the admin's
    assert len(admins) == 2
    for message in admins:
        assert WITHHELD_LINK in message["body"]
        assert not any(token in message["body"] for token in tokens)
    async with owner_engine.connect() as connection:
        stored = (await connection.execute(sa.text("SELECT body FROM outbox_message"))).scalars()
        assert not any(token in body for body in stored for token in tokens)
    # while the recipient got the link itself
    [received] = mailbox.to(invitation["message"]["recipient"])
    assert invitation_link(received.get_content()) == invitation["url"]


async def test_an_invitation_already_used_is_not_sent_again(
    client: httpx.AsyncClient, office: Staff, mailbox: Mailbox
) -> None:
    # given an invitation that its recipient used
    _, invitation = await invite_client(client, office.token)
    accepted = await accept(client, invitation["token"], CLIENT_PASSWORD)
    assert accepted.status_code == 200, accepted.text

    # when staff send its e-mail again, then it is refused, and nothing is sent
    assert await refusal(client, office.token, SEND, {"id": invitation["message"]["id"]}) == {
        "message": "This invitation was used, replaced by a newer one, or withdrawn: its e-mail "
        "is not sent again. Invite the person again for a new link.",
        "code": "BAD_USER_INPUT",
        "field": "id",
    }
    assert len(mailbox.to(invitation["message"]["recipient"])) == 1
