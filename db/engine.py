"""The engine: one per process, created in the application's lifespan."""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from db.session import TransactionEnded

# What a request may meet when the database is away, slow or restarting.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    exc.DBAPIError,  # from the server or the driver
    asyncpg.PostgresError,  # the same, on the compiled read path (db/answers.py)
    asyncpg.InterfaceError,
    exc.TimeoutError,  # no pooled connection came free in time
    OSError,  # refused, reset, timed out (TimeoutError is an OSError)
    TransactionEnded,
)
RETRY_AFTER = 5  # seconds, in the 503 answers given meanwhile

# SQLSTATE classes of a server that is away, restarting, overloaded or out of time:
# 08 connection exception, 53 insufficient resources, 57 operator intervention
# (57014 statement timeout, 57P01 shutdown, 57P03 starting up), 58 system error.
_UNAVAILABLE_CLASSES = frozenset({"08", "53", "57", "58"})


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot serve now, rather than a bug."""
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate is None:  # the driver's own: a closed or broken connection
            return isinstance(error, exc.InterfaceError | exc.OperationalError)
        return str(sqlstate)[:2] in _UNAVAILABLE_CLASSES
    if isinstance(error, asyncpg.PostgresError):
        return str(error.sqlstate)[:2] in _UNAVAILABLE_CLASSES
    return isinstance(error, DATABASE_ERRORS)


def async_url(url: str) -> str:
    """Accept the usual ``postgres://`` spellings and route them through asyncpg."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in {"postgres", "postgresql"}:
        raise ValueError(f"Causa needs PostgreSQL, not {parsed.get_backend_name()!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    pool_timeout: float = 30,
    statement_timeout: float | None = None,
    idle_in_transaction_timeout: float | None = None,
) -> AsyncEngine:
    """An engine of ``pool_size`` connections kept, and up to ``max_overflow`` more opened
    at a peak (None: as many again), whose sessions stop a statement, or an idle open
    transaction, after the given seconds (None: the server's default)."""
    server_settings = {"application_name": "causa"}
    for name, seconds in (
        ("statement_timeout", statement_timeout),
        ("idle_in_transaction_session_timeout", idle_in_transaction_timeout),
    ):
        if seconds is not None:
            server_settings[name] = str(round(seconds * 1000))
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_timeout=pool_timeout,
        # No test of a connection as the pool hands it out: the request's first
        # statement finds a dead one, and is tried again (db/session.py).
        pool_pre_ping=False,
        connect_args={"server_settings": server_settings},
        # A statement's values (e-mails, digests of tokens) stay out of its error's
        # message, and so out of the log; the statement itself is kept.
        hide_parameters=True,
    )
