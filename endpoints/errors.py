"""Answers for what an endpoint raised: HTTP errors, and a database that cannot serve."""

from __future__ import annotations

import logging

from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db.engine import RETRY_AFTER, unreachable
from endpoints.graphql import graphql_error
from schema.errors import ErrorCode

logger = logging.getLogger("causa")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def database_error(request: Request, exc: Exception) -> Response:
    """Every endpoint: 503 and Retry-After while the database cannot serve."""
    if not unreachable(exc):
        logger.error("unexpected database error", exc_info=exc)
        return graphql_error(500, "Internal server error.", ErrorCode.INTERNAL)
    if isinstance(exc, PoolTimeout):
        logger.warning("no database connection came free in time: %s", exc)
        message = "Causa is busy: no database connection came free in time; try again shortly."
    else:
        logger.warning("database unavailable: %s", exc)
        message = "The database is unavailable; try again shortly."
    retry = {"Retry-After": str(RETRY_AFTER)}
    if request.url.path.startswith("/auth/"):  # OAuth's endpoints answer in OAuth's terms
        body = {"error": "temporarily_unavailable", "error_description": message}
        return JSONResponse(body, status_code=503, headers={**retry, "Cache-Control": "no-store"})
    return graphql_error(503, message, ErrorCode.UNAVAILABLE, **retry)
