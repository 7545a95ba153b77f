"""Every table can be distributed by office (Citus): read from PostgreSQL's catalogs.

A distributed table's primary key and unique constraints must hold its distribution
column, and a foreign key between two distributed tables must join on it. Every table of
Causa's carries ``office_id`` so that this holds; the few that do not are named below with
the reason, and a new table that breaks the rule fails here."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db.migrate import is_ours

# Not distributed by office, and why (README, "Scaling").
REFERENCE = {
    # the offices themselves: distributed by their own id (office_id everywhere else), or
    # a reference table copied to every node, which every office's rows point to
    "office": "the offices themselves",
    # sign-in throttles, by a hash of the e-mail or address, which one login may share
    # across offices: kept on the coordinator
    "login_throttle": "a login's failures, across offices",
    "address_throttle": "an address's failures, across offices",
    "alembic_version": "the schema's version",
}
# Unique across offices by design: a constraint Citus cannot keep once distributed.
ACROSS_OFFICES = {
    ("office", ("slug",)): "an office's sign-in code",
    (
        "oauth_client",
        ("client_id",),
    ): "an app's client_id, which the token endpoint reads before it knows the office",
}

CONSTRAINTS = sa.text(
    """
SELECT c.conrelid::regclass::text AS tab, c.contype::text AS kind,
       array(SELECT a.attname::text FROM unnest(c.conkey) k
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k) AS cols,
       c.confrelid::regclass::text AS ref,
       array(SELECT a.attname::text FROM unnest(c.confkey) k
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k) AS refcols
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = 'public' AND c.contype IN ('p', 'u', 'f')
UNION ALL
SELECT i.indrelid::regclass::text, 'u',
       array(SELECT a.attname::text FROM unnest(i.indkey) k
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k), NULL, NULL
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND i.indisunique AND NOT i.indisprimary
"""
)


async def catalog(engine: AsyncEngine) -> tuple[list[str], list[Any]]:
    async with engine.connect() as connection:
        tables = (
            await connection.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
        ).scalars()
        ours = [name for name in tables if is_ours(name, "table", None)]
        constraints = (await connection.execute(CONSTRAINTS)).all()
    return ours, [row for row in constraints if row.tab.strip('"') in ours]


async def test_every_table_carries_office_id_in_its_keys_and_foreign_keys(
    owner_engine: AsyncEngine,
) -> None:
    tables, constraints = await catalog(owner_engine)
    assert {"case", "movement", "document", "court_news"} <= set(tables)
    distributed = set(tables) - set(REFERENCE)

    async with owner_engine.connect() as connection:
        without = [
            table
            for table in sorted(distributed)
            if not (
                await connection.execute(
                    sa.text(
                        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
                        "AND table_name = :table AND column_name = 'office_id'"
                    ),
                    {"table": table},
                )
            ).first()
        ]
    assert without == []

    breaking = []
    for row in constraints:
        table = row.tab.strip('"')
        if table not in distributed:
            continue
        keyed = "office_id" in row.cols or (table, tuple(row.cols)) in ACROSS_OFFICES
        if row.kind in ("p", "u") and not keyed:
            breaking.append(f"{table}: key {row.cols} lacks office_id")
        if row.kind == "f" and row.ref.strip('"') in distributed:
            pairs = dict(zip(row.cols, row.refcols, strict=True))
            if pairs.get("office_id") != "office_id":
                breaking.append(f"{table}: foreign key {row.cols} -> {row.ref} skips office_id")
    assert breaking == []


async def test_the_exceptions_are_still_there(owner_engine: AsyncEngine) -> None:
    # each exception names a table and a constraint that exist: none is stale
    tables, constraints = await catalog(owner_engine)
    assert set(REFERENCE) <= set(tables)
    unique = {(row.tab.strip('"'), tuple(row.cols)) for row in constraints if row.kind == "u"}
    assert set(ACROSS_OFFICES) <= unique
