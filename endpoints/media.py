"""The media types of GraphQL over HTTP: which one an answer takes, from the request's Accept.

``application/graphql-response+json`` lets a client trust a 4xx answer as a GraphQL one: a
document that does not parse or validate is a 400 without ``data``. ``application/json``
is the legacy type, answered 200 to any well-formed request; it stays the type when the
Accept header is missing, is ``*/*`` or ``application/*``, or lists it first (the spec's
legacy watershed: clients that never heard of the new type keep working unchanged).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
SUPPORTED = (JSON, GRAPHQL_RESPONSE)  # in the order a tie is settled
CONTENT_TYPES = {JSON: JSON, GRAPHQL_RESPONSE: f"{GRAPHQL_RESPONSE}; charset=utf-8"}


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None when the Accept header allows neither (406).

    RFC 9110 §12.5.1: each type takes the quality of the most specific range that
    matches it; the highest quality wins, then the more specific range, then the one
    listed first; a quality of 0 refuses the type.
    """
    if accept is None or not accept.strip():
        return JSON
    ranked: dict[str, tuple[float, int, int]] = {}
    for position, item in enumerate(accept.split(",")):
        found = _media_range(item)
        if found is None:
            continue
        kind, quality = found
        for media in SUPPORTED:
            specificity = _specificity(kind, media)
            held = ranked.get(media)
            if specificity and (held is None or specificity > held[1]):
                ranked[media] = (quality, specificity, -position)
    acceptable = [(rank, -SUPPORTED.index(media), media) for media, rank in ranked.items()]
    acceptable = [entry for entry in acceptable if entry[0][0] > 0]
    return max(acceptable)[2] if acceptable else None


def _media_range(item: str) -> tuple[str, float] | None:
    """A range of the Accept header and its quality, or None for one that cannot be read."""
    kind, *parameters = (part.strip() for part in item.split(";"))
    if kind.count("/") != 1:
        return None
    quality = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            if not 0 <= quality <= 1:
                return None
    return kind.lower(), quality


def _specificity(kind: str, media: str) -> int:
    """3 when ``kind`` names ``media``, 2 for its ``type/*``, 1 for ``*/*``, else 0."""
    if kind == media:
        return 3
    if kind == "*/*":
        return 1
    return 2 if kind.endswith("/*") and media.startswith(kind[:-1]) else 0


def is_json(content_type: str) -> bool:
    """Whether a request's Content-Type is JSON in UTF-8 (the charset may be left out)."""
    kind, *parameters = (part.strip() for part in content_type.split(";"))
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() != "utf-8":
            return False
    return kind.lower() == JSON


def is_request_error(result: ExecutionResult) -> bool:
    """Whether the operation never ran: the document did not parse or validate, or its
    variables could not be coerced. A field error that nulls ``data`` still ran, and its
    errors carry the field's path."""
    if isinstance(result, PreExecutionError):
        return True
    errors: list[GraphQLError] = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def without_data(formatted: dict[str, Any]) -> dict[str, Any]:
    """A request error's answer in application/graphql-response+json: no ``data`` entry."""
    return {key: value for key, value in formatted.items() if key != "data"}
