"""Documents of a case: the file in storage and its metadata row, landing together."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import IO

import sqlalchemy as sa
from sqlalchemy import RowMapping

from db.cases import require_case
from db.scope import visible_documents
from db.session import Db
from db.tables import Source, documents
from domain.errors import InvalidValue
from domain.fields import required
from domain.viewer import Viewer
from storage import files
from storage.stores import CHUNK, Store


@dataclass(frozen=True, slots=True)
class Upload:
    """A received file: spooled to disk by the multipart parser, never whole in memory."""

    file: IO[bytes]
    name: str | None


def _measure(source: IO[bytes], max_bytes: int) -> tuple[int, str]:
    """The file's size and SHA-256, read in chunks; refused as soon as it is too large."""
    digest, size = hashlib.sha256(), 0
    source.seek(0)
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise InvalidValue("file", f"The file exceeds the limit of {max_bytes:,} bytes.")
        digest.update(chunk)
    if size == 0:
        raise InvalidValue("file", "The file is empty.")
    return size, digest.hexdigest()


async def store_document(
    db: Db,
    *,
    viewer: Viewer,
    case_id: uuid.UUID,
    upload: Upload,
    title: str | None,
    source: Source,
    store: Store,
    max_bytes: int,
) -> RowMapping:
    """Write the file, then its row; if the row cannot be written, or the transaction
    does not commit, the file goes too."""
    await require_case(db, viewer, case_id)
    file_name = files.clean_file_name(upload.name)
    values = {"title": title if title is not None else file_name}
    required(values, "title", 300)
    size, sha256 = _measure(upload.file, max_bytes)
    content_type = files.content_type(upload.file, file_name=file_name)
    file_name = files.stored_name(file_name, content_type)
    document_id = uuid.uuid4()
    # A key of its own, never reused: a failed upload can only ever remove its own bytes.
    key = f"{viewer.office_id}/{document_id}-{secrets.token_hex(8)}"
    await store.put(key, upload.file, size)
    db.on_rollback.append(functools.partial(store.delete, key))
    try:
        row = await db.row(
            sa.insert(documents)
            .values(
                office_id=viewer.office_id,
                id=document_id,
                case_id=case_id,
                title=values["title"],
                file_name=file_name,
                content_type=content_type,
                size_bytes=size,
                sha256=sha256,
                storage_key=key,
                source=source,
                uploaded_by_id=viewer.account_id,
            )
            .returning(*documents.c)
        )
    except BaseException:
        await store.delete(key)
        raise
    assert row is not None
    return row


async def get_document(db: Db, *, viewer: Viewer, document_id: uuid.UUID) -> RowMapping | None:
    return await db.row(
        sa.select(documents).where(visible_documents(viewer), documents.c.id == document_id)
    )
