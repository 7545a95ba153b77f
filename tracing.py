"""OpenTelemetry traces: off unless the standard variables ask for them.

``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_TRACES_EXPORTER=otlp``) exports spans over OTLP
(HTTP/protobuf, every other ``OTEL_EXPORTER_OTLP_*`` variable honoured);
``OTEL_TRACES_EXPORTER=console`` prints them to standard output, to look at. Each request
is a span (the ASGI instrumentation), each SQL statement one inside it (SQLAlchemy's), and
an operation the GraphQL executor runs has its parse, validation and resolvers (strawberry's
extension). No span holds the request's query string, the query's text, a resolver's
arguments or its error's message. Off, nothing of OpenTelemetry is imported and a
request costs nothing more.

The packages are the ``otel`` extra: ``pip install 'causa[otel]'``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Mapping
from inspect import isawaitable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from settings import ConfigurationError

_started = False
_QUERY = "causa.query_string"  # the request's query string, kept from its span
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")  # a GraphQL name, of a sane length


def exporter(environ: Mapping[str, str] = os.environ) -> str | None:
    """``otlp``, ``console`` or None (off), from the standard variables."""
    chosen = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if chosen in {"", "none"}:
        return "otlp" if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") and not chosen else None
    if chosen not in {"otlp", "console"}:
        raise ConfigurationError(
            f"OTEL_TRACES_EXPORTER is {chosen!r}: Causa exports traces with otlp or console"
        )
    return chosen


def start(kind: str) -> None:
    """The process's tracer provider, exporting by ``kind``; once per process."""
    global _started
    if _started:
        return
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        raise ConfigurationError(
            "traces are asked for (OTEL_*) but OpenTelemetry is not installed: "
            "pip install 'causa[otel]'"
        ) from None
    service = os.environ.get("OTEL_SERVICE_NAME", "causa")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if kind == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _started = True


def request_spans() -> Any:
    """The ASGI middleware that makes a span of each request. The span is not given the
    request's query string, which may hold a link's token (``/documents/{id}?token=…``)."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    class RequestSpans:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app
            self.spans = OpenTelemetryMiddleware(self.restored)

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await self.app(scope, receive, send)
                return
            hidden = {**scope, "query_string": b"", _QUERY: scope.get("query_string", b"")}
            await self.spans(hidden, receive, send)

        async def restored(self, scope: Scope, receive: Receive, send: Send) -> None:
            query = scope[_QUERY]
            await self.app({**scope, "query_string": query}, receive, send)

    return RequestSpans


def trace_engine(engine: Any) -> None:
    """A span for each SQL statement of ``engine`` (an AsyncEngine)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # (its declared range stops short of SQLAlchemy 2.1, whose events it uses unchanged)
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, skip_dep_check=True)


def graphql_extension() -> Any:
    """strawberry's extension: spans for an executed operation's steps and resolvers, with
    nothing a client sent in them: not the query's text, not a resolver's arguments, not an
    error's message (which may quote a value), and the operation's name only when it is a
    GraphQL name."""
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
    from strawberry.extensions import LifecycleStep
    from strawberry.extensions.tracing.opentelemetry import OpenTelemetryExtension
    from strawberry.extensions.tracing.utils import should_skip_tracing

    class OperationSpans(OpenTelemetryExtension):
        def on_operation(self) -> Generator[None, None, None]:
            span = self._tracer.start_span("GraphQL Query", kind=SpanKind.SERVER)
            span.set_attribute("component", "graphql")
            self._span_holder[LifecycleStep.OPERATION] = span
            yield
            name = self.execution_context.operation_name
            if name is not None and _NAME.fullmatch(name):
                span.update_name(f"GraphQL Query: {name}")
            span.end()

        def add_tags(self, span: Any, info: Any, kwargs: Any) -> None:
            super().add_tags(span, info, {})  # the field's type and path, no argument

        async def resolve(
            self, _next: Callable[..., Any], root: Any, info: Any, *args: str, **kwargs: Any
        ) -> Any:
            if should_skip_tracing(_next, info):
                result = _next(root, info, *args, **kwargs)
                return await result if isawaitable(result) else result
            operation = trace.set_span_in_context(self._span_holder[LifecycleStep.OPERATION])
            with self._tracer.start_as_current_span(
                f"GraphQL Resolving: {info.field_name}",
                context=operation,
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                self.add_tags(span, info, kwargs)
                try:
                    result = _next(root, info, *args, **kwargs)
                    return await result if isawaitable(result) else result
                except Exception as error:
                    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                    raise

    return OperationSpans
