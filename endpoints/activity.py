"""A client's request recorded in the access log (db/activity.py).

A read (a GraphQL answer, a download) is handed to the process's recorder, which writes
it with others a moment later: the request does no database work for it, so the log can
neither delay nor fail the read. A sign-in is recorded in the transaction that opens
its session: the session exists exactly when its record does.

The address is the connection's: behind a reverse proxy listed in
``CAUSA_TRUSTED_PROXIES``, uvicorn has made it the client's from X-Forwarded-For
(cli.py ``forwarded_headers``), as for the sign-in throttle.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

from db import activity
from db.activity import Visit, Visitor
from db.session import Db
from db.tables import PortalAction
from domain.viewer import Role, Viewer


def visitor(
    request: Request[Any],
    *,
    office_id: uuid.UUID,
    account_id: uuid.UUID,
    person_id: uuid.UUID | None = None,
) -> Visitor:
    return Visitor(
        office_id=office_id,
        account_id=account_id,
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        person_id=person_id,
    )


async def record_sign_in(
    db: Db, request: Request[Any], *, office_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    """Record a client's sign-in in ``db``, the transaction acting for the account."""
    await activity.insert_visits(
        db,
        visitor=visitor(request, office_id=office_id, account_id=account_id),
        visits=[Visit(PortalAction.SIGN_IN)],
    )


def record_read(request: Request[Any], viewer: Viewer, visits: Sequence[Visit]) -> None:
    """Record what a client read (staff's reads are not recorded)."""
    if viewer.role is not Role.CLIENT or not visits:
        return
    who = visitor(
        request,
        office_id=viewer.office_id,
        account_id=viewer.account_id,
        person_id=viewer.person_id,
    )
    request.state["access_log"].add(who, visits)
