"""The request's transaction when the server goes away under it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import unreachable
from db.session import ConnectionLost, begin_read_only_as, transaction
from domain.viewer import Role, Viewer
from settings import Settings
from tests.factories import Staff
from tests.serving import Served, http_client, serving


async def terminate(owner_engine: AsyncEngine, pid: int) -> None:
    async with owner_engine.connect() as connection:
        await connection.execute(sa.select(sa.func.pg_terminate_backend(pid)))


async def lose_the_connection_in_a_savepoint(
    engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    async with transaction(engine) as db:
        pid = await db.scalar(sa.select(sa.func.pg_backend_pid()))
        with contextlib.suppress(DBAPIError):  # as when GraphQL records a field's error
            async with db.atomic():
                await terminate(owner_engine, pid)


async def test_a_connection_lost_inside_a_savepoint_ends_as_lost_not_as_a_bug(
    engine: AsyncEngine, owner_engine: AsyncEngine
) -> None:
    with pytest.raises(ConnectionLost) as lost:
        await lose_the_connection_in_a_savepoint(engine, owner_engine)
    assert unreachable(lost.value)  # so every endpoint answers 503, never 500


async def test_the_pool_serves_again_after_a_lost_connection(engine: AsyncEngine) -> None:
    async with transaction(engine) as db:
        assert await db.scalar(sa.select(sa.literal(1))) == 1


ME = "{ viewer { email } }"


@pytest.fixture(params=["compiled", "executor"])
async def app(
    request: pytest.FixtureRequest, served: Served, settings: Settings
) -> AsyncIterator[Served]:
    """The session's app (reads compiled), or one whose every read is the executor's."""
    if request.param == "compiled":
        yield served
        return
    async with serving(settings.model_copy(update={"compiled_reads": False})) as executor:
        yield executor


async def test_a_request_on_a_pooled_connection_the_server_closed_still_answers(
    app: Served, served: Served, owner_engine: AsyncEngine, office: Staff
) -> None:
    async with http_client(app) as client:
        # given pooled connections (not tested as the pool hands them out), closed by the
        # server
        first = await client.post("/graphql", json={"query": ME}, headers=office.headers)
        assert first.status_code == 200
        async with owner_engine.connect() as connection:
            ended = await connection.scalar(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = 'causa' AND usename <> current_user"
                )
            )
        assert ended is not None
        assert ended >= 1

        # when the next requests come, then each is answered (the first after its session
        # check failed on a dead connection, and ran again on a fresh one)
        answers = [
            await client.post("/graphql", json={"query": ME}, headers=office.headers)
            for _ in range(3)
        ]
    # (the other tests' pool lost its connections too: they start on fresh ones)
    await served.state["engine"].dispose()
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.json() for answer in answers] == [
        {"data": {"viewer": {"email": office.email}}}
    ] * 3


# --- the compiled path's transaction, begun in one message ----------------------------------


def _viewer(**changes: object) -> Viewer:
    fields: dict[str, object] = {
        "account_id": uuid.UUID(int=1),
        "office_id": uuid.UUID(int=2),
        "role": Role.CLIENT,
        "email": "maria@example.com",
        "name": "Maria",
        "session_id": uuid.UUID(int=3),
        "person_id": uuid.UUID(int=4),
    }
    return Viewer(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_read_only_transaction_is_begun_with_the_viewers_scope_and_role() -> None:
    script = begin_read_only_as(_viewer())

    assert script == (
        "BEGIN READ ONLY; SELECT "
        "set_config('causa.office_id', '00000000-0000-0000-0000-000000000002', true), "
        "set_config('causa.account_id', '00000000-0000-0000-0000-000000000001', true), "
        "set_config('causa.role', 'CLIENT', true), "
        "set_config('causa.person_id', '00000000-0000-0000-0000-000000000004', true); "
        "SET LOCAL ROLE causa_client; SET LOCAL plan_cache_mode = force_generic_plan"
    )
    assert begin_read_only_as(_viewer(role=Role.LAWYER, person_id=None)).endswith(
        "set_config('causa.person_id', '', true); SET LOCAL ROLE causa_staff; "
        "SET LOCAL plan_cache_mode = force_generic_plan"
    )


def test_a_value_that_is_not_an_id_never_reaches_the_script() -> None:
    # an id is a UUID by its type; one that is not (a bug upstream) is refused, not quoted
    with pytest.raises(ValueError, match="not a setting's value"):
        begin_read_only_as(_viewer(office_id="x'; RESET ROLE; --"))


async def test_the_scope_begun_in_one_message_binds_row_level_security(
    engine: AsyncEngine, office: Staff
) -> None:
    # given a client of this office with no folder, in a transaction begun by the script
    viewer = _viewer(office_id=office.office_id)
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute(begin_read_only_as(viewer))
        try:
            role = await driver.fetchval("SELECT current_user")
            seen = await driver.fetchval('SELECT count(*) FROM "case"')
            with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
                await driver.execute('UPDATE "case" SET title = title')
        finally:
            await driver.execute("ROLLBACK")

    # then it acts as the client role, sees none of the office's cases, and writes nothing
    assert role == "causa_client"
    assert seen == 0
