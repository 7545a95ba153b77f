"""What the lines logged during a request or a job say about it: the request's id, the
office, the account and its role, the GraphQL operation, the job.

Each field is bound where it becomes known (the request id by the outermost middleware,
the viewer once the token is read, the operation once it is parsed) and read by the log
formatter (logs.py) for every line logged meanwhile, Causa's own or a library's. Ids and
names only: never an e-mail, a token or a value a client sent.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

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


def current() -> dict[str, str]:
    return _FIELDS.get() or {}
