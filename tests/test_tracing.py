"""OpenTelemetry traces (tracing.py): off unless asked for; printed by the console
exporter, a request's span and its SQL statements' within it."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy.exc import DBAPIError
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

import tracing
from db.engine import create_engine
from settings import ConfigurationError, Settings
from tests.factories import Staff
from tests.serving import http_client, serving
from tests.test_logs import serve_and_read


@pytest.mark.parametrize(
    ("environ", "kind"),
    [
        ({}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "console"}, "console"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, None),
    ],
)
def test_traces_are_off_unless_the_standard_variables_ask(
    environ: dict[str, str], kind: str | None
) -> None:
    assert tracing.exporter(environ) == kind


def test_an_exporter_causa_has_not_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="Causa exports traces with otlp or console"):
        tracing.exporter({"OTEL_TRACES_EXPORTER": "zipkin"})


def spans(printed: str) -> list[dict[str, Any]]:
    """The spans the console exporter printed (one JSON object each, over several lines)."""
    decoder = json.JSONDecoder()
    found, at = [], 0
    while (start := printed.find("{", at)) != -1:
        span, at = decoder.raw_decode(printed, start)
        found.append(span)
    return found


def test_a_request_is_traced_with_its_sql_by_the_console_exporter(database_url: str) -> None:
    printed, _ = serve_and_read(database_url, OTEL_TRACES_EXPORTER="console")
    printed = re.sub(r"^GraphiQL: .*\n", "", printed)
    traced = spans(printed)
    names = [span["name"] for span in traced]
    # /readyz (the server's start, which asks the database) and the /graphql request
    assert "POST /graphql" in names
    database = [span for span in traced if span["attributes"].get("db.system") == "postgresql"]
    assert database, names
    request = next(span for span in traced if span["name"] == "GET /readyz")
    trace_id = request["context"]["trace_id"]
    assert any(span["context"]["trace_id"] == trace_id for span in database)
    assert all(span["resource"]["attributes"]["service.name"] == "causa" for span in traced)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """Traces on for the apps made meanwhile, their spans kept in memory."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(tracing.scrubbed(exporter)))
    monkeypatch.setattr(tracing, "_started", True)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    yield exporter
    exporter.shutdown()


def written(exporter: InMemorySpanExporter) -> str:
    """Every span's name, attributes, status and events, as exported."""
    return json.dumps(
        [
            [
                span.name,
                dict(span.attributes or {}),
                span.status.description,
                [dict(event.attributes or {}) for event in span.events],
            ]
            for span in exporter.get_finished_spans()
        ],
        default=str,
    )


CREATE_PERSON = """
mutation Add($input: PersonInput!) {
  createPerson(input: $input) { person { id } }
}
"""
LITERAL = 'mutation Lit { createPerson(input: {name: "Bruna Lima"}) { person { id } } }'


async def test_spans_hold_no_query_text_arguments_or_error_message(
    settings: Settings, office: Staff, recorded: InMemorySpanExporter
) -> None:
    email, tax_id = "carla.souza@example.com", "52998224725"
    person = {"name": "Carla Souza", "email": email, "taxId": tax_id}
    async with serving(settings) as served, http_client(served) as client:
        auth = {"Authorization": f"Bearer {office.token}"}
        for sent in (
            {"query": CREATE_PERSON, "variables": {"input": person}},
            {"query": LITERAL},
            {"query": CREATE_PERSON, "variables": {"input": {"name": "Ana", "email": "ana-at"}}},
        ):
            assert (await client.post("/graphql", json=sent, headers=auth)).status_code == 200

    spans = recorded.get_finished_spans()
    names = {span.name for span in spans}
    assert {"POST /graphql", "GraphQL Query: Add", "GraphQL Resolving: createPerson"} <= names
    failed = [span for span in spans if span.status.status_code is StatusCode.ERROR]
    assert [(span.attributes or {}).get("error.type") for span in failed] == ["InvalidValue"]
    assert all(span.status.description is None for span in spans)
    text = written(recorded)
    for value in (email, tax_id, "Carla Souza", "Bruna Lima", "createPerson(input", "ana-at"):
        assert value not in text


async def test_a_request_span_holds_no_query_string(recorded: InMemorySpanExporter) -> None:
    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(scope["query_string"].decode())(scope, receive, send)

    transport = httpx.ASGITransport(app=tracing.request_spans()(echo))
    async with httpx.AsyncClient(transport=transport, base_url="http://causa.test") as client:
        answered = await client.get(f"/documents/{uuid.uuid4()}?token=s3cr3t-link-token")
    assert answered.text == "token=s3cr3t-link-token"  # the app still reads it
    (span,) = [s for s in recorded.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert span.name.startswith("GET /documents/")
    assert span.attributes is not None
    assert "http.url" in span.attributes
    assert "s3cr3t-link-token" not in written(recorded)


async def test_a_failed_statements_span_names_no_value(
    database_url: str, recorded: InMemorySpanExporter
) -> None:
    engine = create_engine(database_url, pool_size=1)
    tracing.trace_engine(engine)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError):
                await connection.execute(
                    sa.text("SELECT CAST(CAST(:email AS text) AS int)"), {"email": "ana@x.test"}
                )
    finally:
        await engine.dispose()

    (span,) = [s for s in recorded.get_finished_spans() if s.status.status_code is StatusCode.ERROR]
    assert (span.attributes or {}).get("db.system") == "postgresql"
    assert "ana@x.test" not in written(recorded)
