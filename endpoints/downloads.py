"""Document downloads: short-lived signed URLs, bound to the viewer's session.

``/documents/{id}?token=<office>.<account>.<session>.<role>.<expires>.<signature>``.
The signature (HMAC-SHA256 under a key derived from the secret key) covers the
document and every other part, so a URL cannot be moved to another document, viewer
or time. Serving checks it, then that the session is still live and the document is
in the viewer's scope, as any GraphQL request would.
"""

from __future__ import annotations

import base64
import hmac
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from auth.tokens import AccessClaims, InvalidToken
from db import accounts, documents
from db.session import transaction
from domain.viewer import Role, Viewer
from storage.stores import Store

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True, slots=True)
class DownloadLinks:
    key: bytes
    ttl: int
    base_url: str

    @classmethod
    def derive(cls, secret: bytes, *, ttl: int, base_url: str) -> DownloadLinks:
        return cls(hmac.new(secret, b"causa document downloads", "sha256").digest(), ttl, base_url)

    def _signature(self, document_id: uuid.UUID, fields: str) -> str:
        mac = hmac.new(self.key, f"{document_id.hex}.{fields}".encode(), "sha256").digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def url(self, viewer: Viewer, document_id: uuid.UUID) -> str:
        expires = int(time.time()) + self.ttl
        fields = ".".join(
            [
                viewer.office_id.hex,
                viewer.account_id.hex,
                viewer.session_id.hex,
                viewer.role.value,
                str(expires),
            ]
        )
        token = f"{fields}.{self._signature(document_id, fields)}"
        return f"{self.base_url}/documents/{document_id}?token={token}"

    def claims(self, document_id: uuid.UUID, token: str) -> AccessClaims:
        """The session a valid, unexpired token names; InvalidToken otherwise."""
        fields, _, signature = token.rpartition(".")
        expected = self._signature(document_id, fields)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise InvalidToken("bad signature")
        try:
            office, account, session, role, expires = fields.split(".")
            if int(expires) < time.time():
                raise InvalidToken("expired")
            return AccessClaims(
                account_id=uuid.UUID(hex=account),
                office_id=uuid.UUID(hex=office),
                role=Role(role),
                session_id=uuid.UUID(hex=session),
            )
        except ValueError as error:
            raise InvalidToken(str(error)) from error


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


async def download(request: Request) -> Response:
    links: DownloadLinks = request.state.downloads
    try:
        document_id = uuid.UUID(request.path_params["document_id"])
        claims = links.claims(document_id, request.query_params.get("token", ""))
    except (ValueError, InvalidToken):
        return _refusal(403, "This download link is invalid or has expired.")
    async with transaction(request.state.engine) as db:
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
    store: Store = request.state.store
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
    return StreamingResponse(
        body,
        status_code=206 if wanted is not None else 200,
        media_type=document["content_type"],
        headers=headers,
    )


routes = [Route("/documents/{document_id}", download, methods=["GET"])]
