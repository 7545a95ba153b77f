"""The fourth lock: PostgreSQL's row-level security, each lock on its own.

A raw, unfiltered SELECT in a transaction scoped to a viewer returns only that
viewer's rows; the scoped queries of db/ hold without it, and it holds without them.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db import cases, movements
from db.accounts import act_for_account
from db.pages import Window
from db.roles import UnsafeRole, check_runtime_role
from db.session import Db, act_as, transaction
from db.tables import Source
from domain.viewer import Role, Viewer
from tests.factories import (
    Docket,
    PortalClient,
    Staff,
    add_party,
    client_viewer,
    create_case,
    key_of,
    make_docket,
    new_portal_client,
    unique_email,
)
from tests.graphql_client import data, gql

FOLDERS = "{ cases { totalCount edges { node { id movements { edges { node { source } } } } } } }"


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


def staff_viewer(office: Staff) -> Viewer:
    return Viewer(
        account_id=office.admin_id,
        office_id=office.office_id,
        role=Role.ADMIN,
        email=office.email,
        name="Ana Admin",
        session_id=uuid.uuid4(),
    )


@asynccontextmanager
async def scoped(engine: AsyncEngine, viewer: Viewer | None) -> AsyncIterator[Db]:
    """A transaction of ``engine``, scoped to ``viewer``, that never commits."""
    async with engine.connect() as connection:
        outer = await connection.begin()
        try:
            db = Db(connection)
            if viewer is not None:
                await act_as(db, viewer)
            yield db
        finally:
            await outer.rollback()


async def column(db: Db, sql: str) -> list[Any]:
    return list((await db.execute(sa.text(sql))).scalars().all())


async def add_documents(owner_engine: AsyncEngine, office: Staff, case_id: str) -> None:
    """A court document and an internal one (uploads arrive with a later release)."""
    async with transaction(owner_engine) as db:
        for source in (Source.COURT, Source.INTERNAL):
            await db.execute(
                sa.text(
                    "INSERT INTO document (office_id, id, case_id, title, file_name, content_type,"
                    " size_bytes, sha256, storage_key, source) VALUES (:office, :id, :case,"
                    " :title, 'a.pdf', 'application/pdf', 10, 'x', 'k', :source)"
                ).bindparams(
                    office=office.office_id,
                    id=uuid.uuid4(),
                    case=key_of(case_id),
                    title=f"Documento {source.value}",
                    source=source.value,
                )
            )


# --- the runtime role ------------------------------------------------------------------------


async def test_the_api_works_as_a_role_that_row_level_security_binds(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                sa.text(
                    "SELECT rolsuper, rolbypassrls, pg_has_role(current_user, 'causa_runtime',"
                    " 'MEMBER') AS runtime FROM pg_roles WHERE rolname = current_user"
                )
            )
        ).one()
    assert (row.rolsuper, row.rolbypassrls, row.runtime) == (False, False, True)
    await check_runtime_role(engine)


async def test_serving_as_the_owner_is_refused(owner_engine: AsyncEngine) -> None:
    with pytest.raises(UnsafeRole, match="row-level security would not bind it"):
        await check_runtime_role(owner_engine)


# --- row-level security alone: raw, unfiltered SELECTs ---------------------------------------


async def test_a_raw_select_in_a_client_transaction_returns_only_the_clients_rows(
    engine: AsyncEngine, owner_engine: AsyncEngine, office: Staff, docket: Docket
) -> None:
    await add_documents(owner_engine, office, docket.own)
    async with scoped(engine, client_viewer(office, docket)) as db:
        assert await column(db, 'SELECT id::text FROM "case"') == [str(key_of(docket.own))]
        assert set(await column(db, "SELECT case_id::text FROM case_party")) == {
            str(key_of(docket.own))
        }
        assert await column(db, "SELECT description FROM movement") == ["Sentença publicada"]
        assert await column(db, "SELECT title FROM document") == ["Documento COURT"]
        assert await column(db, "SELECT title FROM task") == []
        assert sorted(await column(db, "SELECT name FROM person")) == [
            "Maria Cliente",
            "Outro Cliente",
        ]


async def test_a_raw_select_in_a_client_transaction_reads_nothing_of_an_archived_case(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, docket: Docket
) -> None:
    archive = "mutation A($id: ID!) { archiveCase(id: $id) { case { status } } }"
    data(await gql(client, office.token, archive, {"id": docket.own}))
    async with scoped(engine, client_viewer(office, docket)) as db:
        for table in ('"case"', "case_party", "movement", "document", "person"):
            assert await column(db, f"SELECT count(*) FROM {table}") == [0], table


async def test_removals_are_read_by_staff_of_their_office_and_by_no_client(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, docket: Docket
) -> None:
    remove = "mutation R($id: ID!) { removeCase(id: $id) { removedId } }"
    data(await gql(client, office.token, remove, {"id": docket.others}))
    async with scoped(engine, staff_viewer(office)) as db:
        assert await column(db, "SELECT type_name FROM removal") == ["Case"]
    async with scoped(engine, client_viewer(office, docket)) as db:
        refused = await db.execute(sa.text("SELECT has_table_privilege('removal', 'SELECT')"))
        assert refused.scalar() is False


async def test_a_raw_select_of_staff_returns_only_their_office(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, other_office: Staff
) -> None:
    mine = (await create_case(client, office.token, title="Do meu escritório"))["id"]
    (await create_case(client, other_office.token, title="Do outro escritório"))["id"]
    async with scoped(engine, staff_viewer(office)) as db:
        offices = set(await column(db, 'SELECT office_id FROM "case"'))
        ids = await column(db, 'SELECT id::text FROM "case"')
    assert offices == {office.office_id}
    assert str(key_of(mine)) in ids


async def test_a_transaction_scoped_to_nobody_sees_no_row(
    engine: AsyncEngine, docket: Docket
) -> None:
    async with scoped(engine, None) as db:
        for table in ('"case"', "case_party", "movement", "document", "task", "person"):
            assert await column(db, f"SELECT count(*) FROM {table}") == [0], table


async def test_a_client_transaction_can_change_nothing(
    engine: AsyncEngine, office: Staff, docket: Docket
) -> None:
    # a client's transaction works as causa_client, which may only read
    writes = [
        *(f"DELETE FROM {table}" for table in ('"case"', "movement", "person", "case_party")),
        "UPDATE \"case\" SET title = 'x'",
        "UPDATE account SET last_login_at = now()",
        "INSERT INTO task (office_id, case_id, title) VALUES (:office, :case, 'x')",
    ]
    for sql in writes:
        async with scoped(engine, client_viewer(office, docket)) as db:
            with pytest.raises(sa.exc.DBAPIError, match="permission denied for table"):
                await db.execute(
                    sa.text(sql).bindparams(office=office.office_id, case=key_of(docket.own))
                    if ":office" in sql
                    else sa.text(sql)
                )


# --- policies PostgreSQL can drive an index from -----------------------------------------------

MANY_CASES = 10_000


async def fill_office(owner_engine: AsyncEngine, office: Staff, count: int) -> None:
    """``count`` more cases in the office, none of them the client's, and fresh statistics."""
    async with transaction(owner_engine) as db:
        await db.execute(
            sa.text(
                'INSERT INTO "case" (office_id, folder, title) SELECT :office,'
                " 'BULK-' || n, 'Pasta ' || n FROM generate_series(1, :count) AS n"
            ).bindparams(office=office.office_id, count=count)
        )
    async with owner_engine.connect() as connection:
        conn = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text('ANALYZE "case", case_party'))


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of an EXPLAIN (FORMAT JSON) plan."""
    return [plan, *(node for child in plan.get("Plans", []) for node in nodes(child))]


async def test_a_clients_raw_select_reads_their_cases_through_an_index(
    engine: AsyncEngine, owner_engine: AsyncEngine, office: Staff, docket: Docket
) -> None:
    # given an office of 10,000 cases, of which the client's is one
    await fill_office(owner_engine, office, MANY_CASES)
    viewer = client_viewer(office, docket)

    # when the client's transaction, scoped as a request's is, runs a raw unfiltered SELECT
    async with scoped(engine, viewer) as db:
        assert await db.scalar(sa.text("SELECT current_user")) == "causa_client"
        explained = await db.scalar(sa.text('EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM "case"'))
        rows = await column(db, 'SELECT id::text FROM "case"')

    # then PostgreSQL finds the client's case by its id in an index, reading no other row
    plan = nodes(explained[0]["Plan"])
    reads = [node for node in plan if node.get("Relation Name") == "case"]
    assert [node["Node Type"] for node in reads] in (["Index Only Scan"], ["Index Scan"])
    assert "id = ANY" in reads[0]["Index Cond"]
    assert reads[0].get("Rows Removed by Filter", 0) == 0
    assert rows == [str(key_of(docket.own))]

    # and staff, on their own policy, still read the whole office
    async with scoped(engine, staff_viewer(office)) as db:
        assert await db.scalar(sa.text("SELECT current_user")) == "causa_staff"
        staff_rows = await db.scalar(sa.text('SELECT count(*) FROM "case"'))
    assert staff_rows == MANY_CASES + 3


async def test_a_transaction_that_never_switched_role_sees_no_more_than_before(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    owner_engine: AsyncEngine,
    office: Staff,
    docket: Docket,
) -> None:
    # given a portal client's account, and a transaction acting for it as sign-in does
    viewer = await portal_viewer(owner_engine, office, docket.client)
    async with acting_for(engine, viewer) as db:
        assert await db.scalar(sa.text("SELECT current_user")) == "causa_app"
        # then it reads its own sign-in rows and nothing of the office's case data
        for table in ('"case"', "case_party", "movement", "document", "task", "person"):
            assert await column(db, f"SELECT count(*) FROM {table}") == [0], table
        assert await column(db, "SELECT id FROM account") == [viewer.account_id]
        assert await column(db, "SELECT count(*) FROM outbox_message") == [0]

    # and one given the client's settings without the role reads what the old policy gave
    async with scoped(engine, None) as db:
        await db.execute(
            sa.select(
                sa.func.set_config("causa.office_id", str(office.office_id), True),
                sa.func.set_config("causa.role", Role.CLIENT.value, True),
                sa.func.set_config("causa.person_id", str(viewer.person_id), True),
            )
        )
        assert await column(db, 'SELECT id::text FROM "case"') == [str(key_of(docket.own))]
        assert await column(db, "SELECT description FROM movement") == ["Sentença publicada"]
        assert await column(db, "SELECT count(*) FROM task") == [0]


# --- accounts, sign-in and the outbox ----------------------------------------------------------

SIGN_IN_TABLES = ("account", "auth_session", "refresh_token", "invitation", "outbox_message")
# Each table's rows of one account, read as the owner (whom row-level security does not bind).
OWN_ROWS = {
    "account": "SELECT id::text FROM account WHERE id = :me",
    "auth_session": "SELECT id::text FROM auth_session WHERE account_id = :me",
    "refresh_token": "SELECT encode(r.token_hash, 'hex') FROM refresh_token r JOIN auth_session"
    " s ON s.office_id = r.office_id AND s.id = r.session_id WHERE s.account_id = :me",
    "invitation": "SELECT encode(token_hash, 'hex') FROM invitation WHERE account_id = :me",
    "outbox_message": "SELECT id::text FROM outbox_message WHERE false",
}
ROWS = {
    "account": "SELECT id::text FROM account",
    "auth_session": "SELECT id::text FROM auth_session",
    "refresh_token": "SELECT encode(token_hash, 'hex') FROM refresh_token",
    "invitation": "SELECT encode(token_hash, 'hex') FROM invitation",
    "outbox_message": "SELECT id::text FROM outbox_message",
}


async def portal_viewer(owner_engine: AsyncEngine, office: Staff, portal: PortalClient) -> Viewer:
    async with owner_engine.connect() as connection:
        account_id = await connection.scalar(
            sa.text("SELECT id FROM account WHERE office_id = :office AND email = :email"),
            {"office": office.office_id, "email": portal.email},
        )
    return Viewer(
        account_id=account_id,
        office_id=office.office_id,
        role=Role.CLIENT,
        email=portal.email,
        name="Maria Cliente",
        session_id=uuid.uuid4(),
        person_id=key_of(portal.person_id),
    )


async def test_a_raw_select_in_a_client_transaction_returns_only_their_own_sign_in_rows(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    owner_engine: AsyncEngine,
    office: Staff,
    other_office: Staff,
) -> None:
    # given two portal clients of one office, and one of another, each signed in once
    mine = await new_portal_client(client, office)
    await new_portal_client(client, office, name="Outro Cliente")
    await new_portal_client(client, other_office)
    viewer = await portal_viewer(owner_engine, office, mine)

    # when the client's transaction selects every row of each table
    async with scoped(engine, viewer) as db:
        seen = {table: sorted(await column(db, sql)) for table, sql in ROWS.items()}

    # then it reads its own account, sessions, refresh tokens and invitation, and no message
    async with owner_engine.connect() as connection:
        for table, sql in OWN_ROWS.items():
            own = await connection.execute(sa.text(sql), {"me": viewer.account_id})
            assert seen[table] == sorted(own.scalars()), table
    assert len(seen["account"]) == len(seen["invitation"]) == 1
    assert len(seen["auth_session"]) == len(seen["refresh_token"]) == 1


@asynccontextmanager
async def acting_for(engine: AsyncEngine, viewer: Viewer) -> AsyncIterator[Db]:
    """A transaction acting for the viewer's account, as sign-in does, that never commits."""
    async with scoped(engine, None) as db:
        await act_for_account(db, office_id=viewer.office_id, account_id=viewer.account_id)
        yield db


