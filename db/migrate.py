"""Schema migrations (Alembic), driven from the ``causa`` command."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.roles import RUNTIME_GROUP
from db.session import CLIENT_ROLE, STAFF_ROLE

MIGRATIONS = Path(__file__).parent / "migrations"
INSUFFICIENT_PRIVILEGE = "42501"


def is_ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Whether Alembic compares an object with the models: not the job queue's tables
    (procrastinate's schema, which migration 0011 applies as its release ships it)."""
    return type_ != "table" or not (name or "").startswith("procrastinate_")


class NotMigrated(RuntimeError):
    """The database is behind the code; the message says how to fix it."""


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class MigrationRefused(RuntimeError):
    """The migrating role lacks a permission; the message names the role and the permission."""


def upgrade(url: str) -> None:
    role = make_url(url).username or "(the default user)"
    asyncio.run(_check_runtime_group(url, role))
    try:
        command.upgrade(_config(url), "head")
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        reason = str(error.orig).splitlines()[0].split(": ", 1)[-1]
        raise MigrationRefused(
            f"the role {role!r} may not migrate this database: {reason}. Migrate as the role "
            "that owns the database (CAUSA_MIGRATION_DATABASE_URL)"
        ) from None


# The group roles the migrations create unless they exist (0003, 0007), as a superuser
# would create them.
GROUP_ROLES = {
    RUNTIME_GROUP: f"CREATE ROLE {RUNTIME_GROUP} NOLOGIN",
    STAFF_ROLE: f"CREATE ROLE {STAFF_ROLE} NOLOGIN ROLE {RUNTIME_GROUP}",
    CLIENT_ROLE: f"CREATE ROLE {CLIENT_ROLE} NOLOGIN ROLE {RUNTIME_GROUP}",
}


async def _check_runtime_group(url: str, role: str) -> None:
    """The migrations create the group roles that the API works as, unless they exist:
    creating them takes CREATEROLE, which the owner need not have."""
    from db.engine import create_engine

    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.text(
                        "SELECT ARRAY(SELECT rolname FROM pg_roles"
                        " WHERE rolname = ANY (CAST(:groups AS text[]))) AS present,"
                        " rolcreaterole OR rolsuper AS may_create"
                        " FROM pg_roles WHERE rolname = current_user"
                    ),
                    {"groups": list(GROUP_ROLES)},
                )
            ).one()
    finally:
        await engine.dispose()
    missing = [name for name in GROUP_ROLES if name not in row.present]
    if missing and not row.may_create:
        roles = ", ".join(missing)
        statements = "; ".join(GROUP_ROLES[name] for name in missing)
        raise MigrationRefused(
            f"the group role{'s' if len(missing) > 1 else ''} {roles} "
            f"{'do' if len(missing) > 1 else 'does'} not exist, and {role!r} may not create "
            f"{'them' if len(missing) > 1 else 'it'} (it lacks CREATEROLE): create "
            f"{'them' if len(missing) > 1 else 'it'} once as a superuser, {statements}, then "
            "migrate again"
        )


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
