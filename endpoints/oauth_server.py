"""authlib's authorization server (auth/oauth.py) as Causa's endpoints use it: a
request's server, with the client it names loaded beforehand, and its answers as
Starlette responses."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from auth.oauth import Answer, Call, Client, OAuthServer, Prepared
from db import oauth_clients
from db.session import transaction
from schema.context import State

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def server_for(request: Request[State], client_id: str | None) -> OAuthServer:
    """A server for this request, holding the client that ``client_id`` names, if any
    (authlib's ``query_client`` is synchronous: it reads what is loaded here)."""
    prepared = Prepared()
    if client_id:
        async with transaction(request.state["engine"]) as db:
            row = await oauth_clients.client_by_client_id(db, client_id)
        client = None if row is None else Client.from_row(row)
        if client is not None:
            prepared.clients[client_id] = client
    return OAuthServer(prepared, request.state["signer"])


def call(request: Request[State], parameters: Mapping[str, str], method: str) -> Call:
    """The request as authlib reads it, on the public URL (never the Host it came by)."""
    url = f"{request.state['settings'].base_url}{request.url.path}"
    return Call(method, url, dict(request.headers), dict(parameters))


def response(answer: Answer) -> Response:
    headers = {name: value for name, value in answer.headers if name.lower() != "content-type"}
    if answer.location is not None:
        return RedirectResponse(answer.location, status_code=302, headers=NO_STORE)
    return JSONResponse(answer.body, status_code=answer.status, headers=headers | NO_STORE)
