"""Shared fixtures: a real PostgreSQL, the real app over HTTP, real accounts and tokens."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db import migrate
from db.engine import create_engine
from postgres import embedded
from postgres.embedded import Urls
from settings import Settings
from tests.factories import Credentials, Staff, StatementCounter, new_admin, new_office
from tests.mailbox import Mailbox
from tests.processes import free_port
from tests.serving import Served, http_client, live, serving


@pytest.fixture(scope="session")
def database_urls() -> Iterator[Urls]:
    """``CAUSA_DATABASE_URL`` (and ``CAUSA_MIGRATION_DATABASE_URL``, the owner's) when
    given, else an embedded PostgreSQL of the test run, migrated, stopped and removed
    after the run.

    Its folder is not one of pytest's numbered temporary folders, which pytest removes
    while a server may still be running in them.
    """
    external = os.environ.get("CAUSA_DATABASE_URL")
    folder = Path(tempfile.mkdtemp(prefix="causa-test-"))
    urls = embedded.urls(external, os.environ.get("CAUSA_MIGRATION_DATABASE_URL"), folder / "data")
    migrate.upgrade(urls.owner)
    yield urls
    if external is None:
        embedded.server(folder / "data").close()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(database_urls: Urls) -> str:
    """The runtime role's: the one the app and the command line work as."""
    return database_urls.runtime


@pytest.fixture(scope="session")
def owner_url(database_urls: Urls) -> str:
    """The owner's, whom row-level security does not bind: for what a migration may do."""
    return database_urls.owner


@pytest.fixture(scope="session")
async def owner_engine(owner_url: str) -> AsyncIterator[AsyncEngine]:
    """The owner's engine: row-level security does not bind it, so a test sees every row."""
    engine = create_engine(owner_url, pool_size=1)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server that the app under test sends its e-mail to."""
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture(scope="session")
def settings(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=secrets.token_urlsafe(48),
        data_dir=tmp_path_factory.mktemp("data"),
        smtp_url=mailbox.url,
        public_url="https://portal.causa.test",
    )


@pytest.fixture(scope="session")
async def served(settings: Settings) -> AsyncIterator[Served]:
    async with serving(settings) as served:
        yield served


@pytest.fixture(scope="session")
def engine(served: Served) -> AsyncEngine:
    result: AsyncEngine = served.state["engine"]
    return result


@pytest.fixture
async def client(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(served) as client:
        yield client


@pytest.fixture
async def office(client: httpx.AsyncClient, engine: AsyncEngine) -> Staff:
    """A new office with an admin and a lawyer, both signed in."""
    return await new_office(client, engine)


@pytest.fixture
async def other_office(client: httpx.AsyncClient, engine: AsyncEngine) -> Staff:
    return await new_office(client, engine)


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter.record)
    yield counter
    event.remove(engine.sync_engine, "before_cursor_execute", counter.record)


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a loopback port, for the browser."""
    with live(settings) as base_url:
        yield base_url


@pytest.fixture
def staff_credentials(settings: Settings) -> Credentials:
    """An office's admin, made on a thread of its own: the browser tests are synchronous."""
    assert settings.database_url is not None
    url = settings.database_url
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, new_admin(url)).result()


def pytest_configure(config: pytest.Config) -> None:
    Path(config.rootpath, ".hypothesis").mkdir(exist_ok=True)


@pytest.fixture(scope="session")
def unused_url() -> str:
    """A PostgreSQL URL on a loopback port where nothing listens."""
    return f"postgresql://causa@127.0.0.1:{free_port()}/causa"


@pytest.fixture(scope="session")
def empty_database_url(owner_url: str, database_url: str) -> str:
    """A database on the test server that no migration has touched."""
    name = f"causa_empty_{os.getpid()}"

    async def create() -> None:
        engine = create_engine(owner_url, pool_size=1)
        try:
            async with engine.connect() as connection:
                conn = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
                await conn.execute(text(f"CREATE DATABASE {name}"))
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    return make_url(database_url).set(database=name).render_as_string(hide_password=False)
