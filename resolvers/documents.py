"""Mutations of documents: uploads over the GraphQL multipart request spec."""

from __future__ import annotations

from typing import Annotated

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.types import Info

from domain.errors import InvalidValue
from schema.case import Document, UploadDocumentPayload
from schema.context import Context
from schema.enums import Source
from schema.ids import parse_id
from schema.permissions import STAFF_ONLY
from schema.rows import from_row
from storage import uploads


@strawberry.type
class DocumentMutation:
    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Stores a file of the case. Its type is read from its bytes; the title "
        "defaults to the file's name. COURT documents are seen by the case's clients.",
    )
    async def upload_document(
        self,
        info: Info[Context, None],
        case_id: strawberry.ID,
        file: Upload,
        # Named apart from its GraphQL name: "source" is taken by the permission extension.
        origin: Annotated[Source, strawberry.argument(name="source")],
        title: str | None = None,
    ) -> UploadDocumentPayload:
        context = info.context
        settings = context.request.state["settings"]
        if not isinstance(file, UploadFile):  # a value in the JSON, not a multipart part
            raise InvalidValue("file", "Send the file as a part of a multipart request.")
        case = parse_id(case_id, field="caseId", type_name="Case")
        row = await uploads.store_document(
            context.db,
            viewer=context.viewer,
            case_id=case,
            upload=uploads.Upload(file=file.file, name=file.filename),
            title=title,
            source=origin,
            store=context.store,
            max_bytes=settings.max_upload_bytes,
        )
        return UploadDocumentPayload(case_key=case, document=from_row(Document, row))
