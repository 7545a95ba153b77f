"""What every answer passes through: its request id, CORS for the configured origins, and
brotli or gzip for the large ones. Pure ASGI layers: Starlette's BaseHTTPMiddleware costs a task and
a stream per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from typing import Any

import anyio.to_thread
import brotli
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipResponder,
    IdentityResponder,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain import log_context
from endpoints import metrics

REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"[\x21-\x7e]{1,128}")  # visible ASCII, not too long
# Each request's line (RequestId); these paths' at DEBUG, as a poller asks them all day.
access = logging.getLogger("causa.http")
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# Compression: only answers a client asks to be compressed, of at least this size.
COMPRESS_FROM_BYTES = 1_000
COMPRESS_LEVEL = 6  # gzip. GraphiQL's 3.5 MB script: 80 ms at 6, 200 ms at 9, for 0.7% smaller
# brotli, preferred when accepted. GraphiQL's script: 661 KB in 58 ms (gzip: 734 KB in 76 ms);
# a 30-case page: 2,113 B in 0.12 ms (gzip: 2,281 B in 0.06 ms).
BROTLI_QUALITY = 5
IN_THREAD_FROM_BYTES = 128 * 1024  # larger bodies are compressed off the event loop
# Never compressed: the OAuth endpoints and pages (secrets beside what a request sends:
# BREACH), and document downloads (mostly compressed formats already, sent by ranges).
UNCOMPRESSED = ("/auth/", "/documents/")

CORS_METHODS = ("GET", "POST", "OPTIONS")
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")
CORS_EXPOSED_HEADERS = ("WWW-Authenticate", "Retry-After", "X-Request-ID")
CORS_MAX_AGE = 600  # seconds a browser may reuse a preflight's answer


def request_id(scope: Scope) -> str:
    """The id of the request being answered: the client's if sane, else one made for it."""
    value: str = scope["request_id"]
    return value


class RequestId:
    """Takes the request's ``X-Request-ID`` when it is sane (else makes one, a uuid4 in
    hex), keeps it in the scope (``request_id(scope)``) and in the log fields of every line
    logged while the request runs (domain/log_context.py), echoes it on the answer, and
    logs the request's own line once it is answered: method, path (never its query, which
    may hold a token), status and milliseconds. Health checks and metrics scrapes are
    logged at DEBUG."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = next((v for k, v in scope["headers"] if k == REQUEST_ID_HEADER), None)
        if given is not None and _SANE_REQUEST_ID.fullmatch(given):
            value = given
        else:
            value = uuid.uuid4().hex.encode()
        scope["request_id"] = value.decode()
        status = 500  # unless an answer starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (REQUEST_ID_HEADER, value)]
                message = {**message, "headers": headers}
            await send(message)

        token = log_context.begin(request_id=scope["request_id"])
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope["path"]
            level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
            if access.isEnabledFor(level):
                milliseconds = round((time.perf_counter() - started) * 1000, 1)
                line = {"method": scope["method"], "path": path, "status": status}
                access.log(
                    level,
                    "%s %s %d %.1f ms",
                    scope["method"],
                    path,
                    status,
                    milliseconds,
                    extra={**line, "duration_ms": milliseconds},
                )
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics.observe(
                route,
                scope["method"],
                status,
                log_context.current().get("operation"),
                time.perf_counter() - started,
            )
            log_context.end(token)


class Compression:
    """brotli or gzip, whichever the client accepts (brotli first), on answers of at least
    ``COMPRESS_FROM_BYTES``, except under ``UNCOMPRESSED``. A request that accepts neither
    goes straight to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNCOMPRESSED):
            await self.app(scope, receive, send)
            return
        accepted = accepted_encodings(scope)
        responder: ASGIApp
        if "br" in accepted:
            responder = BrotliResponder(self.app, COMPRESS_FROM_BYTES)
        elif "gzip" in accepted:
            responder = GZipResponder(self.app, COMPRESS_FROM_BYTES, compresslevel=COMPRESS_LEVEL)
        else:
            responder = self.app
        await responder(scope, receive, send)


def accepted_encodings(scope: Scope) -> frozenset[str]:
    """The codings ``Accept-Encoding`` names, less those it refuses with ``q=0``."""
    accepted: set[str] = set()
    for name, value in scope["headers"]:
        if name != b"accept-encoding":
            continue
        for item in value.decode("latin-1").lower().split(","):
            coding, _, parameters = item.partition(";")
            quality = parameters.strip().removeprefix("q=").strip()
            if quality and _refused(quality):
                continue
            accepted.add(coding.strip())
    return frozenset(accepted)


def _refused(quality: str) -> bool:
    try:
        return float(quality) == 0
    except ValueError:
        return False


class BrotliResponder(IdentityResponder):
    """Starlette's responder (size threshold, excluded types, ranges, ``Vary``) with
    brotli in place of gzip."""

    content_encoding = "br"

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        super().__init__(app, minimum_size, exclude_content_types=DEFAULT_EXCLUDED_CONTENT_TYPES)
        self.compressor = brotli.Compressor(quality=BROTLI_QUALITY)

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if len(body) >= IN_THREAD_FROM_BYTES:
            return await anyio.to_thread.run_sync(self._compress, body, more_body)
        return self._compress(body, more_body)

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        head = bytes(self.compressor.process(body))
        return head + bytes(self.compressor.flush() if more_body else self.compressor.finish())


def cors(origins: tuple[str, ...]) -> list[Middleware]:
    """Starlette's CORS for exactly ``origins``; none configured, no CORS layer at all."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=CORS_MAX_AGE,
        )
    ]


class LayeredStarlette(Starlette):
    """Starlette with layers outside its own error handling (``outer``, the first
    outermost), so that a 500 for an unexpected error carries them too."""

    def __init__(self, *, outer: Sequence[Middleware] = (), **kwargs: Any) -> None:
        self.outer = list(outer)
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        app = super().build_middleware_stack()
        for cls, args, kwargs in reversed(self.outer):
            app = cls(app, *args, **kwargs)
        return app
