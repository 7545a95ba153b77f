"""One connection and one transaction per request, scoped to the viewer."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import Executable, RowMapping, exc
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from domain.viewer import Role, Viewer
from mail.letters import Letter

T = TypeVar("T")
logger = logging.getLogger("causa")

# The roles a viewer's transaction switches to (migration 0007).
STAFF_ROLE = "causa_staff"
CLIENT_ROLE = "causa_client"


class ConnectionLost(ConnectionError):
    """The database connection was lost before the transaction could end."""


class TransactionEnded(RuntimeError):
    """A statement came after its transaction had ended (a cancelled field's straggler)."""


class Db:
    """The request's transaction.

    DataLoaders of one request run concurrently while a connection runs one
    statement at a time, so statements queue on a lock. A statement, once sent, is
    never cancelled: when GraphQL gives up on a field (a sibling failed), the field's
    statement still runs to its end, so the connection and the transaction stay sound.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        self._ended = False
        # Outside the database: the e-mails to send once this commits (office id, message
        # id, the e-mail whole), what to undo should it not (a stored file), and what to
        # finish once it has (a removed document's file).
        self.queued_mail: list[tuple[uuid.UUID, uuid.UUID, Letter]] = []
        self.on_rollback: list[Callable[[], Awaitable[None]]] = []
        self.after_commit: list[Callable[[], Awaitable[None]]] = []

    async def execute(self, statement: Executable) -> CursorResult[Any]:
        return await self._alone(self._connection.execute, statement)

    async def driver_row(self, sql: str, *parameters: Any) -> RowMapping | None:
        """The first row of plain SQL with positional parameters (``$1``, ``$2``…)."""
        result = await self._alone(self._connection.exec_driver_sql, sql, parameters)
        return result.mappings().first()

    async def _alone(self, operation: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``operation`` on the connection, alone, to its end even if the caller
        is cancelled meanwhile."""
        await self._lock.acquire()  # a caller cancelled while waiting here sent nothing
        if self._ended:
            self._lock.release()
            raise TransactionEnded("the request's transaction has ended")
        running = asyncio.ensure_future(operation(*args))
        running.add_done_callback(self._finished)
        return await asyncio.shield(running)

    def _finished(self, running: asyncio.Future[Any]) -> None:
        self._lock.release()
        if not running.cancelled():
            running.exception()  # retrieved here too, for a caller that stopped waiting

    async def end(self) -> None:
        """Wait for the statement in flight, and refuse any later one."""
        async with self._lock:
            self._ended = True

    async def rows(self, statement: Executable) -> Sequence[RowMapping]:
        return (await self.execute(statement)).mappings().all()

    async def row(self, statement: Executable) -> RowMapping | None:
        return (await self.execute(statement)).mappings().first()

    async def scalar(self, statement: Executable) -> Any:
        return (await self.execute(statement)).scalar()

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[Savepoint]:
        """A savepoint: what runs inside lands whole or not at all.

        It is rolled back when the block raises, or when it calls ``discard()``; the
        ``on_rollback`` steps registered inside it then run too.
        """
        savepoint = Savepoint(await self._alone(self._connection.begin_nested().start))
        marks = len(self.on_rollback), len(self.queued_mail), len(self.after_commit)
        try:
            yield savepoint
        except BaseException:
            await self._roll_back(savepoint, *marks)
            raise
        if savepoint.discarded:
            await self._roll_back(savepoint, *marks)
        else:
            await self._alone(savepoint.transaction.commit)

    async def _roll_back(
        self, savepoint: Savepoint, undo_from: int, mail_from: int, finish_from: int
    ) -> None:
        await self._alone(savepoint.transaction.rollback)
        del self.queued_mail[mail_from:]  # their outbox rows are gone with the savepoint
        del self.after_commit[finish_from:]  # and the rows they were to finish for
        steps, self.on_rollback[undo_from:] = self.on_rollback[undo_from:], []
        for step in steps:
            await step()


@dataclass
class Savepoint:
    transaction: AsyncTransaction
    discarded: bool = False

    def discard(self) -> None:
        """Roll back what the block did, once it ends."""
        self.discarded = True


def viewer_role(viewer: Viewer) -> str:
    """The database role whose policies bind the viewer's transactions (migration 0007)."""
    return CLIENT_ROLE if viewer.role is Role.CLIENT else STAFF_ROLE


def scope_settings(viewer: Viewer) -> dict[str, str]:
    """The transaction settings that row-level security reads (migration 0003)."""
    return {
        "causa.office_id": str(viewer.office_id),
        "causa.account_id": str(viewer.account_id),
        "causa.role": viewer.role.value,
        "causa.person_id": str(viewer.person_id or ""),
    }


async def act_as(db: Db, viewer: Viewer) -> None:
    """Scope the rest of the transaction to ``viewer`` for row-level security.

    A request does this as it checks the viewer's session (db/accounts.py:
    checked_viewer); work done outside a request (the demo, the tests) calls this. The
    transaction switches to the viewer's role when row-level security binds it (the
    runtime role); the owner, whom it does not bind, stays the owner.
    """
    await db.execute(
        sa.select(
            *(
                sa.func.set_config(name, value, True)
                for name, value in scope_settings(viewer).items()
            ),
            sa.case(
                (
                    sa.func.row_security_active('"case"'),
                    sa.func.set_config("role", viewer_role(viewer), True),
                )
            ),
        )
    )


def begin_read_only_as(viewer: Viewer) -> str:
    """A read-only transaction scoped to ``viewer`` as ``act_as`` scopes one, begun in
    one simple-query message (its values are ids and a role, checked before)."""
    settings = scope_settings(viewer)
    for value in settings.values():
        if not _SAFE_SETTING.fullmatch(value):
            raise ValueError(f"not a setting's value: {value!r}")
    configs = ", ".join(
        f"set_config('{name}', '{value}', true)" for name, value in settings.items()
    )
    # A compiled statement's generic plan from its first run: the planner's custom plans
    # for a staff page of 50 cases took the office's every case (the staff policy looks
    # selective to it), for the five runs before it would switch.
    return (
        f"BEGIN READ ONLY; SELECT {configs}; SET LOCAL ROLE {viewer_role(viewer)}; "
        "SET LOCAL plan_cache_mode = force_generic_plan"
    )


_SAFE_SETTING = re.compile(r"[0-9a-fA-F-]*|[A-Z]+")


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[Db]:
    """Commit when the block ends normally, roll back when it raises.

    When it does not commit, the steps in ``on_rollback`` undo what was done outside;
    when it has committed, the steps in ``after_commit`` run, each on its own: one that
    fails is logged, and the committed work stands.
    """
    async with engine.connect() as connection:
        db = Db(connection)
        try:
            try:
                async with connection.begin():
                    try:
                        yield db
                    finally:
                        await db.end()
            except exc.PendingRollbackError as error:
                if connection.invalidated:  # the server went away during the request
                    raise ConnectionLost("the connection to the database was lost") from error
                raise
        except BaseException:
            for step in db.on_rollback:
                await step()
            raise
    for step in db.after_commit:
        try:
            await step()
        except Exception:
            logger.exception("a step after a commit failed")


@asynccontextmanager
async def checked_transaction(
    engine: AsyncEngine, check: Callable[[Db], Awaitable[T]]
) -> AsyncIterator[tuple[Db, T]]:
    """A ``transaction``, whose first statement ``check`` runs once more, on a fresh
    connection, when the pooled connection it was given turns out dead.

    The pool does not test a connection as it hands it out (that would cost a round
    trip per request): a connection the server closed meanwhile is found out by the
    first statement, and SQLAlchemy invalidates it. Nothing has been done yet then, so
    the request starts over. A second failure is the database's own, and is raised.
    """
    for attempt in range(2):
        checked = False
        try:
            async with transaction(engine) as db:
                result = await check(db)
                checked = True
                yield db, result
            return
        except exc.DBAPIError as error:
            if checked or attempt or not error.connection_invalidated:
                raise
