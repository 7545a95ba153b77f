"""The e-mails about court news: each client's due news, composed into one e-mail."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from urllib.parse import quote

from sqlalchemy import RowMapping

from auth.links import PreferenceLinks
from court.explanations import explain
from db import court_news, jobs, outbox
from db.session import Db
from mail import letters
from schema.ids import global_id


async def send(db: Db, *, office_id: uuid.UUID, links: PreferenceLinks) -> int:
    """Queue one e-mail per client for the office's due news; how many were queued.

    The transaction must act for the office (db/accounts.py: act_for_office).
    """
    queued = 0
    due = await court_news.due(db, office_id=office_id)
    for _, news in itertools.groupby(due, key=lambda row: row["person_id"]):
        rows = list(news)
        wanted = [row for row in rows if row["wanted"]]
        if len(wanted) < len(rows):
            dropped = [row["id"] for row in rows if not row["wanted"]]
            await court_news.mark_sent(db, office_id=office_id, news_ids=dropped, message_id=None)
        if wanted:
            letter = _letter(wanted, links)
            message = await outbox.record(db, office_id=office_id, letter=letter)
            await court_news.mark_sent(
                db,
                office_id=office_id,
                news_ids=[row["id"] for row in wanted],
                message_id=message["id"],
            )
            args = {"office_id": str(office_id), "message_id": str(message["id"])}
            await jobs.defer(db, jobs.DELIVER_MAIL, args=args)
            queued += 1
    await court_news.forget_old(db, office_id=office_id)
    return queued


def _letter(rows: Sequence[RowMapping], links: PreferenceLinks) -> letters.Letter:
    first = rows[0]
    folders = [
        _folder(list(items), links.base_url)
        for _, items in itertools.groupby(rows, key=lambda row: row["case_id"])
    ]
    return letters.court_news(
        recipient=first["email"],
        name=first["name"],
        office=first["office"],
        folders=folders,
        unsubscribe_url=links.url(first["office_id"], first["account_id"]),
    )


def _folder(rows: list[RowMapping], base_url: str) -> letters.FolderNews:
    first = rows[0]
    return letters.FolderNews(
        title=first["case_title"],
        folder=first["folder"],
        cnj_number=first["cnj_number"],
        url=f"{base_url}/portal#/pasta/{quote(global_id('Case', first['case_id']), safe='')}",
        items=[_item(row) for row in rows],
    )


def _item(row: RowMapping) -> letters.CourtItem:
    if row["document_id"] is not None:
        return letters.CourtItem(row["filed_on"], row["document_title"], document=True)
    return letters.CourtItem(
        row["occurred_at"], row["description"], explain(row["code"], row["description"])
    )
