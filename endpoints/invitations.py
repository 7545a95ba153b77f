"""The invitation page, and ``POST /auth/invitations/accept``: a password set from an invitation."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.tokens import InvalidToken, OpaqueToken
from db import invitations
from db.session import transaction
from domain.errors import InvalidValue
from endpoints import static
from endpoints.requests import media_type, read_body
from endpoints.token import NO_STORE, OAuthError
from schema.context import State

MAX_BODY = 4_096


async def page(request: Request[State]) -> Response:
    return static.page("invitation")


async def _document(request: Request[State]) -> dict[str, Any]:
    if media_type(request) != "application/json":
        raise OAuthError("invalid_request", "Send a JSON object.")
    body = await read_body(request, MAX_BODY)
    if body is None:
        raise OAuthError("invalid_request", f"The request body exceeds {MAX_BODY} bytes.", 413)
    try:
        document: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_request", "The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise OAuthError("invalid_request", "The body must be a JSON object.")
    return document


def _token(document: dict[str, Any]) -> OpaqueToken:
    try:
        return OpaqueToken.parse(_text(document, "token"))
    except InvalidToken:
        raise invitations.UNKNOWN from None


def _text(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise OAuthError("invalid_request", f"{name!r} is required, as a string.")
    return value


async def check(request: Request[State]) -> Response:
    """Whether an invitation can be used, before its page asks for a password: 200, or
    the refusal that accepting it would get."""
    try:
        token = _token(await _document(request))
        async with transaction(request.state["engine"]) as db:
            await invitations.check(db, token=token)
    except invitations.InvitationRefused as refusal:
        return OAuthError(refusal.error, refusal.description).response()
    except OAuthError as error:
        return error.response()
    return JSONResponse({"status": "usable"}, headers=NO_STORE)


async def accept(request: Request[State]) -> Response:
    try:
        document = await _document(request)
        password = _text(document, "password")
        token = _token(document)
        async with transaction(request.state["engine"]) as db:
            account = await invitations.accept(db, token=token, password=password)
    except invitations.InvitationRefused as refusal:
        return OAuthError(refusal.error, refusal.description).response()
    except InvalidValue as weak:
        return OAuthError("weak_password", weak.message).response()
    except OAuthError as error:
        return error.response()
    return JSONResponse({"login": account["email"], "office": account["office"]}, headers=NO_STORE)


routes = [
    Route("/invitation", page),
    Route("/auth/invitations/check", check, methods=["POST"]),
    Route("/auth/invitations/accept", accept, methods=["POST"]),
]
