"""OpenTelemetry traces: off unless the standard variables ask for them.

``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_TRACES_EXPORTER=otlp``) exports spans over OTLP
(HTTP/protobuf, every other ``OTEL_EXPORTER_OTLP_*`` variable honoured);
``OTEL_TRACES_EXPORTER=console`` prints them to standard output, to look at. Each request
is a span (the ASGI instrumentation), each SQL statement one inside it (SQLAlchemy's), and
an operation the GraphQL executor runs has its parse, validation and resolvers (strawberry's
extension). Off, nothing of OpenTelemetry is imported and a request costs nothing more.

The packages are the ``otel`` extra: ``pip install 'causa[otel]'``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from settings import ConfigurationError

_started = False


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
    """The ASGI middleware that makes a span of each request."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware


def trace_engine(engine: Any) -> None:
    """A span for each SQL statement of ``engine`` (an AsyncEngine)."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # (its declared range stops short of SQLAlchemy 2.1, whose events it uses unchanged)
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, skip_dep_check=True)


def graphql_extension() -> Any:
    """strawberry's extension: spans for an executed operation's steps and resolvers."""
    from strawberry.extensions.tracing.opentelemetry import OpenTelemetryExtension

    return OpenTelemetryExtension
