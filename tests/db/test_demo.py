"""The demo office: what `causa seed-demo` creates, and that it creates it only once.

Every test seeds inside a transaction that it rolls back, so the database is left as found.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.passwords import verify_password
from db.engine import create_engine
from db.offices import slugify
from db.session import Db
from db.tables import (
    PersonKind,
    Source,
    accounts,
    case_parties,
    cases,
    movements,
    offices,
    persons,
    tasks,
)
from demo import seed as demo
from domain import validators
from domain.viewer import Role

CHILD_TABLES = (accounts, persons, cases, case_parties, movements, tasks)


@pytest.fixture(scope="module")
async def demo_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=1)
    yield engine
    await engine.dispose()


@asynccontextmanager
async def rolled_back(engine: AsyncEngine) -> AsyncIterator[Db]:
    """A transaction that never commits, whatever happens inside."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield Db(connection)
        finally:
            await transaction.rollback()


async def demo_office_id(db: Db) -> uuid.UUID:
    office_id = await db.scalar(
        sa.select(offices.c.id).where(offices.c.slug == slugify(demo.OFFICE_NAME))
    )
    assert isinstance(office_id, uuid.UUID)
    return office_id


async def rows_of(db: Db, table: sa.Table, office_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await db.rows(sa.select(table).where(table.c.office_id == office_id))
    return [dict(row) for row in rows]


async def counts(db: Db, office_id: uuid.UUID) -> dict[str, int]:
    return {
        table.name: int(
            await db.scalar(
                sa.select(sa.func.count()).select_from(table).where(table.c.office_id == office_id)
            )
        )
        for table in CHILD_TABLES
    }


async def test_seed_returns_the_staff_and_portal_client_logins_which_work(
    demo_engine: AsyncEngine,
) -> None:
    async with rolled_back(demo_engine) as db:
        logins = await demo.seed(db)
        office_id = await demo_office_id(db)
        staff = await rows_of(db, accounts, office_id)
        carlos = await db.scalar(
            sa.select(persons.c.id).where(
                persons.c.office_id == office_id, persons.c.name == "Carlos Eduardo Ferreira Lima"
            )
        )

    assert [login.role for login in logins] == [Role.ADMIN, Role.LAWYER, Role.CLIENT]
    assert [login.email for login in logins] == [
        "admin@demo.causa.example",
        "advogada@demo.causa.example",
        "carlos.lima@example.com.br",
    ]
    assert all(len(login.password) >= 12 for login in logins)
    by_email = {account["email"]: account for account in staff}
    assert set(by_email) == {login.email for login in logins}
    for login in logins:
        account = by_email[login.email]
        assert account["role"] == login.role
        assert account["person_id"] == (carlos if login.role == Role.CLIENT else None)
        assert account["disabled_at"] is None
        assert verify_password(account["password_hash"], login.password)
    assert by_email["carlos.lima@example.com.br"]["granted_at"] is not None


async def test_seed_creates_a_realistic_valid_docket(demo_engine: AsyncEngine) -> None:
    async with rolled_back(demo_engine) as db:
        await demo.seed(db)
        office_id = await demo_office_id(db)
        staff_ids = {
            row["id"]
            for row in await rows_of(db, accounts, office_id)
            if row["role"] != Role.CLIENT
        }
        people = await rows_of(db, persons, office_id)
        docket = await rows_of(db, cases, office_id)
        parties = await rows_of(db, case_parties, office_id)
        history = await rows_of(db, movements, office_id)
        deadlines = await rows_of(db, tasks, office_id)

    assert len(staff_ids) == 2
    assert len(people) == len(demo.PERSONS) >= 12
    assert {person["kind"] for person in people} == {PersonKind.NATURAL, PersonKind.LEGAL}
    tax_ids = [person["tax_id"] for person in people if person["tax_id"] is not None]
    assert len(tax_ids) >= 12
    for person in people:
        if person["tax_id"] is not None:
            assert validators.tax_id(person["tax_id"], kind=person["kind"]) == person["tax_id"]

    assert len(docket) == demo.CASE_COUNT >= 30
    assert sorted(case["folder"] for case in docket) == [
        f"{number:05d}" for number in range(1, demo.CASE_COUNT + 1)
    ]
    assert {case["responsible_lawyer_id"] for case in docket} == staff_ids
    assert Counter(case["status"] for case in docket).most_common(1)[0][0] == "ACTIVE"
    assert len({case["status"] for case in docket}) >= 2
    assert {case["court"] for case in docket} >= {"TJSP", "TRF-3"}
    assert {case["cnj_number"].split(".")[2] for case in docket} == {"4", "5", "8"}
    today = datetime.now(UTC).date()
    for case in docket:
        assert validators.cnj_number(case["cnj_number"]) == case["cnj_number"]
        assert case["cnj_number"].split(".")[1] == str(case["filed_on"].year)
        assert case["filed_on"] < today
        assert case["claim_value"] > 0
        assert case["claim_value"] == case["claim_value"].quantize(Decimal("0.01"))
        assert case["title"]
        assert case["court_division"]
        assert case["district"]
        assert case["fee_agreement"]

    parties_by_case: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for party in parties:
        parties_by_case.setdefault(party["case_id"], []).append(party)
    assert set(parties_by_case) == {case["id"] for case in docket}
    for case_parties_ in parties_by_case.values():
        clients = [party for party in case_parties_ if party["is_client"]]
        opponents = [party for party in case_parties_ if not party["is_client"]]
        assert 1 <= len(clients) <= 2
        assert len(opponents) == 1
        assert {party["role"] for party in clients} in ({"PLAINTIFF"}, {"DEFENDANT"})
        assert opponents[0]["role"] != clients[0]["role"]
    cases_per_client = Counter(party["person_id"] for party in parties if party["is_client"])
    assert max(cases_per_client.values()) >= 3

    filed_on = {case["id"]: case["filed_on"] for case in docket}
    per_case = Counter(movement["case_id"] for movement in history)
    assert set(per_case) == set(filed_on)
    assert all(3 <= count <= 8 for count in per_case.values())
    assert {movement["source"] for movement in history} == {Source.COURT, Source.INTERNAL}
    now = datetime.now(UTC)
    for movement in history:
        occurred_at = movement["occurred_at"]
        assert occurred_at < now
        assert occurred_at.date() >= filed_on[movement["case_id"]]
        assert movement["created_by_id"] in staff_ids
        if movement["source"] == Source.COURT:
            assert movement["code"] is not None
        else:
            assert movement["code"] is None
    first_codes = {
        min((m for m in history if m["case_id"] == case_id), key=lambda m: m["occurred_at"])["code"]
        for case_id in filed_on
    }
    assert first_codes == {26}

    assert deadlines
    assert {task["case_id"] for task in deadlines} < set(filed_on)
    assert all(task["assignee_id"] in staff_ids for task in deadlines)
    assert any(task["done"] for task in deadlines)
    assert any(not task["done"] for task in deadlines)
    assert all(abs((task["due_on"] - today).days) <= 31 for task in deadlines)


async def test_seeding_twice_creates_nothing_new(demo_engine: AsyncEngine) -> None:
    async with rolled_back(demo_engine) as db:
        first = await demo.seed(db)
        office_id = await demo_office_id(db)
        before = await counts(db, office_id)
        second = await demo.seed(db)
        after = await counts(db, office_id)
        office_rows = await db.scalar(
            sa.select(sa.func.count())
            .select_from(offices)
            .where(offices.c.slug == slugify(demo.OFFICE_NAME))
        )

    assert second == first
    assert after == before
    assert office_rows == 1


async def test_seeding_a_demo_office_made_before_the_portal_adds_its_portal_client(
    demo_engine: AsyncEngine,
) -> None:
    # given a demo office without its portal client
    async with rolled_back(demo_engine) as db:
        await demo.seed(db)
        office_id = await demo_office_id(db)
        await db.execute(
            sa.delete(accounts).where(
                accounts.c.office_id == office_id, accounts.c.role == Role.CLIENT
            )
        )

        # when it is seeded again
        await demo.seed(db)
        client = await db.row(
            sa.select(accounts).where(
                accounts.c.office_id == office_id, accounts.c.email == demo.PORTAL_CLIENT.email
            )
        )

    # then the printed portal login works
    assert client is not None
    assert client["role"] == Role.CLIENT
    assert verify_password(client["password_hash"], demo.PORTAL_CLIENT.password)


async def test_the_demo_data_is_the_same_every_time(demo_engine: AsyncEngine) -> None:
    async def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        async with rolled_back(demo_engine) as db:
            await demo.seed(db)
            office_id = await demo_office_id(db)
            docket = sorted(
                (case["folder"], case["title"], case["cnj_number"], case["claim_value"])
                for case in await rows_of(db, cases, office_id)
            )
            people = sorted(
                (person["name"], person["tax_id"])
                for person in await rows_of(db, persons, office_id)
            )
        return docket, people

    assert await snapshot() == await snapshot()
