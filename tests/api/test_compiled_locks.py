"""The compiled read path is no way around any of the four locks: each holds it alone.

Lock 1 (the client view) is the view its plans are compiled over: a hidden field fails
validation and the document goes to the executor, which refuses it as before
(tests/api/test_client_view.py runs through this path). Here, each of the other three
is shown holding with the others switched off, on the compiled path itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from db import answers as database
from db import cases as case_queries
from db import movements as movement_queries
from db.session import scope_settings
from domain.viewer import Role
from schema.compiled import Compiler
from schema.reads import Reads
from tests.factories import Docket, Staff, client_viewer, make_docket
from tests.graphql_client import data, error, gql
from tests.serving import Served

FOLDERS = "{ cases { totalCount edges { node { id movements { edges { node { source } } } } } } }"
ONE_CASE = "query One($id: ID!) { case(id: $id) { title internalNotes } }"


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


@pytest.fixture
def reads(served: Served) -> Iterator[Reads]:
    """The app's compiled path, with no plan or answer kept from before or after a test
    that switches a lock off."""
    found: Reads = served.state["reads"]
    found.clear()
    yield found
    found.clear()


def _counts(reads: Reads) -> tuple[int, int]:
    return reads.counts["compiled"], reads.counts["executor"]


# --- lock 2 alone: the client view switched off --------------------------------------------


async def test_with_the_full_schema_a_client_read_of_a_staff_field_is_not_compiled(
    client: httpx.AsyncClient,
    docket: Docket,
    served: Served,
    reads: Reads,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given lock 1 switched off for both paths: clients get the staff view
    views: dict[bool, Any] = served.state["views"]
    monkeypatch.setitem(views, False, views[True])
    staff_view = reads.compilers[Role.ADMIN].schema
    monkeypatch.setitem(
        reads.compilers,
        Role.CLIENT,
        Compiler(**{**vars(reads.compilers[Role.CLIENT]), "schema": staff_view}),
    )

    # when a client asks for an internal field
    before = _counts(reads)
    body = await gql(client, docket.client.token, ONE_CASE, {"id": docket.own})

    # then the compiled path leaves it to the executor, whose permission class refuses it
    assert _counts(reads) == (before[0], before[1] + 1)
    assert body["data"] == {"case": {"title": "Ação de cobrança", "internalNotes": None}}
    assert error(body)["extensions"] == {"code": "FORBIDDEN"}
    # while a read of the Principal tab alone is still compiled
    title = await gql(client, docket.client.token, "{ cases { edges { node { title } } } }")
    assert _counts(reads)[0] == before[0] + 1
    assert data(title)["cases"]["edges"] == [{"node": {"title": "Ação de cobrança"}}]


# --- lock 4 alone: db/'s scoping switched off ----------------------------------------------


async def test_with_the_scoped_queries_switched_off_a_compiled_read_shows_only_the_clients_folder(
    client: httpx.AsyncClient, docket: Docket, reads: Reads, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given db/'s scoping switched off for the cases and movements the compiled path reads
    everything = lambda viewer: sa.true()  # noqa: E731
    monkeypatch.setattr(case_queries, "visible_cases", everything)
    monkeypatch.setattr(database, "visible_cases", everything)
    monkeypatch.setattr(movement_queries, "visible_movements", everything)

    # when the client reads their folders through the compiled path
    before = _counts(reads)
    folders = data(await gql(client, docket.client.token, FOLDERS))["cases"]

    # then row-level security alone keeps them to their folder and its court movements
    assert _counts(reads)[0] == before[0] + 1
    plan = reads.plan(Role.CLIENT, FOLDERS, None)
    assert plan is not None
    assert "case_party" not in plan.statement.sql  # no scope of db/'s in the statement
    assert [edge["node"]["id"] for edge in folders["edges"]] == [docket.own]
    assert folders["totalCount"] == 1
    assert folders["edges"][0]["node"]["movements"]["edges"] == [{"node": {"source": "COURT"}}]


# --- lock 3 alone: row-level security switched off -----------------------------------------


async def test_with_rls_switched_off_the_compiled_statement_shows_only_the_clients_folder(
    owner_url: str, office: Staff, docket: Docket, reads: Reads
) -> None:
    # given the compiled statement of the client's read, run as the tables' owner (whom
    # row-level security does not bind) in a transaction with the client's settings
    plan = reads.plan(Role.CLIENT, FOLDERS, None)
    assert plan is not None
    values = reads.values(plan, None, Role.CLIENT)
    assert values is not None
    viewer = client_viewer(office, docket)
    values |= {"viewer_email": viewer.email, "viewer_role": viewer.role.value}
    url = make_url(owner_url).set(drivername="postgresql")
    owner = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        async with owner.transaction():
            for name, value in scope_settings(viewer).items():
                await owner.execute("SELECT set_config($1, $2, true)", name, value)
            everything = await owner.fetchval('SELECT count(*) FROM "case"')
            answer = await owner.fetchval(plan.statement.sql, *plan.statement.arguments(values))
    finally:
        await owner.close()

    # then the statement's own scope keeps the client to their folder
    assert everything >= 3
    folders = json.loads(answer)["cases"]
    assert [edge["node"]["id"] for edge in folders["edges"]] == [docket.own]
    assert folders["edges"][0]["node"]["movements"]["edges"] == [{"node": {"source": "COURT"}}]
