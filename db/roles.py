"""The two database roles: the owner, who migrates, and the runtime role that row-level
security binds (neither superuser, nor BYPASSRLS, nor the tables' owner).

Migration 0003 creates the group role ``causa_runtime`` and grants it the tables; the
login role the API connects as is a member of it (``causa_app`` in the embedded server).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

RUNTIME_GROUP = "causa_runtime"
EMBEDDED_RUNTIME_USER = "causa_app"


class UnsafeRole(RuntimeError):
    """The API would connect as a role that row-level security does not bind."""


async def check_runtime_role(engine: AsyncEngine) -> None:
    """Refuse to serve as a role that would read past row-level security."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.text(
                    "SELECT current_user AS name, rolsuper, rolbypassrls, "
                    "pg_has_role(current_user, (SELECT relowner FROM pg_class "
                    "WHERE oid = 'public.case'::regclass), 'USAGE') AS owns "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            )
        ).one()
    reason = (
        "is a superuser"
        if row.rolsuper
        else "has BYPASSRLS"
        if row.rolbypassrls
        else "owns the tables"
        if row.owns
        else None
    )
    if reason:
        raise UnsafeRole(
            f"CAUSA_DATABASE_URL connects as {row.name!r}, which {reason}: row-level security "
            f"would not bind it. Connect as a role granted {RUNTIME_GROUP}, and migrate with "
            "CAUSA_MIGRATION_DATABASE_URL (the owner)"
        )