async def test_a_sign_in_transaction_cannot_change_who_its_account_is(
    client: httpx.AsyncClient, engine: AsyncEngine, owner_engine: AsyncEngine, office: Staff
) -> None:
    viewer = await portal_viewer(owner_engine, office, await new_portal_client(client, office))
    me = {"me": viewer.account_id}
    escalations = [
        "UPDATE account SET role = 'ADMIN', person_id = NULL WHERE id = :me",
        "UPDATE account SET email = 'outro@example.com' WHERE id = :me",
        "UPDATE account SET disabled_at = NULL, role = 'LAWYER', person_id = NULL",
    ]
    for sql in escalations:
        async with acting_for(engine, viewer) as db:
            with pytest.raises(sa.exc.DBAPIError, match="only staff change an account"):
                await db.execute(sa.text(sql).bindparams(**me) if ":me" in sql else sa.text(sql))
    async with acting_for(engine, viewer) as db:
        assert (await db.execute(sa.text("DELETE FROM account"))).rowcount == 0
        touched = await db.execute(sa.text("UPDATE account SET last_login_at = now()"))
        assert touched.rowcount == 1  # its own row, for the columns sign-in writes
    async with acting_for(engine, viewer) as db:
        with pytest.raises(sa.exc.DBAPIError, match="row-level security"):
            await db.execute(
                sa.text(
                    "INSERT INTO account (office_id, email, name, role) "
                    "VALUES (:office, 'novo@example.com', 'Novo', 'ADMIN')"
                ).bindparams(office=office.office_id)
            )


