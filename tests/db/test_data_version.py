"""The office's data version: every write to what a read can show moves it, in the
writing transaction, and the session check reads it (migration 0007)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db.accounts import checked_transaction
from db.session import Db, transaction
from tests.factories import Staff, create_case
from tests.serving import Served

# Tables with an office's rows whose writes do not move the version, and why.
NOT_VERSIONED = {
    "auth_session": "no read shows a session; an ended one is refused by the session check",
    "refresh_token": "no read shows one; refreshing is not a read",
    "invitation": "no read shows one (a mutation's answer carries the link, never stored)",
    "office_data_version": "the version itself",
    "oauth_code": "no read shows a code; exchanging one is not a read",
    # every client read adds a row: versioning it would end every stored answer at once
    "portal_activity": "shown only by the executor (portalActivity, activity): it stores nothing",
    "court_news": "no read shows it: the worker's record of what each client was e-mailed",
}
EVENTS = ("insert", "update", "delete")


async def version(db: Db, office_id: uuid.UUID) -> int:
    """The office's version as the owner's transaction sees it (1 for an office without a row)."""
    found = await db.scalar(
        sa.text("SELECT version FROM office_data_version WHERE office_id = :office").bindparams(
            office=office_id
        )
    )
    return 1 if found is None else int(found)


async def committed_version(owner_engine: AsyncEngine, office_id: uuid.UUID) -> int:
    async with transaction(owner_engine) as db:
        return await version(db, office_id)


def writes(ids: dict[str, uuid.UUID]) -> list[tuple[str, str, str]]:
    """(table, event, SQL): each table written once per event, every row a leaf when deleted."""
    made = [
        ("person", "INSERT INTO person (office_id, id, name, kind)"
         " VALUES (:office, :p, 'P', 'NATURAL')"),
        ("case", "INSERT INTO \"case\" (office_id, id, folder, title)"
         " VALUES (:office, :c, 'V-1', 'C')"),
        ("case_party", "INSERT INTO case_party (office_id, case_id, person_id, role)"
         " VALUES (:office, :c, :p, 'PLAINTIFF')"),
        ("movement", "INSERT INTO movement (office_id, id, case_id, occurred_at, description,"
         " source) VALUES (:office, :m, :c, now(), 'M', 'COURT')"),
        ("document", "INSERT INTO document (office_id, id, case_id, title, file_name,"
         " content_type, size_bytes, sha256, storage_key, source) VALUES (:office, :d, :c, 'D',"
         " 'a.pdf', 'application/pdf', 10, 'x', 'k', 'COURT')"),
        ("task", "INSERT INTO task (office_id, id, case_id, title) VALUES (:office, :t, :c, 'T')"),
        ("account", "INSERT INTO account (office_id, id, email, name, role)"
         " VALUES (:office, :a, :email, 'A', 'LAWYER')"),
        ("outbox_message", "INSERT INTO outbox_message (office_id, id, recipient, subject, body)"
         " VALUES (:office, :o, 'x@example.com', 'S', 'B')"),
    ]  # fmt: skip
    keys = {
        "person": "id = :p",
        "case": "id = :c",
        "case_party": "case_id = :c AND person_id = :p",
        "movement": "id = :m",
        "document": "id = :d",
        "task": "id = :t",
        "account": "id = :a",
        "outbox_message": "id = :o",
    }
    changes = {
        "person": "name = 'P2'",
        "case": "title = 'C2'",
        "case_party": "is_client = true",
        "movement": "description = 'M2'",
        "document": "title = 'D2'",
        "task": "done = true",
        "account": "name = 'A2'",
        "outbox_message": "status = 'SENT'",
    }
    steps = [(table, "insert", sql) for table, sql in made]
    steps += [
        (table, "update", f'UPDATE "{table}" SET {changes[table]} WHERE office_id = :office AND '
         f"{key}")
        for table, key in keys.items()
    ]  # fmt: skip
    steps += [
        (table, "delete", f'DELETE FROM "{table}" WHERE office_id = :office AND {key}')
        for table, key in reversed(keys.items())
    ]
    return steps


def bound(sql: str, office_id: uuid.UUID, ids: dict[str, uuid.UUID]) -> sa.TextClause:
    values: dict[str, Any] = {**ids, "email": f"v{ids['a']}@example.com"}
    used = {name: value for name, value in values.items() if re.search(rf":{name}\b", sql)}
    return sa.text(sql).bindparams(office=office_id, **used)


async def test_every_write_to_what_a_read_shows_moves_the_version_in_its_transaction(
    owner_engine: AsyncEngine, office: Staff, other_office: Staff
) -> None:
    ids = {name: uuid.uuid4() for name in "pcmdtao"}
    moved: dict[tuple[str, str], int] = {}
    async with owner_engine.connect() as connection:
        outer = await connection.begin()
        try:
            db = Db(connection)
            others = await version(db, other_office.office_id)
            # when each table is written once per event, the version is read after each
            for table, event, sql in writes(ids):
                before = await version(db, office.office_id)
                result = await db.execute(bound(sql, office.office_id, ids))
                assert result.rowcount == 1, (table, event)
                moved[table, event] = await version(db, office.office_id) - before
            # then another office's version stayed where it was
            assert await version(db, other_office.office_id) == others
        finally:
            await outer.rollback()

    # then each write moved it by one, within the writing transaction
    versioned = {table for table, _, _ in writes(ids)}
    assert moved == {(table, event): 1 for table in versioned for event in EVENTS}


async def test_a_rolled_back_write_leaves_the_version_as_it_was(
    owner_engine: AsyncEngine, engine: AsyncEngine, office: Staff
) -> None:
    before = await committed_version(owner_engine, office.office_id)
    async with owner_engine.connect() as connection:
        outer = await connection.begin()
        await connection.execute(
            sa.text("UPDATE account SET name = 'Outro' WHERE office_id = :office").bindparams(
                office=office.office_id
            )
        )
        await outer.rollback()
    assert await committed_version(owner_engine, office.office_id) == before


async def test_a_write_through_the_api_moves_its_offices_version_and_no_other(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, office: Staff, other_office: Staff
) -> None:
    mine, others = [
        await committed_version(owner_engine, staff.office_id) for staff in (office, other_office)
    ]
    await create_case(client, office.token, title="Ação nova")
    assert await committed_version(owner_engine, office.office_id) > mine
    assert await committed_version(owner_engine, other_office.office_id) == others


async def test_a_read_moves_no_version(
    client: httpx.AsyncClient, owner_engine: AsyncEngine, office: Staff
) -> None:
    before = await committed_version(owner_engine, office.office_id)
    response = await client.post(
        "/graphql", json={"query": "{ cases { totalCount } }"}, headers=office.headers
    )
    assert response.status_code == 200
    assert await committed_version(owner_engine, office.office_id) == before


async def test_the_session_check_reads_the_version_in_the_same_statement(
    served: Served, owner_engine: AsyncEngine, engine: AsyncEngine, office: Staff
) -> None:
    claims = served.state["signer"].read(office.token)
    async with checked_transaction(engine, claims) as (db, checked):
        assert checked is not None
        assert checked.viewer.account_id == office.admin_id
        assert checked.data_version == await committed_version(owner_engine, office.office_id)
        assert await db.scalar(sa.text("SELECT current_user")) == "causa_staff"
        # a write of the viewer's own moves it, as the next check of this transaction sees
        await db.execute(
            sa.text("UPDATE account SET name = 'Ana' WHERE id = :me").bindparams(me=office.admin_id)
        )
        again = await db.driver_row(
            "SELECT data_version FROM causa_viewer($1, $2, $3)",
            claims.office_id,
            claims.session_id,
            claims.account_id,
        )
        assert again is not None
        assert again["data_version"] == checked.data_version + 1


async def test_every_table_with_an_offices_rows_is_versioned_or_says_why_not(
    owner_engine: AsyncEngine,
) -> None:
    async with owner_engine.connect() as connection:
        rows = await connection.execute(
            sa.text(
                "SELECT c.relname AS table, array_agg(t.tgname ORDER BY t.tgname)"
                " FILTER (WHERE t.tgname IS NOT NULL) AS triggers"
                " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
                " LEFT JOIN pg_trigger t ON t.tgrelid = c.oid"
                "  AND t.tgfoid = 'causa_bump_data_version'::regproc"
                "  AND (t.tgtype & 1) = 0"  # FOR EACH STATEMENT
                "  AND coalesce(t.tgnewtable, t.tgoldtable) IS NOT NULL"
                " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"
                " AND a.attname = 'office_id' GROUP BY c.relname"
            )
        )
        found: dict[str, Any] = {row.table: row.triggers for row in rows}
    triggers = [f"data_version_{event}" for event in sorted(EVENTS)]
    unexplained = {
        table: names
        for table, names in found.items()
        if table not in NOT_VERSIONED and names != triggers
    }
    assert unexplained == {}
    assert {table for table in NOT_VERSIONED if found.get(table)} == set()
