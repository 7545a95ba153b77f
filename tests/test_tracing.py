"""OpenTelemetry traces (tracing.py): off unless asked for; printed by the console
exporter, a request's span and its SQL statements' within it."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import tracing
from settings import ConfigurationError
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
