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
from collections.abc import Callable, Generator, Mapping
from inspect import isawaitable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from domain.log_context import told_operation
from settings import ConfigurationError

_started = False
_QUERY = "causa.query_string"  # the request's query string, kept from its span


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
        provider.add_span_processor(SimpleSpanProcessor(scrubbed(ConsoleSpanExporter())))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(scrubbed(OTLPSpanExporter())))
    trace.set_tracer_provider(provider)
    _started = True


def scrubbed(exporter: Any) -> Any:
    """``exporter``, given each span without an error's message: no status description, and
    of an exception event its type only. The libraries' instrumentation fill both from the
    exception, whose message may quote a value (PostgreSQL's quotes the one it refused);
    the error's type is the span's ``error.type`` or its exception event's."""
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
    from opentelemetry.trace import Status

    def clean(span: ReadableSpan) -> ReadableSpan:
        kept = [
            Event(
                event.name,
                {"exception.type": (event.attributes or {}).get("exception.type", "")},
                event.timestamp,
            )
            if event.name == "exception"
            else event
            for event in span.events
        ]
        return ReadableSpan(
            name=span.name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=span.attributes,
            events=kept,
            links=span.links,
            kind=span.kind,
            status=Status(span.status.status_code),
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    class Scrubbed(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            result: SpanExportResult = exporter.export([clean(span) for span in spans])
            return result

        def shutdown(self) -> None:
            exporter.shutdown()

        def force_flush(self, timeout_millis: int = 30_000) -> bool:
            flushed: bool = exporter.force_flush(timeout_millis)
            return flushed

    return Scrubbed()


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
    """A span for each SQL statement of ``engine`` (an AsyncEngine), and of each engine an
    app of this process makes. The instrumentation's engine tracer is used alone: its
    instrumentor would patch SQLAlchemy's functions for the whole process, and trace only
    the first engine given to it. (Its declared range stops short of SQLAlchemy 2.1, whose
    events it uses unchanged.)"""
    from opentelemetry import metrics, trace
    from opentelemetry.instrumentation.sqlalchemy import __name__ as scope
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.semconv.metrics import MetricInstruments

    usage = metrics.get_meter(scope).create_up_down_counter(
        MetricInstruments.DB_CLIENT_CONNECTIONS_USAGE, unit="connections"
    )
    EngineTracer(trace.get_tracer(scope), engine.sync_engine, usage)  # type: ignore[no-untyped-call]


def graphql_extension() -> Any:
    """strawberry's extension: spans for an executed operation's steps and resolvers, with
    nothing a client sent in them: not the query's text, not a resolver's arguments, not an
    error's message (which may quote a value), and the operation's name as the log line
    tells it (domain/log_context.py: told_operation)."""
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
            viewer = self.execution_context.context.viewer
            name = told_operation(self.execution_context.operation_name, staff=viewer.is_staff)
            if name is not None:
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
                    span.set_status(Status(StatusCode.ERROR))
                    span.set_attribute("error.type", type(error).__name__)
                    raise

    return OperationSpans
