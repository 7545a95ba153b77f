"""Sending what the outbox holds: after the commit that queued it, or again on request."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from db import jobs, outbox
from db.accounts import act_for_office
from db.outbox import QueuedMail, Renewal
from db.session import Db, transaction
from db.tables import OutboxStatus
from domain.errors import InvalidValue
from domain.viewer import Viewer
from mail.letters import Letter
from mail.smtp import DeliveryError, Mailer

logger = logging.getLogger("causa.mail")

# A message refused right after its request is tried again by the worker this much later.
FIRST_RETRY = timedelta(seconds=2)


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
    it, the message is sent as kept.
    """
    row = await outbox.lock_message(db, office_id=office_id, message_id=message_id)
    if row is None or (row["status"] == OutboxStatus.SENT and not again):
        return row
    try:
        await mailer.send(letter or kept_letter(row))
    except DeliveryError as error:
        # The server's answer, which may quote the address, stays in the outbox (staff
        # read it there); the log names the message and the kind of failure only.
        logger.warning("e-mail %s was not delivered: %s", message_id, type(error).__name__)
        reason = str(error) or type(error).__name__
        return await outbox.record_failed(
            db, office_id=office_id, message_id=message_id, reason=reason
        )
    return await outbox.record_sent(db, office_id=office_id, message_id=message_id)


def kept_letter(row: RowMapping) -> Letter:
    """The e-mail as the outbox keeps it."""
    return Letter(
        row["recipient"], row["subject"], row["body"], unsubscribe_url=row["unsubscribe_url"]
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
    await outbox.require_message(db, viewer=viewer, message_id=message_id)
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


async def deliver_queued(
    db: Db, *, office_id: uuid.UUID, message_id: uuid.UUID, mailer: Mailer, renew: Renewal
) -> RowMapping | None:
    """The worker's sending of a message not sent yet, or refused before; None when there
    is nothing to send: no such message, one sent meanwhile, or an invitation used,
    replaced or withdrawn meanwhile. ``renew`` gives an invitation a new link."""
    row = await outbox.lock_message(db, office_id=office_id, message_id=message_id)
    if row is None or row["status"] == OutboxStatus.SENT:
        return None
    try:
        letter = await renew(db, office_id, message_id)
    except InvalidValue:
        logger.info("e-mail %s is an invitation no longer in use: not sent", message_id)
        return None
    return await deliver(
        db, office_id=office_id, message_id=message_id, mailer=mailer, letter=letter
    )


async def deliver_after_commit(
    engine: AsyncEngine, mailer: Mailer, messages: list[QueuedMail], *, retry: bool = True
) -> None:
    """Send messages that a committed request queued, each in its own transaction.

    Each is sent as the office's own work, not the request's viewer's. One the SMTP
    server refused is left to the worker to ``retry`` (jobs/queue.py: deliver_mail), with
    backoff; without ``retry`` (a password reset, which its recipient asks for again) it
    stays FAILED in the outbox.
    """
    for office_id, message_id, letter in messages:
        try:
            async with transaction(engine) as db:
                await act_for_office(db, office_id=office_id)
                row = await deliver(
                    db, office_id=office_id, message_id=message_id, mailer=mailer, letter=letter
                )
                if retry and row is not None and row["status"] == OutboxStatus.FAILED:
                    args = {"office_id": str(office_id), "message_id": str(message_id)}
                    await jobs.defer(db, jobs.DELIVER_MAIL, args=args, after=FIRST_RETRY)
        except Exception:  # the message stays QUEUED; staff can send it again
            logger.exception("e-mail %s was not delivered", message_id)
