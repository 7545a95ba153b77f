"""The outbox's rows: every e-mail is recorded first, then sent (mail/delivery.py) after
the commit that made it.

With no SMTP server configured, messages stay QUEUED for staff to read and pass on.
A message that failed stays FAILED, with the server's answer, until it is sent again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db.keyset import Order
from db.pages import Page, Window, fetch_page
from db.scope import visible_outbox_messages
from db.session import Db
from db.tables import OutboxStatus, outbox_messages
from domain.errors import Missing
from domain.viewer import Viewer
from mail.letters import Letter

MAX_ERROR_LENGTH = 1_000
# The message whole, sent again with a fresh secret (db/invitations.py), or None.
Renewal = Callable[[Db, uuid.UUID, uuid.UUID], Awaitable[Letter | None]]


QueuedMail = tuple[uuid.UUID, uuid.UUID, Letter]  # office, message, the e-mail as sent

NEWEST_FIRST = (outbox_messages.c.created_at.desc(), outbox_messages.c.id.desc())
PAGE_ORDER = Order.of(NEWEST_FIRST)


async def queue(db: Db, *, office_id: uuid.UUID, letter: Letter) -> RowMapping:
    """Record ``letter`` (without its secret) and send it, whole, once the transaction commits.

    The whole letter stays in the transaction's memory only.
    """
    row = await record(db, office_id=office_id, letter=letter)
    db.queued_mail.append((office_id, row["id"], letter))
    return row


async def record(db: Db, *, office_id: uuid.UUID, letter: Letter) -> RowMapping:
    """Record ``letter`` (without its secret), as QUEUED."""
    row = await db.row(
        sa.insert(outbox_messages)
        .values(
            office_id=office_id,
            recipient=letter.recipient,
            subject=letter.subject,
            body=letter.kept_body,
            admin_only=letter.admin_only,
            unsubscribe_url=letter.unsubscribe_url,
        )
        .returning(*outbox_messages.c)
    )
    assert row is not None
    return row


async def rewrite(db: Db, *, office_id: uuid.UUID, message_id: uuid.UUID, letter: Letter) -> None:
    """The message now says ``letter`` (without its secret)."""
    await db.execute(
        sa.update(outbox_messages)
        .where(outbox_messages.c.office_id == office_id, outbox_messages.c.id == message_id)
        .values(subject=letter.subject, body=letter.kept_body)
    )


def messages_query(viewer: Viewer, *, status: sa.ColumnElement[Any]) -> sa.Select[Any]:
    """The visible e-mails of ``status`` unless it is NULL, in no order."""
    return sa.select(outbox_messages).where(
        visible_outbox_messages(viewer),
        sa.or_(status.is_(None), outbox_messages.c.status == status),
    )


async def list_messages(
    db: Db, *, viewer: Viewer, status: OutboxStatus | None, window: Window
) -> Page:
    query = messages_query(viewer, status=sa.literal(status, sa.String()))
    return await fetch_page(db, query, order=PAGE_ORDER, window=window)


async def lock_message(db: Db, *, office_id: uuid.UUID, message_id: uuid.UUID) -> RowMapping | None:
    """The message, locked while its server is spoken to, so that two replicas never send
    the same message twice; None when there is no such message."""
    where = (outbox_messages.c.office_id == office_id, outbox_messages.c.id == message_id)
    return await db.row(sa.select(outbox_messages).where(*where).with_for_update())


async def record_sent(db: Db, *, office_id: uuid.UUID, message_id: uuid.UUID) -> RowMapping:
    return await _record(
        db, office_id, message_id, status=OutboxStatus.SENT, last_error=None, sent_at=sa.func.now()
    )


async def record_failed(
    db: Db, *, office_id: uuid.UUID, message_id: uuid.UUID, reason: str
) -> RowMapping:
    return await _record(
        db, office_id, message_id, status=OutboxStatus.FAILED, last_error=reason[:MAX_ERROR_LENGTH]
    )


async def _record(
    db: Db, office_id: uuid.UUID, message_id: uuid.UUID, **outcome: object
) -> RowMapping:
    row = await db.row(
        sa.update(outbox_messages)
        .where(outbox_messages.c.office_id == office_id, outbox_messages.c.id == message_id)
        .values(attempts=outbox_messages.c.attempts + 1, **outcome)
        .returning(*outbox_messages.c)
    )
    assert row is not None
    return row


async def require_message(db: Db, *, viewer: Viewer, message_id: uuid.UUID) -> None:
    """Raise Missing unless the viewer may see the message."""
    visible = await db.scalar(
        sa.select(outbox_messages.c.id).where(
            visible_outbox_messages(viewer), outbox_messages.c.id == message_id
        )
    )
    if visible is None:
        raise Missing("id", "No message has that id.")
