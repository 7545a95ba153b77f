"""Reading a request's body: its media type, and the body within a size limit."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request


def media_type(request: Request[Any]) -> str:
    """The Content-Type without its parameters (``application/json; charset=utf-8``)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request: Request[Any], limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    request._body = bytes(body)  # later readers of the request get what was read here
    return request._body
