"""The e-mails about court news: what each client is due to hear of, and their choice.

Triggers (migration 0011) write ``court_news`` whenever a COURT movement or document
reaches a client's folder; these functions read it for the worker, which composes and
queues the e-mails (jobs/court_news.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db import jobs
from db.session import Db
from db.tables import accounts, court_news
from domain.viewer import Role

# At most one e-mail per client per folder in this time.
QUIET = timedelta(minutes=10)
# A single movement or document waits this long for others to join its e-mail; an import
# sends at once, since it is a batch already.
GATHER = timedelta(minutes=1)
# Sent news is kept this long (which item went out in which e-mail), then deleted.
KEEP = timedelta(days=90)
TASK = "causa.court_news"

DUE = sa.text(
    """
SELECT n.id, n.office_id, n.person_id, n.case_id, n.movement_id, n.document_id,
       o.name AS office, a.id AS account_id, a.email, a.name,
       k.title AS case_title, k.folder, k.cnj_number,
       m.occurred_at, m.description, m.code, d.title AS document_title, d.filed_on,
       (a.id IS NOT NULL AND k.status <> 'ARCHIVED'
        AND coalesce(m.source, d.source) = 'COURT') AS wanted
FROM court_news n
JOIN office o ON o.id = n.office_id
JOIN "case" k ON k.office_id = n.office_id AND k.id = n.case_id
LEFT JOIN case_party p ON p.office_id = n.office_id AND p.case_id = n.case_id
  AND p.person_id = n.person_id AND p.is_client
LEFT JOIN account a ON a.office_id = n.office_id AND a.person_id = p.person_id
  AND a.disabled_at IS NULL AND a.password_hash IS NOT NULL AND a.court_news_off_at IS NULL
LEFT JOIN movement m ON m.office_id = n.office_id AND m.id = n.movement_id
LEFT JOIN document d ON d.office_id = n.office_id AND d.id = n.document_id
WHERE n.office_id = :office_id AND n.sent_at IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM court_news s
    WHERE s.office_id = n.office_id AND s.person_id = n.person_id AND s.case_id = n.case_id
      AND s.message_id IS NOT NULL AND s.sent_at > now() - :quiet)
ORDER BY n.person_id, k.folder, k.id, m.occurred_at DESC NULLS LAST, d.created_at DESC, n.id
FOR UPDATE OF n SKIP LOCKED
"""
).bindparams(sa.bindparam("office_id", type_=sa.Uuid()), sa.bindparam("quiet", QUIET))


async def wake(db: Db, *, office_id: uuid.UUID, gather: bool) -> None:
    """Have the worker send the office's news once this transaction commits: after
    ``GATHER`` when ``gather``, else at once (a run waiting already is brought forward)."""
    await jobs.defer(
        db,
        TASK,
        args={"office_id": str(office_id)},
        lock=jobs.office_lock(office_id, "court-news"),
        after=GATHER if gather else timedelta(0),
        join_waiting=True,
    )


async def due(db: Db, *, office_id: uuid.UUID) -> Sequence[RowMapping]:
    """The office's unsent news that may go now, locked, by client and folder: none of a
    folder whose last e-mail to that client went less than ``QUIET`` ago. ``wanted`` is
    false for an item that needs no e-mail any more (no longer COURT, the client no
    longer tagged or signed up, the folder archived)."""
    return await db.rows(DUE.bindparams(office_id=office_id))


async def mark_sent(
    db: Db, *, office_id: uuid.UUID, news_ids: Sequence[uuid.UUID], message_id: uuid.UUID | None
) -> None:
    await db.execute(
        sa.update(court_news)
        .where(court_news.c.office_id == office_id, court_news.c.id.in_(news_ids))
        .values(sent_at=sa.func.now(), message_id=message_id)
    )


async def forget_old(db: Db, *, office_id: uuid.UUID) -> None:
    await db.execute(
        sa.delete(court_news).where(
            court_news.c.office_id == office_id, court_news.c.sent_at < sa.func.now() - KEEP
        )
    )


async def offices_with_news(db: Db) -> list[uuid.UUID]:
    """Every office with news unsent, across offices (for the worker's sweep)."""
    rows = await db.rows(sa.select(sa.func.causa_offices_with_court_news().label("office_id")))
    return [row["office_id"] for row in rows]


async def set_emails(
    db: Db, *, office_id: uuid.UUID, account_id: uuid.UUID, on: bool | None
) -> RowMapping | None:
    """A client account's choice, changed unless ``on`` is None; None for no such client.

    Turned off, the news already waiting for the client goes unsent."""
    found = (
        accounts.c.office_id == office_id,
        accounts.c.id == account_id,
        accounts.c.role == Role.CLIENT,
    )
    columns = (accounts.c.email, accounts.c.person_id, accounts.c.court_news_off_at)
    if on is None:
        return await db.row(sa.select(*columns).where(*found))
    off_at = None if on else sa.func.coalesce(accounts.c.court_news_off_at, sa.func.now())
    return await db.row(
        sa.update(accounts).where(*found).values(court_news_off_at=off_at).returning(*columns)
    )
