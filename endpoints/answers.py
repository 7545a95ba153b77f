"""Reads answered by one statement (schema/compiled.py), and the answer cache.

A query whose plan compiles is answered in four round trips: the session check (which
also reads the office's data version), then BEGIN with the viewer's scope, the
statement that builds the ``data`` JSON, COMMIT; an answer found stored takes the
check alone. Anything else (a mutation, introspection, an argument the executor would
refuse, a body it would refuse) goes to the executor.

A repeated read by the same session (same document, variables and role) is answered
with the bytes stored for it while the office's data version is the one they were made
at: every write to what a read can show bumps that version in its own transaction
(migration 0007), so a write through any replica makes the next read anywhere fresh,
and the session check still runs first, so a revocation stops the very next request.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from auth.links import DownloadLinks
from auth.tokens import AccessClaims
from db import accounts
from db import answers as database
from db.activity import Visit
from db.answers import checked
from db.tables import PortalAction
from domain import log_context
from domain.viewer import STAFF_ROLES, Role, Viewer
from endpoints.activity import record_read
from schema.compiled import Plan
from schema.reads import Reads, Stored

logger = logging.getLogger("causa.reads")


class SessionEnded(Exception):
    """The token's session or account is no longer live."""


@dataclass(frozen=True, slots=True)
class Operation:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


def operation(body: bytes) -> Operation | None:
    """The body as a plain GraphQL request, or None for anything the executor should see
    (and answer, refusals included)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or not value.keys() <= {"query", "variables", "operationName"}:
        return None
    query, variables, name = value.get("query"), value.get("variables"), value.get("operationName")
    if not isinstance(query, str) or not isinstance(variables, dict | None):
        return None
    if not isinstance(name, str | None):
        return None
    return Operation(query, variables, name)


async def answer(
    request: Request[Any], reads: Reads, claims: AccessClaims, body: bytes, content_type: str
) -> Response | None:
    """The answer of the compiled path, or None when the executor must give it.

    Only an operation that ran gets here, so its status is 200 whichever GraphQL media
    type the client accepts; ``content_type`` names the one it does.
    """
    found = operation(body)
    if found is None:
        return None
    plan = reads.plan(claims.role, found.query, found.operation_name)
    if plan is None:
        return None
    log_context.bind_operation(found.operation_name, staff=claims.role in STAFF_ROLES)
    key = (
        claims.session_id,
        claims.role,
        found.query,
        found.operation_name,
        json.dumps(found.variables, sort_keys=True),
    )
    cache = reads.cache
    # A stored answer's document and variables were read once already: no need again.
    stored_before = cache is not None and key in cache
    values = None if stored_before else reads.values(plan, found.variables, claims.role)
    if values is None and not stored_before:
        return None
    engine = request.state["engine"]
    parameters = accounts.session_check_parameters(claims)
    async with checked(engine, accounts.SESSION_CHECK, parameters) as (connection, row):
        if row is None:
            raise SessionEnded
        viewer = accounts.viewer_from_row(row, claims)
        if viewer.role != claims.role:  # changed since the token was issued
            return None
        version = row["data_version"]
        if cache is not None and (stored := cache.entry(key, version)) is not None:
            reads.counts["cached"] += 1
            response = Response(stored.body, media_type=content_type)
            record_read(request, viewer, stored.visits)  # read again: recorded again
            return response
        if values is None:
            values = reads.values(plan, found.variables, claims.role)
            if values is None:
                return None
        values |= {"viewer_email": viewer.email, "viewer_role": viewer.role.value}
        try:
            data = await database.answer(connection, viewer, plan.statement, values)
        except database.TooComplex as error:
            logger.warning(
                "a read compiled past PostgreSQL's limits goes to the executor: %s", error
            )
            reads.forget(claims.role, found.query, found.operation_name)
            return None
    links: DownloadLinks = request.state["downloads"]
    body_out = b'{"data":' + plan.signed(data, _signer(links, viewer)).encode() + b"}"
    reads.counts["compiled"] += 1
    visits = _visits(plan, values, data) if viewer.role is Role.CLIENT else ()
    if cache is not None:
        lifetime = links.ttl / 2 if plan.downloads else float("inf")
        cache.put(key, Stored(version, body_out, time.monotonic() + lifetime, visits))
    response = Response(body_out, media_type=content_type)
    record_read(request, viewer, visits)
    return response


def _visits(plan: Plan, values: dict[str, Any], data: str) -> tuple[Visit, ...]:
    """What the access log records of this read: a list of folders for ``cases``, and a
    folder read for each ``case(id:)`` that answered one (not null)."""
    visits: list[Visit] = []
    answered: dict[str, Any] | None = None
    for read in plan.reads:
        if read.field == "cases":
            visits.append(Visit(PortalAction.CASE_LIST))
            continue
        if answered is None:
            answered = json.loads(data)
        if answered.get(read.key) is not None:
            visits.append(Visit(PortalAction.CASE_VIEW, case_id=values[f"{read.binding}_id"]))
    return tuple(dict.fromkeys(visits))  # each once, in the order asked


def _signer(links: DownloadLinks, viewer: Viewer) -> Callable[[str], str]:
    return lambda document_id: links.url(viewer, uuid.UUID(document_id))