async def test_a_raw_select_of_staff_returns_only_their_offices_sign_in_rows(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, other_office: Staff
) -> None:
    # given a portal client in each office (an account, a session, an invitation, an e-mail)
    await new_portal_client(client, office)
    await new_portal_client(client, other_office)

    # when the office's admin selects every row of each table, then all are the office's
    async with scoped(engine, staff_viewer(office)) as db:
        for table in SIGN_IN_TABLES:
            offices = await column(db, f"SELECT DISTINCT office_id FROM {table}")
            assert offices == [office.office_id], table


async def test_a_lawyer_transaction_reads_no_message_only_an_admin_may(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff
) -> None:
    # given a staff invitation, which only an admin may read, and a portal invitation
    body = await gql(
        client,
        office.token,
        "mutation($input: StaffMemberInput!) { createStaffMember(input: $input) { token } }",
        {"input": {"name": "Bruno Novo", "email": unique_email("staff"), "role": "LAWYER"}},
    )
    data(body)
    await new_portal_client(client, office)
    lawyer = dataclasses.replace(staff_viewer(office), role=Role.LAWYER)

    # then a raw select as a lawyer reads the portal one alone
    async with scoped(engine, lawyer) as db:
        assert await column(db, "SELECT admin_only FROM outbox_message") == [False]
    async with scoped(engine, staff_viewer(office)) as db:
        assert sorted(await column(db, "SELECT admin_only FROM outbox_message")) == [False, True]


