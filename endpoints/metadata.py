"""``/.well-known/oauth-authorization-server``: what an app needs to know to sign
accounts in (RFC 8414), with the public URL as the issuer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.oauth import metadata
from schema.context import State


async def authorization_server(request: Request[State]) -> Response:
    settings = request.state["settings"]
    described = metadata(issuer=settings.base_url, password_grant=settings.password_grant)
    return JSONResponse(dict(described), headers={"Cache-Control": "public, max-age=3600"})


routes = [Route("/.well-known/oauth-authorization-server", authorization_server)]
