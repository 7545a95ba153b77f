"""``/healthz`` (the process answers) and ``/readyz`` (and its database too)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from db.engine import DATABASE_ERRORS, RETRY_AFTER
from schema.context import State


async def healthz(request: Request[State]) -> Response:
    """The process answers; with how many reads each path has answered since it started
    (compiled into one statement, from the answer cache, or by the executor)."""
    reads = request.state["reads"]
    counts = {} if reads is None else {"reads": {k: reads.counts[k] for k in READ_PATHS}}
    return JSONResponse({"status": "ok", **counts})


READ_PATHS = ("compiled", "cached", "executor")


async def readyz(request: Request[State]) -> Response:
    try:
        async with asyncio.timeout(2), request.state["engine"].connect() as connection:
            await connection.execute(text("SELECT 1"))
    except DATABASE_ERRORS:
        return JSONResponse(
            {"status": "database unavailable"},
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER)},
        )
    return JSONResponse({"status": "ready"})


routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
