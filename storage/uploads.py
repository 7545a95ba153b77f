"""Uploads: a file checked and written to storage, then its row; both land, or neither."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import IO

from sqlalchemy import RowMapping

from db.cases import require_case
from db.documents import StoredFile, insert_document
from db.session import Db
from db.tables import Source
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
    await require_case(db, viewer=viewer, case_id=case_id)
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
    stored = StoredFile(key, file_name, content_type, size, sha256)
    try:
        return await insert_document(
            db,
            viewer=viewer,
            document_id=document_id,
            case_id=case_id,
            stored=stored,
            title=values["title"],
            source=source,
        )
    except BaseException:
        await store.delete(key)
        raise
