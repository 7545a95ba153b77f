"""The request's transaction when the server goes away under it."""

from __future__ import annotations

import contextlib

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import unreachable
from db.session import ConnectionLost, transaction
from tests.factories import Staff


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


async def test_a_request_on_a_pooled_connection_the_server_closed_still_answers(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, office: Staff
) -> None:
    # given pooled connections (not tested as the pool hands them out), closed by the server
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
        await client.post("/graphql", json={"query": ME}, headers=office.headers) for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.json() for answer in answers] == [
        {"data": {"viewer": {"email": office.email}}}
    ] * 3
