"""Removing a document: its row, and then its file.

The file goes with the row, and is not kept for a retention period: a document is the
office's copy of a file that it holds elsewhere too (the court's records, the office's
own archive), a file removed by mistake is uploaded again, and a file that no row
names can be downloaded by nobody, so keeping it would only keep personal data (LGPD
art. 15-16: data is erased once its purpose ends). What was removed, by whom and when
stays in the removal record (db/removals.py), its SHA-256 among the row's columns that
the answer gives back.

The file is deleted once the transaction has committed, never before: a removal that
rolls back leaves the document whole. Should the store fail then, the file stays
behind, named by no row (the failure is logged), and the removal stands.
"""

from __future__ import annotations

import functools
import uuid

from sqlalchemy import RowMapping

from db.documents import delete_document
from db.session import Db
from domain.viewer import Viewer
from storage.stores import Store


async def remove_document(
    db: Db, *, viewer: Viewer, document_id: uuid.UUID, store: Store
) -> RowMapping:
    row = await delete_document(db, viewer=viewer, document_id=document_id)
    db.after_commit.append(functools.partial(store.delete, row["storage_key"]))
    return row
