"""A client's request recorded in the access log (db/activity.py).

A read (a GraphQL answer, a download) is recorded once its answer has gone: a task run
after the response is sent, which can neither delay nor fail it (an error is logged and
the record is lost). A sign-in is recorded in the transaction that opens its session:
the session exists exactly when its record does.

The address is the connection's: behind a reverse proxy listed in
``CAUSA_TRUSTED_PROXIES``, uvicorn has made it the client's from X-Forwarded-For
(cli.py ``forwarded_headers``), as for the sign-in throttle.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.background import BackgroundTask, BackgroundTasks
from starlette.requests import Request
from starlette.responses import Response

from db import activity
from db.activity import Visit, Visitor
from db.session import Db
from db.tables import PortalAction
from domain.viewer import Role, Viewer

logger = logging.getLogger("causa.activity")


def visitor(request: Request[Any], *, office_id: uuid.UUID, account_id: uuid.UUID) -> Visitor:
    return Visitor(
        office_id=office_id,
        account_id=account_id,
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
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


def record_after(
    response: Response, request: Request[Any], viewer: Viewer, visits: Sequence[Visit]
) -> None:
    """Record a client's ``visits`` once ``response`` is sent (staff are not recorded)."""
    if viewer.role is not Role.CLIENT or not visits:
        return
    who = visitor(request, office_id=viewer.office_id, account_id=viewer.account_id)
    task = BackgroundTask(_record, request.state["engine"], who, tuple(visits))
    if response.background is None:
        response.background = task
    else:  # before what the response already had to do (its e-mails), which may raise
        response.background = BackgroundTasks([task, response.background])


async def _record(engine: AsyncEngine, who: Visitor, visits: tuple[Visit, ...]) -> None:
    try:
        await activity.record(engine, visitor=who, visits=visits)
    except Exception:
        logger.exception(
            "the access log lost %s of account %s",
            ", ".join(visit.action.value for visit in visits),
            who.account_id,
        )
