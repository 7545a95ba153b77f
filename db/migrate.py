"""Schema migrations (Alembic), driven from the ``causa`` command."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


class NotMigrated(RuntimeError):
    """The database is behind the code; the message says how to fix it."""


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    command.upgrade(_config(url), "head")


def make_revision(url: str, message: str) -> None:
    command.revision(_config(url), message=message, autogenerate=True)


def head() -> str | None:
    return ScriptDirectory.from_config(_config("postgresql://")).get_current_head()


async def check_current(engine: AsyncEngine) -> None:
    """Refuse to serve on a database whose schema is not the code's."""
    async with engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    if current != head():
        raise NotMigrated(
            f"the database is at migration {current or 'none'}, the code needs {head()}: "
            "run `causa migrate`"
        )
