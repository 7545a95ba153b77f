"""``/metrics``: Prometheus's text format, counts and timings only, never data.

Requests by route (its template: ``/documents/{document_id}``, never a raw path), method,
status and GraphQL operation; their latency; the reads each path answered; the database
pool; the outbox and the job queue by status; sign-ins by outcome. The depths are read from
the database at most every ``DEPTHS_EVERY`` seconds, whatever the scrapes.

On the main port unless ``CAUSA_METRICS_PORT`` gives one of its own (then only there);
``CAUSA_METRICS_TOKEN``, when set, is the bearer token a scrape must send, on either port.
"""

from __future__ import annotations

import asyncio
import hmac
import socket
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from threading import Thread
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    generate_latest,
    make_wsgi_app,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.registry import Collector
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from db import depths
from db.engine import DATABASE_ERRORS
from schema.context import State
from schema.reads import Reads

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DEPTHS_EVERY = 15.0  # seconds
READ_PATHS = ("compiled", "cached", "executor")
OPERATIONS = 200  # distinct operation names labelled; any further one is "other"

REQUESTS = Counter(
    "causa_http_requests",
    "HTTP requests answered, by route template, method, status and GraphQL operation.",
    ["route", "method", "status", "operation"],
)
LATENCY = Histogram(
    "causa_http_request_duration_seconds",
    "Time from a request's arrival to its answer's end, by route template.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SIGN_INS = Counter(
    "causa_sign_ins",
    "Password sign-ins at the token endpoint, by outcome: success, failure, throttled.",
    ["outcome"],
)
_operations: set[str] = set()
_children: dict[tuple[str, str, int, str], tuple[Any, Any]] = {}


def observe(route: str, method: str, status: int, operation: str | None, seconds: float) -> None:
    """One answered request (endpoints/middleware.py)."""
    if operation is None:
        operation = "-"
    elif operation not in _operations:
        if len(_operations) >= OPERATIONS:
            operation = "other"
        else:
            _operations.add(operation)
    key = (route, method, status, operation)
    children = _children.get(key)
    if children is None:  # labels() takes a lock and builds a key: once per label set
        children = _children[key] = (
            REQUESTS.labels(route, method, str(status), operation),
            LATENCY.labels(route),
        )
    children[0].inc()
    children[1].observe(seconds)


class Live(Collector):
    """What is read at scrape time from the apps running in this process (one, but for
    tests): their reads and their pools, summed, and the queues (from the database,
    cached)."""

    def __init__(self) -> None:
        self.apps: list[tuple[AsyncEngine, Reads | None]] = []
        self.depths: list[tuple[str, str, int]] = []
        self.read_at = 0.0

    @asynccontextmanager
    async def watching(self, engine: AsyncEngine, reads: Reads | None) -> AsyncIterator[None]:
        """An app's engine and reads counted while the block (its lifespan) runs."""
        app = (engine, reads)
        self.apps.append(app)
        try:
            yield
        finally:
            self.apps.remove(app)

    async def refresh(self, engine: AsyncEngine) -> None:
        """The queues' depths, read through ``engine`` when the last reading is older than
        ``DEPTHS_EVERY``."""
        if time.monotonic() - self.read_at < DEPTHS_EVERY:
            return
        self.read_at = time.monotonic()
        try:
            self.depths = await depths.queue_depths(engine)
        except DATABASE_ERRORS:
            self.depths = []  # the scrape still answers; /readyz tells of the database

    def collect(self) -> Iterator[Any]:
        reads = CounterMetricFamily(
            "causa_reads", "GraphQL reads answered, by path.", labels=["path"]
        )
        for path in READ_PATHS:
            reads.add_metric([path], sum(r.counts[path] for _, r in self.apps if r is not None))
        yield reads
        pools: list[Any] = [engine.pool for engine, _ in self.apps]
        connections = GaugeMetricFamily(
            "causa_db_pool_connections",
            "Database connections of this process, by state.",
            labels=["state"],
        )
        connections.add_metric(["checked_out"], sum(pool.checkedout() for pool in pools))
        connections.add_metric(["idle"], sum(pool.checkedin() for pool in pools))
        connections.add_metric(["overflow"], sum(max(pool.overflow(), 0) for pool in pools))
        yield connections
        yield GaugeMetricFamily(
            "causa_db_pool_size",
            "Connections the pools keep.",
            value=sum(pool.size() for pool in pools),
        )
        queued = GaugeMetricFamily(
            "causa_queue_items",
            "E-mails in the outbox and jobs in the queue, by status, all offices.",
            labels=["queue", "status"],
        )
        for queue, status, items in self.depths:
            queued.add_metric([queue, status], items)
        yield queued


LIVE = Live()
REGISTRY.register(LIVE)


REFUSED = "Send the metrics token: Authorization: Bearer <CAUSA_METRICS_TOKEN>."
CHALLENGE = ("WWW-Authenticate", 'Bearer realm="metrics"')


def _allowed(authorization: str, token: SecretStr | None) -> bool:
    """Whether a scrape with this ``Authorization`` header may read the metrics."""
    if token is None:
        return True
    given = authorization.removeprefix("Bearer ").encode()
    return hmac.compare_digest(given, token.get_secret_value().encode())


async def metrics(request: Request[State]) -> Response:
    settings = request.state["settings"]
    if settings.metrics_port is not None:  # served on that port only
        return PlainTextResponse("Not Found", status_code=404)
    if not _allowed(request.headers.get("authorization", ""), settings.metrics_token):
        return PlainTextResponse(REFUSED, status_code=401, headers=dict([CHALLENGE]))
    await LIVE.refresh(request.state["engine"])
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _guarded(app: WSGIApplication, token: SecretStr | None) -> WSGIApplication:
    """prometheus-client's WSGI ``app``, answering only a scrape that sends ``token``."""

    def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if _allowed(environ.get("HTTP_AUTHORIZATION", ""), token):
            return app(environ, start_response)
        start_response("401 Unauthorized", [("Content-Type", "text/plain"), CHALLENGE])
        return [REFUSED.encode()]

    return guarded


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No line of its own: a scrape is counted, not logged."""


def _serve(host: str, port: int, token: SecretStr | None) -> tuple[WSGIServer, Thread]:
    class Server(ThreadingWSGIServer):
        address_family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]

    app = _guarded(make_wsgi_app(REGISTRY), token)
    server = make_server(host, port, app, Server, handler_class=_Quiet)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


@asynccontextmanager
async def apart(
    host: str, port: int | None, engine: AsyncEngine, token: SecretStr | None = None
) -> AsyncIterator[None]:
    """``/metrics`` on ``port`` of its own while the block runs, when one is given:
    prometheus-client's WSGI app, asking for ``token`` when there is one, served by a
    thread, and the queues' depths read every ``DEPTHS_EVERY`` seconds by a task of this
    event loop."""
    if port is None:
        yield
        return
    server, thread = _serve(host, port, token)

    async def read_depths() -> None:
        while True:
            await LIVE.refresh(engine)
            await asyncio.sleep(DEPTHS_EVERY)

    reading = asyncio.create_task(read_depths())
    try:
        yield
    finally:
        reading.cancel()
        server.shutdown()
        server.server_close()
        thread.join()


routes = [Route("/metrics", metrics)]
