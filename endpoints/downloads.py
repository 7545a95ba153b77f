"""Document downloads: serving a signed URL (auth/links.py) to the session it names."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from auth.tokens import InvalidToken
from db import accounts, documents
from db.activity import Visit
from db.session import transaction
from db.tables import PortalAction
from endpoints.activity import record_read
from schema.context import State

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": message}, status_code=status, headers={"Cache-Control": "no-store"}
    )


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (start, end) a ``Range`` header asks for; None for the whole file.

    Raises ValueError for a range that cannot be satisfied.
    """
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges, or another unit: answered with the whole file
    first, last = match.groups()
    if not first:  # the last N bytes
        if not last or int(last) == 0:
            raise ValueError(header)
        return max(size - int(last), 0), size - 1
    start, end = int(first), int(last) if last else size - 1
    if start >= size or end < start:
        raise ValueError(header)
    return start, min(end, size - 1)


def _disposition(file_name: str) -> str:
    fallback = file_name.encode("ascii", "ignore").decode().replace('"', "") or "documento"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


async def download(request: Request[State]) -> Response:
    links = request.state["downloads"]
    try:
        document_id = uuid.UUID(request.path_params["document_id"])
        claims = links.claims(document_id, request.query_params.get("token", ""))
    except (ValueError, InvalidToken):
        return _refusal(403, "This download link is invalid or has expired.")
    async with transaction(request.state["engine"]) as db:
        viewer = await accounts.active_viewer(db, claims)
        if viewer is None:
            return _refusal(403, "This download link is invalid or has expired.")
        document = await documents.get_document(db, viewer=viewer, document_id=document_id)
    if document is None:
        return _refusal(404, "No such document.")
    size = document["size_bytes"]
    try:
        wanted = _byte_range(request.headers.get("range"), size)
    except ValueError:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    start, end = wanted or (0, size - 1)
    store = request.state["store"]
    headers = {
        "Content-Disposition": _disposition(document["file_name"]),
        "Content-Length": str(end - start + 1),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{document["sha256"]}"',
    }
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    body: AsyncIterator[bytes] = store.read(document["storage_key"], start, end)
    response = StreamingResponse(
        body,
        status_code=206 if wanted is not None else 200,
        media_type=document["content_type"],
        headers=headers,
    )
    if start == 0:  # a download, not the further parts of one that a reader fetches
        visit = Visit(PortalAction.DOCUMENT_DOWNLOAD, document["case_id"], document["id"])
        record_read(request, viewer, [visit])
    return response


routes = [Route("/documents/{document_id}", download, methods=["GET"])]