async def test_a_transaction_scoped_to_nobody_sees_no_sign_in_row(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff
) -> None:
    await new_portal_client(client, office)
    async with scoped(engine, None) as db:
        for table in SIGN_IN_TABLES:
            assert await column(db, f"SELECT count(*) FROM {table}") == [0], table


async def test_a_client_reads_the_name_of_their_folders_responsible_lawyer(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a folder of the client's, for which the office's lawyer is responsible
    portal = await new_portal_client(client, office)
    case_id = (
        await create_case(
            client,
            office.token,
            title="Ação de cobrança",
            responsibleLawyerId=office.lawyer_global_id,
        )
    )["id"]
    await add_party(client, office, case_id, portal.person_id, is_client=True)

    # then the client reads the lawyer's name (row-level security lets that account through)
    body = await gql(
        client, portal.token, "{ cases { edges { node { responsibleLawyer { name } } } } }"
    )
    [edge] = data(body)["cases"]["edges"]
    assert edge["node"]["responsibleLawyer"] == {"name": "Luís Lawyer"}


API_ROLES = ("causa_runtime", "causa_staff", "causa_client")


async def test_every_table_an_office_owns_has_row_level_security(engine: AsyncEngine) -> None:
    # every table with an office's rows that the API's roles may touch at all
    async with engine.connect() as connection:
        unbound = await connection.execute(
            sa.text(
                "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
                " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"
                " AND a.attname = 'office_id' AND NOT (c.relrowsecurity AND EXISTS"
                " (SELECT FROM pg_policy p WHERE p.polrelid = c.oid))"
                " AND EXISTS (SELECT FROM unnest(CAST(:roles AS text[])) AS r(name)"
                "  WHERE has_table_privilege(r.name, c.oid, 'SELECT, INSERT, UPDATE, DELETE'))"
            ).bindparams(roles=list(API_ROLES))
        )
        assert list(unbound.scalars()) == []
        # the one the API may not touch: the data versions, the owner's (migration 0007)
        untouchable = await connection.execute(
            sa.text(
                "SELECT r.name FROM unnest(CAST(:roles AS text[])) AS r(name) WHERE"
                " has_table_privilege(r.name, 'office_data_version',"
                " 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')"
            ).bindparams(roles=list(API_ROLES))
        )
        assert list(untouchable.scalars()) == []


# --- each lock on its own through the API ----------------------------------------------------


async def test_with_the_scoped_queries_switched_off_rls_still_hides_other_folders(
    client: httpx.AsyncClient, docket: Docket, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given db/'s scoping switched off for cases and movements
    monkeypatch.setattr(cases, "visible_cases", lambda viewer: sa.true())
    monkeypatch.setattr(movements, "visible_movements", lambda viewer: sa.true())

    # then the client still reads only their folder and its court movements
    folders = data(await gql(client, docket.client.token, FOLDERS))["cases"]
    assert [edge["node"]["id"] for edge in folders["edges"]] == [docket.own]
    assert folders["edges"][0]["node"]["movements"]["edges"] == [{"node": {"source": "COURT"}}]


async def test_with_rls_switched_off_the_scoped_queries_still_hide_other_folders(
    owner_engine: AsyncEngine, office: Staff, docket: Docket
) -> None:
    viewer = client_viewer(office, docket)
    async with scoped(owner_engine, viewer) as db:  # the owner: RLS does not bind it
        everything = await column(db, 'SELECT count(*) FROM "case"')
        page = await cases.list_cases(
            db, viewer=viewer, search=None, status=None, window=Window(50)
        )
        found = await movements.movements_of_cases(
            db, viewer=viewer, case_ids=[key_of(docket.own)], window=Window(50)
        )
    assert everything[0] >= 3
    assert [str(row["id"]) for row in page.rows] == [str(key_of(docket.own))]
    assert [row["source"] for row in found[key_of(docket.own)].rows] == [Source.COURT]
