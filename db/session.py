"""One connection and one transaction per request, scoped to the viewer."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Executable, RowMapping
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.mail import Letter
from auth.viewer import Viewer


class Db:
    """The request's transaction.

    DataLoaders of one request run concurrently while a connection runs one
    statement at a time, so statements queue on a lock.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        # Outside the database: the e-mails to send once this commits (office id, message
        # id, the e-mail whole), and what to undo should it not (a stored file).
        self.queued_mail: list[tuple[uuid.UUID, uuid.UUID, Letter]] = []
        self.on_rollback: list[Callable[[], Awaitable[None]]] = []

    async def execute(self, statement: Executable) -> CursorResult[Any]:
        async with self._lock:
            return await self._connection.execute(statement)

    async def rows(self, statement: Executable) -> Sequence[RowMapping]:
        return (await self.execute(statement)).mappings().all()

    async def row(self, statement: Executable) -> RowMapping | None:
        return (await self.execute(statement)).mappings().first()

    async def scalar(self, statement: Executable) -> Any:
        return (await self.execute(statement)).scalar()

    @asynccontextmanager
    async def atomic(self) -> AsyncIterator[None]:
        """A savepoint: what runs inside lands whole or not at all."""
        async with self._lock:
            savepoint = await self._connection.begin_nested()
        try:
            yield
        except BaseException:
            async with self._lock:
                await savepoint.rollback()
            raise
        async with self._lock:
            await savepoint.commit()


async def act_as(db: Db, viewer: Viewer) -> None:
    """Scope the rest of the transaction to ``viewer`` for row-level security.

    A request does this as it checks the viewer's session (db/accounts.py:
    active_viewer); work done outside a request (the demo, the tests) calls this.
    """
    await db.execute(
        sa.select(
            sa.func.set_config("causa.office_id", str(viewer.office_id), True),
            sa.func.set_config("causa.account_id", str(viewer.account_id), True),
            sa.func.set_config("causa.role", viewer.role.value, True),
            sa.func.set_config("causa.person_id", str(viewer.person_id or ""), True),
        )
    )


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[Db]:
    """Commit when the block ends normally, roll back when it raises.

    When it does not commit, the steps in ``on_rollback`` undo what was done outside.
    """
    async with engine.connect() as connection:
        db = Db(connection)
        try:
            async with connection.begin():
                yield db
        except BaseException:
            for step in db.on_rollback:
                await step()
            raise
