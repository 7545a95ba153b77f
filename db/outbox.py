"""The outbox: every e-mail is recorded first, then sent after the commit that made it.

With no SMTP server configured, messages stay QUEUED for staff to read and pass on.
A message that failed stays FAILED, with the server's answer, until it is sent again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from db.accounts import act_for_office
from db.pages import Page, Window, fetch_page
from db.session import Db, transaction
from db.tables import OutboxStatus, Role, outbox_messages
from domain.errors import InvalidValue, Missing
from domain.viewer import Viewer
from mail.letters import DeliveryError, Letter, Mailer

logger = logging.getLogger("causa.mail")
MAX_ERROR_LENGTH = 1_000
# The message whole, sent again with a fresh secret (db/invitations.py), or None.
Renewal = Callable[[Db, uuid.UUID, uuid.UUID], Awaitable[Letter | None]]


QueuedMail = tuple[uuid.UUID, uuid.UUID, Letter]  # office, message, the e-mail as sent


def _visible(viewer: Viewer) -> sa.ColumnElement[bool]:
    """The office's messages; to a lawyer, not those that carry an admin's secret."""
    same_office = outbox_messages.c.office_id == viewer.office_id
    if viewer.role == Role.ADMIN:
        return same_office
    return sa.and_(same_office, sa.not_(outbox_messages.c.admin_only))


async def queue(db: Db, *, office_id: uuid.UUID, letter: Letter) -> RowMapping:
    """Record ``letter`` (without its secret) and send it, whole, once the transaction commits.

    The whole letter stays in the transaction's memory only.
    """
    row = await db.row(
        sa.insert(outbox_messages)
        .values(
            office_id=office_id,
            recipient=letter.recipient,
            subject=letter.subject,
            body=letter.kept_body,
            admin_only=letter.admin_only,
        )
        .returning(*outbox_messages.c)
    )
    assert row is not None
    db.queued_mail.append((office_id, row["id"], letter))
    return row


async def rewrite(db: Db, *, office_id: uuid.UUID, message_id: uuid.UUID, letter: Letter) -> None:
    """The message now says ``letter`` (without its secret)."""
    await db.execute(
        sa.update(outbox_messages)
        .where(outbox_messages.c.office_id == office_id, outbox_messages.c.id == message_id)
        .values(subject=letter.subject, body=letter.kept_body)
    )


async def list_messages(
    db: Db, *, viewer: Viewer, status: OutboxStatus | None, window: Window
) -> Page:
    query = sa.select(outbox_messages).where(_visible(viewer))
    if status is not None:
        query = query.where(outbox_messages.c.status == status)
    order = (outbox_messages.c.created_at.desc(), outbox_messages.c.id.desc())
    return await fetch_page(db, query.order_by(*order), window)


async def deliver(
    db: Db,
    *,
    office_id: uuid.UUID,
    message_id: uuid.UUID,
    mailer: Mailer,
    again: bool = False,
    letter: Letter | None = None,
) -> RowMapping | None:
    """Send one message (one already sent only ``again``); None when there is no such message.

    ``letter`` is the message whole, with the secret that the outbox does not keep; without
    it, the message is sent as kept. The row stays locked while the server is spoken to,
    so two replicas never send the same message twice.
    """
    where = (outbox_messages.c.office_id == office_id, outbox_messages.c.id == message_id)
    row = await db.row(sa.select(outbox_messages).where(*where).with_for_update())
    if row is None or (row["status"] == OutboxStatus.SENT and not again):
        return row
    outcome: dict[str, object]
    try:
        await mailer.send(letter or Letter(row["recipient"], row["subject"], row["body"]))
    except DeliveryError as error:
        logger.warning("e-mail %s to %s failed: %s", message_id, row["recipient"], error)
        reason = (str(error) or type(error).__name__)[:MAX_ERROR_LENGTH]
        outcome = {"status": OutboxStatus.FAILED, "last_error": reason}
    else:
        outcome = {"status": OutboxStatus.SENT, "last_error": None, "sent_at": sa.func.now()}
    return await db.row(
        sa.update(outbox_messages)
        .where(*where)
        .values(attempts=outbox_messages.c.attempts + 1, **outcome)
        .returning(*outbox_messages.c)
    )


async def send_again(
    db: Db,
    *,
    viewer: Viewer,
    message_id: uuid.UUID,
    mailer: Mailer | None,
    renew: Renewal,
) -> RowMapping:
    """Send a message again, now. ``renew`` gives an invitation e-mail a new link (the one
    sent before is not kept), or None for a message sent as kept."""
    if mailer is None:
        raise InvalidValue(
            "id", "No SMTP server is configured (CAUSA_SMTP_URL): pass the message on by hand."
        )
    visible = await db.scalar(
        sa.select(outbox_messages.c.id).where(_visible(viewer), outbox_messages.c.id == message_id)
    )
    if visible is None:
        raise Missing("id", f"No message with the id {message_id}.")
    letter = await renew(db, viewer.office_id, message_id)
    row = await deliver(
        db,
        office_id=viewer.office_id,
        message_id=message_id,
        mailer=mailer,
        again=True,
        letter=letter,
    )
    assert row is not None
    return row


async def deliver_after_commit(
    engine: AsyncEngine, mailer: Mailer, messages: list[QueuedMail]
) -> None:
    """Send messages that a committed request queued, each in its own transaction.

    Each is sent as the office's own work, not the request's viewer's.
    """
    for office_id, message_id, letter in messages:
        try:
            async with transaction(engine) as db:
                await act_for_office(db, office_id=office_id)
                await deliver(
                    db, office_id=office_id, message_id=message_id, mailer=mailer, letter=letter
                )
        except Exception:  # the message stays QUEUED; staff can send it again
            logger.exception("e-mail %s was not delivered", message_id)
