"""The ASGI application: Starlette routes around one Strawberry schema."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import strawberry
from cross_web import HTTPException as GraphQLHTTPException
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL

from auth import downloads as download_routes
from auth import invitations as invitation_routes
from auth import routes as auth_routes
from auth.downloads import DownloadLinks
from auth.mail import Mailer
from auth.requests import media_type, read_body
from auth.tokens import InvalidToken, Signer
from auth.viewer import STAFF_ROLES
from db import accounts, embedded, migrate, outbox
from db.engine import create_engine
from db.invitations import InvitationPolicy
from db.roles import check_runtime_role
from db.session import transaction
from db.storage import open_store
from resolvers.context import Context
from schema.build import client_schema, staff_schema
from schema.errors import ErrorCode
from settings import Settings

logger = logging.getLogger("causa")
STATIC = Path(__file__).parent / "static"
GRAPHIQL_PAGE = STATIC / "graphiql" / "index.html"
INVITATION_PAGE = STATIC / "invitation" / "index.html"
MULTIPART_OVERHEAD = 1024 * 1024  # the operations, the map and the part headers


def graphql_error(status: int, message: str, code: ErrorCode, **headers: str) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code.value}}]}
    return JSONResponse(body, status_code=status, headers=headers)


def unauthenticated(message: str, error: str | None = None) -> JSONResponse:
    challenge = 'Bearer realm="causa"' + (f', error="{error}"' if error else "")
    return graphql_error(401, message, ErrorCode.UNAUTHENTICATED, **{"WWW-Authenticate": challenge})


async def graphql(request: Request) -> Response:
    if request.method == "GET":
        if "text/html" in request.headers.get("accept", ""):
            return FileResponse(GRAPHIQL_PAGE, headers={"Cache-Control": "no-cache"})
        return graphql_error(
            405, "Send GraphQL operations with POST.", ErrorCode.BAD_USER_INPUT, Allow="POST"
        )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return unauthenticated("Sign in: send Authorization: Bearer <access token>.")
    try:
        claims = request.state.signer.read(token.strip())
    except InvalidToken:
        return unauthenticated("The access token is invalid or expired.", "invalid_token")
    refusal = await _check_body(request, staff=claims.role in STAFF_ROLES)
    if refusal is not None:
        return refusal
    try:
        async with transaction(request.state.engine) as db:
            viewer = await accounts.active_viewer(db, claims)
            if viewer is None:
                return unauthenticated("The session has ended; sign in again.", "invalid_token")
            # The viewer's role picks the view: a client's has only @principal fields.
            view: GraphQL[Context, None] = request.state.views[viewer.is_staff]
            response = await view.run(request, context=Context(request, db, viewer))
        mailer: Mailer | None = request.state.mailer
        if db.queued_mail and mailer is not None:
            response.background = BackgroundTask(
                outbox.deliver_after_commit, request.state.engine, mailer, db.queued_mail
            )
        return response
    except (GraphQLHTTPException, HTTPException) as error:  # a malformed (multipart) body
        status = error.status_code
        reason = error.reason if isinstance(error, GraphQLHTTPException) else str(error.detail)
        return graphql_error(status, reason, ErrorCode.BAD_USER_INPUT)
    except (OSError, DBAPIError):
        logger.exception("database unavailable")
        return graphql_error(
            503,
            "The database is unavailable; try again shortly.",
            ErrorCode.INTERNAL,
            **{"Retry-After": "5"},
        )
    finally:
        await request.close()  # the temporary files of an upload


async def _check_body(request: Request, *, staff: bool) -> Response | None:
    """A refusal when the body is too large for the viewer, else None.

    An upload (multipart, staff only) is streamed to a temporary file by the parser and
    is capped by its declared length; any other body is read here within its limit.
    """
    settings: Settings = request.state.settings
    if staff and media_type(request) == "multipart/form-data":
        declared = request.headers.get("content-length", "")
        limit = settings.max_upload_bytes + MULTIPART_OVERHEAD
        if not declared.isdigit():
            return graphql_error(
                411, "Send uploads with a Content-Length.", ErrorCode.BAD_USER_INPUT
            )
        if int(declared) > limit:
            return graphql_error(
                413,
                f"The upload exceeds the limit of {settings.max_upload_bytes:,} bytes.",
                ErrorCode.BAD_USER_INPUT,
            )
        return None
    limits = settings.staff_limits if staff else settings.client_limits
    if await read_body(request, limits.body_bytes) is None:
        return graphql_error(
            413, f"The request body exceeds {limits.body_bytes} bytes.", ErrorCode.BAD_USER_INPUT
        )
    return None


async def invitation_page(request: Request) -> Response:
    return FileResponse(INVITATION_PAGE, headers={"Cache-Control": "no-cache"})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        async with asyncio.timeout(2), request.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (OSError, DBAPIError, TimeoutError):
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ready"})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _view(schema: strawberry.Schema, *, uploads: bool) -> GraphQL[Context, None]:
    # Uploads come with a Bearer token, never a cookie: multipart is no CSRF risk here.
    return GraphQL(
        schema, graphql_ide=None, allow_queries_via_get=False, multipart_uploads_enabled=uploads
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        # The embedded server, if used, is restarted when it dies and left on every exit.
        data_dir = settings.data_dir if settings.embedded else None
        async with embedded.supervised(data_dir), resources(app) as state:
            yield state

    @asynccontextmanager
    async def resources(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        urls = await asyncio.to_thread(settings.database_urls)
        if settings.embedded:
            await asyncio.to_thread(migrate.upgrade, urls.owner)
        engine = create_engine(urls.runtime)
        store = await open_store(
            settings.storage_url,
            data_dir=settings.data_dir,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
        try:
            await migrate.check_current(engine)
            await check_runtime_role(engine)
            yield {
                "settings": settings,
                "engine": engine,
                "signer": Signer(settings.signing_key, settings.access_token_ttl),
                "mailer": settings.mailer,
                "invitations": InvitationPolicy(settings.base_url, settings.invitation_ttl),
                "views": {
                    True: _view(staff_schema(settings.staff_limits), uploads=True),
                    False: _view(client_schema(settings.client_limits), uploads=False),
                },
                "store": store,
                "downloads": DownloadLinks.derive(
                    settings.signing_key, ttl=settings.download_url_ttl, base_url=settings.base_url
                ),
            }
        finally:
            await store.close()
            await engine.dispose()

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        *auth_routes.routes,
        *invitation_routes.routes,
        *download_routes.routes,
        Route("/invitation", invitation_page),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error}
    )
