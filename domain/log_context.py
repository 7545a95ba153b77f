"""What the lines logged during a request or a job say about it: the request's id, the
office, the account and its role, the GraphQL operation, the job.

Each field is bound where it becomes known (the request id by the outermost middleware,
the viewer once the token is read, the operation once it is parsed) and read by the log
formatter (logs.py) for every line logged meanwhile, Causa's own or a library's. Ids and
names only: never an e-mail, a token or a value a client sent.
"""

from __future__ import annotations

import re
from contextvars import ContextVar, Token

# The names of the operations the portal's own page sends (static/portal/portal.js; a test
# keeps them in step). Any other name from a client is logged and counted as "other":
# what a client writes reaches no log line or metric label, and cannot crowd staff's
# operation names out of the metrics' limited set.
PORTAL_OPERATIONS = frozenset({"Documents", "Folder", "Folders", "Movements"})
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")  # a GraphQL name, of a sane length

_FIELDS: ContextVar[dict[str, str] | None] = ContextVar("causa_log_fields", default=None)


def begin(**fields: str) -> Token[dict[str, str] | None]:
    """A new set of fields for the request or job starting in this context."""
    return _FIELDS.set(dict(fields))


def end(token: Token[dict[str, str] | None]) -> None:
    _FIELDS.reset(token)


def bind(**fields: str | None) -> None:
    """Adds ``fields`` (those not None) to the running request's or job's."""
    current = _FIELDS.get()
    if current is not None:
        current.update({name: value for name, value in fields.items() if value is not None})


def told_operation(name: str | None, *, staff: bool) -> str | None:
    """The GraphQL operation's name, as far as it may be told (see PORTAL_OPERATIONS)."""
    if name is None or not _NAME.fullmatch(name):
        return None
    return name if staff or name in PORTAL_OPERATIONS else "other"


def bind_operation(name: str | None, *, staff: bool) -> None:
    bind(operation=told_operation(name, staff=staff))


def current() -> dict[str, str]:
    return _FIELDS.get() or {}
