"""The number of SQL statements of a request does not grow with its page size.

The executor's statements are counted on an app whose reads all go through it
(``compiled_reads`` off): with the compiled path on, these reads would send none through
SQLAlchemy. The compiled path's are counted on the wire, on the session's app.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from db import accounts, cases, movements, persons, tasks
from db.inputs import CaseCreate, MovementCreate, PersonCreate, TaskCreate
from db.session import act_as, transaction
from db.tables import PartyRole, Source, documents
from domain.viewer import Role, Viewer
from settings import Settings
from tests.factories import (
    CLIENT_FOLDERS,
    CLIENT_PASSWORD,
    Staff,
    StatementCounter,
    accept,
    grant,
    id_of,
    sign_in,
    unique_email,
)
from tests.graphql_client import data, gql
from tests.serving import Served, http_client, serving


@pytest.fixture(scope="module")
async def executor_only(settings: Settings) -> AsyncIterator[Served]:
    async with serving(settings.model_copy(update={"compiled_reads": False})) as app:
        yield app


@pytest.fixture
def engine(executor_only: Served) -> AsyncEngine:
    """The executor-only app's: the ``statements`` it sends are counted."""
    found: AsyncEngine = executor_only.state["engine"]
    return found


@pytest.fixture
async def client(executor_only: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(executor_only) as http:
        yield http


FOLDERS = """
query Folders($first: Int!) {
  cases(first: $first) {
    totalCount
    edges { node {
      folder
      responsibleLawyer { name }
      parties { role isClient person { name } }
      movements(first: 10) { totalCount edges { node { description source createdBy { name } } } }
      documents(first: 10) { totalCount edges { node { title } } }
      tasks { title assignee { name } }
    } }
  }
}
"""


async def _fill(
    engine: AsyncEngine, office: Staff, case_count: int, per_case: int = 12
) -> uuid.UUID:
    """Cases with the same client, an opponent, ``per_case`` movements (half from the
    court) and as many documents (likewise) each; the client's person id."""
    viewer = Viewer(
        account_id=office.admin_id,
        office_id=office.office_id,
        role=Role.ADMIN,
        email=office.email,
        name="Ana Admin",
        session_id=office.office_id,
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    async with transaction(engine) as db:
        await act_as(db, viewer)
        client = await persons.create_person(db, viewer=viewer, person=PersonCreate(name="Cliente"))
        for n in range(case_count):
            case = await cases.create_case(
                db,
                viewer=viewer,
                case=CaseCreate(title=f"Caso {n}", responsible_lawyer_id=office.lawyer_id),
            )
            opponent = await persons.create_person(
                db, viewer=viewer, person=PersonCreate(name=f"Réu {n}")
            )
            for person, role, is_client in (
                (client, PartyRole.PLAINTIFF, True),
                (opponent, PartyRole.DEFENDANT, False),
            ):
                await cases.add_party(
                    db,
                    viewer=viewer,
                    case_id=case["id"],
                    person_id=person["id"],
                    role=role,
                    is_client=is_client,
                )
            for m in range(per_case):
                await movements.add_movement(
                    db,
                    viewer=viewer,
                    case_id=case["id"],
                    movement=MovementCreate(
                        occurred_at=start + timedelta(days=m),
                        description=f"Andamento {m}",
                        source=Source.COURT if m % 2 else Source.INTERNAL,
                    ),
                )
            await tasks.create_task(
                db,
                viewer=viewer,
                case_id=case["id"],
                task=TaskCreate(title="Prazo", assignee_id=office.lawyer_id),
            )
            for d in range(per_case):  # uploads arrive with a later release: rows written directly
                await db.execute(
                    sa.insert(documents).values(
                        office_id=office.office_id,
                        case_id=case["id"],
                        title=f"Documento {d}",
                        file_name=f"doc{d}.pdf",
                        content_type="application/pdf",
                        size_bytes=1000,
                        sha256="0" * 64,
                        storage_key=f"k/{d}",
                        source=Source.COURT if d % 2 else Source.INTERNAL,
                    )
                )
    client_id: uuid.UUID = client["id"]
    return client_id


async def test_folder_listing_costs_the_same_statements_for_5_and_50_cases(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, statements: StatementCounter
) -> None:
    await _fill(engine, office, case_count=50)

    statements.reset()
    small = data(await gql(client, office.token, FOLDERS, {"first": 5}))
    small_count = statements.count

    statements.reset()
    large = data(await gql(client, office.token, FOLDERS, {"first": 50}))
    large_count = statements.count

    assert len(small["cases"]["edges"]) == 5
    assert len(large["cases"]["edges"]) == 50
    node = large["cases"]["edges"][0]["node"]
    assert len(node["movements"]["edges"]) == 10
    assert node["movements"]["totalCount"] == 12
    assert len(node["parties"]) == 2
    # session check, cases page, parties, movements, documents, tasks, and staff twice:
    # once for the cases' lawyers, once for the movements' and tasks' authors a level deeper
    assert small_count == large_count == 8, statements.statements


PERSONS_WITH_ACCESS = """
query People($first: Int!) {
  persons(first: $first) { edges { node { name portalAccess { enabled login lastLoginAt } } } }
}
"""


async def test_portal_access_of_a_page_of_persons_is_one_statement(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, statements: StatementCounter
) -> None:
    # given 30 persons, every third one with portal access
    await _fill(engine, office, case_count=29)
    ids = [
        edge["node"]["id"]
        for edge in data(
            await gql(client, office.token, "{ persons(first: 30) { edges { node { id } } } }")
        )["persons"]["edges"]
    ]
    for person_id in ids[::3]:
        await grant(client, office.token, person_id, unique_email())

    # when a page of 5 and a page of 30 are read with their portal access
    counts = []
    for first in (5, 30):
        statements.reset()
        page = data(await gql(client, office.token, PERSONS_WITH_ACCESS, {"first": first}))
        counts.append(statements.count)
        assert len(page["persons"]["edges"]) == first

    # then each costs the session check, the page and one statement for every access
    assert sum(edge["node"]["portalAccess"]["enabled"] for edge in page["persons"]["edges"]) == 10
    assert counts == [3, 3], statements.statements


async def test_a_clients_folders_cost_the_same_statements_for_5_and_20_cases(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, statements: StatementCounter
) -> None:
    # given a client with portal access, tagged in 25 folders
    person_id = await _fill(engine, office, case_count=25, per_case=20)
    invitation = await grant(client, office.token, id_of("Person", person_id), unique_email())
    assert (await accept(client, invitation["token"], CLIENT_PASSWORD)).status_code == 200
    token = (await sign_in(client, invitation["access"]["login"], CLIENT_PASSWORD))["access_token"]

    # when the client reads 5 folders, then 20
    counts = []
    for first in (5, 20):
        statements.reset()
        answer = data(await gql(client, token, CLIENT_FOLDERS, {"first": first}))
        counts.append(statements.count)
        assert len(answer["cases"]["edges"]) == first

    # then each folder has its parties and its 10 court movements and documents
    node = answer["cases"]["edges"][0]["node"]
    assert len(node["parties"]) == 2
    assert node["movements"]["totalCount"] == node["documents"]["totalCount"] == 10
    assert len(node["movements"]["edges"]) == len(node["documents"]["edges"]) == 10
    assert {edge["node"]["source"] for edge in node["movements"]["edges"]} == {"COURT"}
    # and the cost is the session check, cases, parties, movements, documents and lawyers
    assert counts == [6, 6], statements.statements


PORTAL_READ = """
query Portal($first: Int!) {
  cases(first: $first) { edges { node { id folder title cnjNumber court status
    movements(first: 10) { edges { node { occurredAt description code } } } } } }
}
"""


class WireLog:
    """Every statement that a pooled connection sends while checked out, as asyncpg's query
    logger sees it: BEGIN and COMMIT of ``Connection.transaction()`` included (asyncpg
    sends them through ``Connection.execute``, which logs them like any other)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def record(self, logged: Any) -> None:
        self.statements.append(logged.query)

    def checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(self.record)

    def checkin(self, dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.driver_connection.remove_query_logger(self.record)

    async def taken(self) -> list[str]:
        """The statements logged since the last call (asyncpg calls its loggers soon after
        each statement, on the event loop)."""
        for _ in range(3):
            await asyncio.sleep(0)
        taken, self.statements = self.statements, []
        return taken


@pytest.fixture
def wire(served: Served) -> Iterator[WireLog]:
    """The statements of the session's app, whose reads are compiled and stored."""
    log = WireLog()
    pooled = served.state["engine"].sync_engine
    event.listen(pooled, "checkout", log.checkout)
    event.listen(pooled, "checkin", log.checkin)
    yield log
    event.remove(pooled, "checkout", log.checkout)
    event.remove(pooled, "checkin", log.checkin)


async def test_a_compiled_client_read_sends_four_statements_whatever_its_page_and_a_stored_one_one(
    engine: AsyncEngine, office: Staff, served: Served, wire: WireLog
) -> None:
    async with http_client(served) as client:
        await _four_statements(client, engine, office, served, wire)


def _without_access_log(statements: list[str]) -> list[str]:
    """The read's own statements: the access log's recorder writes its batch on a
    connection of its own (db/activity.py), whenever its second is up, in a transaction
    of SQLAlchemy's (``BEGIN;`` … ``COMMIT;``, where a read sends ``COMMIT``)."""
    return [
        statement
        for statement in statements
        if statement not in {"BEGIN;", "COMMIT;"} and "portal_activity" not in statement
    ]


async def _four_statements(
    client: httpx.AsyncClient, engine: AsyncEngine, office: Staff, served: Served, wire: WireLog
) -> None:
    # given a client tagged on 50 folders of 10 court movements each
    person_id = await _fill(engine, office, case_count=50, per_case=20)
    invitation = await grant(client, office.token, id_of("Person", person_id), unique_email())
    assert (await accept(client, invitation["token"], CLIENT_PASSWORD)).status_code == 200
    token = (await sign_in(client, invitation["access"]["login"], CLIENT_PASSWORD))["access_token"]
    counts = served.state["reads"].counts
    await wire.taken()

    # when the client reads 20 folders, then 50 (each for the first time), then 20 again
    sent = []
    for first in (20, 50, 20):
        compiled, cached = counts["compiled"], counts["cached"]
        answer = data(await gql(client, token, PORTAL_READ, {"first": first}))
        sent.append(_without_access_log(await wire.taken()))
        assert len(answer["cases"]["edges"]) == first
        node = answer["cases"]["edges"][0]["node"]
        assert len(node["movements"]["edges"]) == 10
        assert (counts["compiled"] - compiled, counts["cached"] - cached) == (
            (0, 1) if len(sent) == 3 else (1, 0)
        )

    # then a read is the session check, then BEGIN with the viewer's scope, the statement
    # that builds the answer and COMMIT; a stored answer needs the session check alone
    small, large, again = sent
    assert small[0] == large[0] == again[0] == accounts.SESSION_CHECK
    assert small[1] == large[1]
    assert small[1].startswith("BEGIN READ ONLY; SELECT set_config('causa.office_id', ")
    assert small[1].endswith(
        "; SET LOCAL ROLE causa_client; SET LOCAL plan_cache_mode = force_generic_plan"
    )
    assert small[2] == large[2]  # one statement for every page size
    assert small[2].startswith("SELECT CAST(json_build_object(")
    assert small[3] == large[3] == "COMMIT"
    assert [len(small), len(large), len(again)] == [4, 4, 1], sent
