"""Documents of a case: their rows (the files themselves are in storage/)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db import court_news, removals
from db.inputs import DocumentUpdate
from db.keyset import Order
from db.pages import Page, Window, fetch_pages_by
from db.scope import visible_documents
from db.session import Db
from db.tables import Source, documents
from domain.errors import InvalidValue, Missing
from domain.fields import required
from domain.viewer import Viewer

TITLE_LIMIT = 300  # characters


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file written to storage, as its row describes it."""

    key: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str


NEWEST_FIRST = (documents.c.created_at.desc(), documents.c.id.desc())
PAGE_ORDER = Order.of(NEWEST_FIRST)


async def insert_document(
    db: Db,
    *,
    viewer: Viewer,
    document_id: uuid.UUID,
    case_id: uuid.UUID,
    stored: StoredFile,
    title: str,
    source: Source,
) -> RowMapping:
    """The row of a file already in storage (storage/uploads.py writes the file first)."""
    row = await db.row(
        sa.insert(documents)
        .values(
            office_id=viewer.office_id,
            id=document_id,
            case_id=case_id,
            title=title,
            file_name=stored.file_name,
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
            sha256=stored.sha256,
            storage_key=stored.key,
            source=source,
            uploaded_by_id=viewer.account_id,
        )
        .returning(*documents.c)
    )
    assert row is not None
    if source == Source.COURT:
        await court_news.wake(db, office_id=viewer.office_id, gather=True)
    return row


def documents_query(viewer: Viewer) -> sa.Select[Any]:
    """The visible documents, in no order (``NEWEST_FIRST`` is theirs)."""
    return sa.select(documents).where(visible_documents(viewer))


async def documents_of_cases(
    db: Db, *, viewer: Viewer, case_ids: Sequence[uuid.UUID], window: Window
) -> dict[uuid.UUID, Page]:
    return await fetch_pages_by(
        db,
        documents_query(viewer),
        key=documents.c.case_id,
        keys=case_ids,
        order=PAGE_ORDER,
        window=window,
    )


async def get_document(db: Db, *, viewer: Viewer, document_id: uuid.UUID) -> RowMapping | None:
    return await db.row(
        sa.select(documents).where(visible_documents(viewer), documents.c.id == document_id)
    )


async def update_document(
    db: Db, *, viewer: Viewer, document_id: uuid.UUID, changes: DocumentUpdate
) -> RowMapping:
    """A new title, or the other source: a COURT document made INTERNAL leaves its
    clients' sight with the commit, and an INTERNAL one made COURT enters it."""
    cleaned = changes.given()
    required(cleaned, "title", TITLE_LIMIT)
    if "source" in cleaned and cleaned["source"] is None:
        raise InvalidValue("source", "source must not be null.")
    found = visible_documents(viewer), documents.c.id == document_id
    if not cleaned:
        row = await db.row(sa.select(documents).where(*found))
    else:
        row = await db.row(
            sa.update(documents).where(*found).values(**cleaned).returning(*documents.c)
        )
    if row is None:
        raise Missing("id", "No document has that id.")
    if cleaned.get("source") == Source.COURT:
        await court_news.wake(db, office_id=viewer.office_id, gather=True)
    return row


async def delete_document(db: Db, *, viewer: Viewer, document_id: uuid.UUID) -> RowMapping:
    """The document's row goes, and its removal is recorded; the removed row is answered,
    so that its file can go too (storage/removals.py)."""
    row = await db.row(
        sa.delete(documents)
        .where(visible_documents(viewer), documents.c.id == document_id)
        .returning(*documents.c)
    )
    if row is None:
        raise Missing("id", "No document has that id.")
    await removals.record(
        db,
        viewer=viewer,
        type_name="Document",
        key=row["id"],
        text=row["title"],
        case_id=row["case_id"],
    )
    return row
