"""The access log: every client sign-in, folder list, folder read and download is
recorded once, whichever way it was answered (compiled, from the answer cache, by the
executor), and read back by the office's staff per person and by the client alone;
writing it never fails a read; it is purged after the retention, never below six months.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from db import activity
from db.session import act_as, transaction
from domain.viewer import Role, Viewer
from settings import ConfigurationError, Settings
from tests.auth.test_oauth import (
    authorize_query,
    exchange,
    new_pkce,
    post_sign_in,
    redirect_parameters,
    register,
    sign_in_page,
)
from tests.factories import (
    PDF,
    Docket,
    Staff,
    key_of,
    make_docket,
    new_portal_client,
    sign_in,
    upload_document,
)
from tests.graphql_client import data, gql
from tests.serving import Served

USER_AGENT = "CausaPortal/1.0 (Android 14; Pixel 8)"
ACTIVITY_FIELDS = "id action case { id } document { id } ipAddress userAgent occurredAt"
PERSON_ACTIVITY = f"""
query Activity($id: ID!) {{
  person(id: $id) {{ portalActivity(first: 50) {{ totalCount edges {{ node {{
    {ACTIVITY_FIELDS}
  }} }} }} }}
}}
"""
OWN_ACTIVITY = f"""
{{ viewer {{ activity(first: 50) {{ totalCount edges {{ node {{ {ACTIVITY_FIELDS} }} }} }} }} }}
"""
# compiled: both root fields are the compiler's
LIST_AND_READ = "query Read($id: ID!) { cases(first: 5) { totalCount } case(id: $id) { title } }"
# the executor: node(id:) is not compiled
BY_NODE = "query Read($id: ID!) { cases(first: 5) { totalCount } node(id: $id) { id } }"
FOLDER_DOCUMENTS = """
query Docs($id: ID!) { case(id: $id) { documents { edges { node { id downloadUrl } } } } }
"""
_addresses = itertools.count(1)


@pytest.fixture
async def portal(served: Served) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client of the app from an address of its own, with a portal app's User-Agent."""
    n = next(_addresses)
    address = f"203.0.{n // 250}.{n % 250 + 1}"
    transport = httpx.ASGITransport(app=served, client=(address, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://causa.test", headers={"User-Agent": USER_AGENT}
    ) as http:
        yield http, address


@pytest.fixture
async def docket(portal: tuple[httpx.AsyncClient, str], office: Staff) -> Docket:
    """A client (signed in once, from ``portal``) tagged in one folder of ``office``."""
    return await make_docket(portal[0], office)


async def person_activity(
    http: httpx.AsyncClient, served: Served, token: str, person_id: str
) -> list[dict[str, Any]]:
    """A person's log as staff read it, once the recorder has written what it holds."""
    await served.state["access_log"].flush()
    body = data(await gql(http, token, PERSON_ACTIVITY, {"id": person_id}))
    assert body["person"] is not None
    return [edge["node"] for edge in body["person"]["portalActivity"]["edges"]]


def actions(nodes: list[dict[str, Any]]) -> list[tuple[str, str | None, str | None]]:
    """Oldest first: (action, case id, document id)."""
    return [
        (
            node["action"],
            node["case"] and node["case"]["id"],
            node["document"] and node["document"]["id"],
        )
        for node in reversed(nodes)
    ]


async def read(
    http: httpx.AsyncClient, served: Served, token: str, query: str, variables: dict[str, Any]
) -> tuple[dict[str, Any], Counter[str]]:
    """The answer, and how it was answered (compiled, cached, executor)."""
    counts: Counter[str] = served.state["reads"].counts
    before = counts.copy()
    body = await gql(http, token, query, variables)
    return data(body), counts - before


# --- what is recorded ---------------------------------------------------------------------


async def test_a_client_sign_in_is_recorded_with_address_and_user_agent(
    portal: tuple[httpx.AsyncClient, str], office: Staff, served: Served
) -> None:
    http, address = portal
    # given a client who set a password and signed in once (the factory's sign-in)
    signed = await new_portal_client(http, office)

    # when they sign in again with a very long User-Agent
    long_agent = "A" * 800
    await sign_in(http, signed.email, signed.password)
    response = await http.post(
        "/auth/token",
        data={"grant_type": "password", "username": signed.email, "password": signed.password},
        headers={"User-Agent": long_agent},
    )
    assert response.status_code == 200

    # then staff read three sign-ins, newest first, each with the address and agent
    nodes = await person_activity(http, served, office.token, signed.person_id)
    assert actions(nodes) == [("SIGN_IN", None, None)] * 3
    assert [node["ipAddress"] for node in nodes] == [address] * 3
    assert [node["userAgent"] for node in nodes] == ["A" * 500, USER_AGENT, USER_AGENT]
    times = [datetime.fromisoformat(node["occurredAt"]) for node in nodes]
    assert times == sorted(times, reverse=True)
    assert datetime.now(UTC) - times[0] < timedelta(minutes=1)


async def test_a_failed_or_staff_sign_in_records_nothing(
    portal: tuple[httpx.AsyncClient, str], office: Staff, owner_engine: AsyncEngine, served: Served
) -> None:
    http, _ = portal
    signed = await new_portal_client(http, office)
    wrong = await http.post(
        "/auth/token",
        data={"grant_type": "password", "username": signed.email, "password": "errada!!"},
    )
    assert wrong.status_code == 400
    await sign_in(http, office.email, office.password)

    assert actions(await person_activity(http, served, office.token, signed.person_id)) == [
        ("SIGN_IN", None, None)
    ]
    assert await rows_of_account(owner_engine, office.office_id, office.admin_id) == 0


async def test_an_oauth_code_exchange_by_a_client_is_a_sign_in(
    portal: tuple[httpx.AsyncClient, str], office: Staff, served: Served
) -> None:
    http, address = portal
    signed = await new_portal_client(http, office)
    app, pkce = await register(http, office), new_pkce()
    page = await sign_in_page(http, authorize_query(app, pkce))
    code = redirect_parameters(await post_sign_in(http, page, signed.email, signed.password))

    response = await exchange(http, app, code["code"], pkce)
    assert response.status_code == 200, response.text

    nodes = await person_activity(http, served, office.token, signed.person_id)
    assert actions(nodes) == [("SIGN_IN", None, None)] * 2
    assert (nodes[0]["ipAddress"], nodes[0]["userAgent"]) == (address, USER_AGENT)


async def test_a_compiled_read_and_its_cached_repeat_are_each_recorded(
    portal: tuple[httpx.AsyncClient, str], office: Staff, docket: Docket, served: Served
) -> None:
    http, _ = portal
    token = docket.client.token

    # when the client lists their folders and reads one, twice (the second from the cache)
    first, how = await read(http, served, token, LIST_AND_READ, {"id": docket.own})
    assert how == Counter(compiled=1)
    again, how = await read(http, served, token, LIST_AND_READ, {"id": docket.own})
    assert how == Counter(cached=1)
    assert again == first
    # and asks for a folder that is not theirs (null: nothing read)
    refused, how = await read(http, served, token, LIST_AND_READ, {"id": docket.others})
    assert refused["case"] is None
    assert how == Counter(compiled=1)

    # then each read is in the log once, with the folder it read
    assert actions(await person_activity(http, served, office.token, docket.client.person_id)) == [
        ("SIGN_IN", None, None),
        ("CASE_LIST", None, None),
        ("CASE_VIEW", docket.own, None),
        ("CASE_LIST", None, None),
        ("CASE_VIEW", docket.own, None),
        ("CASE_LIST", None, None),
    ]


async def test_an_executor_read_is_recorded(
    portal: tuple[httpx.AsyncClient, str], office: Staff, docket: Docket, served: Served
) -> None:
    http, _ = portal
    token = docket.client.token

    answered, how = await read(http, served, token, BY_NODE, {"id": docket.own})
    assert answered["node"] == {"id": docket.own}
    assert how == Counter(executor=1)
    # the same folder twice in one operation is one read of it
    twice = "query R($id: ID!) { a: case(id: $id) { id } b: node(id: $id) { id } }"
    _, how = await read(http, served, token, twice, {"id": docket.own})
    assert how == Counter(executor=1)
    hidden, _ = await read(http, served, token, BY_NODE, {"id": docket.others})
    assert hidden["node"] is None

    assert actions(await person_activity(http, served, office.token, docket.client.person_id)) == [
        ("SIGN_IN", None, None),
        ("CASE_LIST", None, None),
        ("CASE_VIEW", docket.own, None),
        ("CASE_VIEW", docket.own, None),
        ("CASE_LIST", None, None),
    ]


async def test_staff_reads_are_not_recorded(
    portal: tuple[httpx.AsyncClient, str],
    office: Staff,
    docket: Docket,
    owner_engine: AsyncEngine,
    served: Served,
) -> None:
    http, _ = portal
    await gql(http, office.token, LIST_AND_READ, {"id": docket.own})
    await gql(http, office.token, BY_NODE, {"id": docket.own})
    await served.state["access_log"].flush()

    assert await rows_of_account(owner_engine, office.office_id, office.admin_id) == 0


async def test_a_download_is_recorded_once_not_each_further_range(
    portal: tuple[httpx.AsyncClient, str], office: Staff, docket: Docket, served: Served
) -> None:
    http, address = portal
    uploaded = await upload_document(http, office.token, docket.own, PDF)
    document_id = data(uploaded)["uploadDocument"]["document"]["id"]
    folder = data(await gql(http, docket.client.token, FOLDER_DOCUMENTS, {"id": docket.own}))
    (edge,) = folder["case"]["documents"]["edges"]
    url = urlsplit(edge["node"]["downloadUrl"])
    path = f"{url.path}?{url.query}"

    # when the client downloads it, then a reader fetches a later part of it
    assert (await http.get(path)).content == PDF
    assert (await http.get(path, headers={"Range": "bytes=100-199"})).status_code == 206

    nodes = await person_activity(http, served, office.token, docket.client.person_id)
    assert actions(nodes) == [
        ("SIGN_IN", None, None),
        ("CASE_VIEW", docket.own, None),
        ("DOCUMENT_DOWNLOAD", docket.own, document_id),
    ]
    assert (nodes[0]["ipAddress"], nodes[0]["userAgent"]) == (address, USER_AGENT)


async def test_the_recorder_writes_by_itself_within_seconds(
    portal: tuple[httpx.AsyncClient, str], docket: Docket, owner_engine: AsyncEngine
) -> None:
    http, _ = portal
    before = await rows_of_person(owner_engine, docket)
    await gql(http, docket.client.token, LIST_AND_READ, {"id": docket.own})

    # no flush asked for: the recorder writes every second
    for _ in range(50):
        if await rows_of_person(owner_engine, docket) == before + 2:
            break
        await asyncio.sleep(0.1)
    assert await rows_of_person(owner_engine, docket) == before + 2


async def test_reading_the_log_goes_to_the_executor(
    portal: tuple[httpx.AsyncClient, str], office: Staff, docket: Docket, served: Served
) -> None:
    http, _ = portal
    _, how = await read(http, served, docket.client.token, OWN_ACTIVITY, {})
    assert how == Counter(executor=1)
    _, how = await read(
        http, served, office.token, PERSON_ACTIVITY, {"id": docket.client.person_id}
    )
    assert how == Counter(executor=1)


# --- who reads it -------------------------------------------------------------------------


async def test_a_client_reads_only_their_own_activity(
    portal: tuple[httpx.AsyncClient, str], office: Staff, docket: Docket, served: Served
) -> None:
    http, _ = portal
    neighbour = await new_portal_client(http, office, name="João Vizinho")
    await gql(http, neighbour.token, LIST_AND_READ, {"id": docket.own})
    await gql(http, docket.client.token, LIST_AND_READ, {"id": docket.own})
    await served.state["access_log"].flush()

    own = data(await gql(http, docket.client.token, OWN_ACTIVITY))["viewer"]["activity"]
    nodes = [edge["node"] for edge in own["edges"]]
    assert actions(nodes) == [
        ("SIGN_IN", None, None),
        ("CASE_LIST", None, None),
        ("CASE_VIEW", docket.own, None),
    ]
    theirs = data(await gql(http, neighbour.token, OWN_ACTIVITY))["viewer"]["activity"]
    assert actions([edge["node"] for edge in theirs["edges"]]) == [
        ("SIGN_IN", None, None),
        ("CASE_LIST", None, None),
    ]
    # nor by its id
    found = await gql(
        http, neighbour.token, "query N($id: ID!) { node(id: $id) { id } }", {"id": nodes[0]["id"]}
    )
    assert data(found) == {"node": None}
    # and a client cannot ask for a person's log at all
    refused = await gql(http, docket.client.token, PERSON_ACTIVITY, {"id": neighbour.person_id})
    assert refused["errors"][0]["message"] == "Cannot query field 'person' on type 'Query'."


async def test_staff_of_another_office_see_nothing(
    portal: tuple[httpx.AsyncClient, str],
    office: Staff,
    other_office: Staff,
    docket: Docket,
    engine: AsyncEngine,
    served: Served,
) -> None:
    http, _ = portal
    nodes = await person_activity(http, served, office.token, docket.client.person_id)
    activity_id = nodes[0]["id"]

    # through the API: neither the person nor the record by its id
    person = await gql(http, other_office.token, PERSON_ACTIVITY, {"id": docket.client.person_id})
    assert data(person) == {"person": None}
    found = await gql(
        http, other_office.token, "query N($id: ID!) { node(id: $id) { id } }", {"id": activity_id}
    )
    assert data(found) == {"node": None}
    # and in the database, row-level security alone keeps every row of the office away
    assert await visible_rows(engine, staff_of(other_office)) == 0
    assert await visible_rows(engine, staff_of(office)) >= 1


async def test_the_log_is_paged_newest_first_by_keyset(
    portal: tuple[httpx.AsyncClient, str], office: Staff, docket: Docket, served: Served
) -> None:
    http, _ = portal
    for _ in range(3):
        await gql(http, docket.client.token, BY_NODE, {"id": docket.own})
    await served.state["access_log"].flush()
    page = """
    query P($id: ID!, $after: String) { person(id: $id) { portalActivity(first: 3, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { action } } } } }
    """
    first = data(await gql(http, office.token, page, {"id": docket.client.person_id}))
    connection = first["person"]["portalActivity"]
    assert [edge["node"]["action"] for edge in connection["edges"]] == [
        "CASE_VIEW",
        "CASE_LIST",
        "CASE_VIEW",
    ]
    assert connection["pageInfo"]["hasNextPage"] is True
    variables = {"id": docket.client.person_id, "after": connection["pageInfo"]["endCursor"]}
    rest = data(await gql(http, office.token, page, variables))["person"]["portalActivity"]
    assert [edge["node"]["action"] for edge in rest["edges"]] == [
        "CASE_LIST",
        "CASE_VIEW",
        "CASE_LIST",
    ]
    assert rest["pageInfo"]["hasNextPage"] is True


# --- a failing log never fails the read ---------------------------------------------------


async def test_a_failing_log_write_does_not_fail_the_read(
    portal: tuple[httpx.AsyncClient, str],
    office: Staff,
    docket: Docket,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    http, _ = portal

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionResetError("the database went away")

    # given a database that refuses the log's writes
    monkeypatch.setattr(activity, "write", broken)
    token = docket.client.token
    with caplog.at_level(logging.ERROR, logger="causa.activity"):
        # when the client reads, compiled, from the cache and through the executor
        compiled, how = await read(http, served, token, LIST_AND_READ, {"id": docket.own})
        assert how == Counter(compiled=1)
        cached, how = await read(http, served, token, LIST_AND_READ, {"id": docket.own})
        assert how == Counter(cached=1)
        executed, how = await read(http, served, token, BY_NODE, {"id": docket.own})
        assert how == Counter(executor=1)
        await served.state["access_log"].flush()

    # then every read is answered in full, and the failed write is logged
    assert compiled == cached
    assert compiled["case"] == {"title": "Ação de cobrança"}
    assert executed["node"] == {"id": docket.own}
    (logged,) = caplog.records
    assert logged.getMessage().startswith("the access log could not write ")
    assert logged.getMessage().endswith(" records (kept for the next try; 0 lost)")
    # and once the database takes them again, the records kept are written
    monkeypatch.undo()
    assert actions(await person_activity(http, served, office.token, docket.client.person_id)) == [
        ("SIGN_IN", None, None),
        *[("CASE_LIST", None, None), ("CASE_VIEW", docket.own, None)] * 3,
    ]


# --- retention ----------------------------------------------------------------------------


async def test_the_purge_deletes_only_what_is_older_than_the_retention(
    portal: tuple[httpx.AsyncClient, str],
    office: Staff,
    docket: Docket,
    engine: AsyncEngine,
    owner_engine: AsyncEngine,
    served: Served,
) -> None:
    http, _ = portal
    person = key_of(docket.client.person_id)
    # given records of 400, 200 and 100 days ago, besides today's sign-in
    async with owner_engine.begin() as connection:
        account = await connection.scalar(
            sa.text("SELECT id FROM account WHERE office_id = :o AND person_id = :p"),
            {"o": office.office_id, "p": person},
        )
        for days in (400, 200, 100):
            await connection.execute(
                sa.text(
                    "INSERT INTO portal_activity (office_id, account_id, person_id, action, "
                    "occurred_at) VALUES (:o, :a, :p, 'CASE_LIST', "
                    "now() - make_interval(days => :d))"
                ),
                {"o": office.office_id, "a": account, "p": person, "d": days},
            )

    # when the log is purged at 183 days (six months)
    async with transaction(engine) as db:
        purged = await activity.purge(db, keep_days=183)

    # then the two older records are gone, at least (other tests' rows are all recent)
    assert purged == 2
    kept = await person_activity(http, served, office.token, docket.client.person_id)
    assert [node["action"] for node in kept] == ["SIGN_IN", "CASE_LIST"]
    # and the database itself refuses a shorter retention
    with pytest.raises(DBAPIError, match="kept at least 183 days"):
        async with transaction(engine) as db:
            await activity.purge(db, keep_days=182)


def test_purge_access_log_runs_from_the_command_line(database_url: str) -> None:
    from tests.test_cli import causa

    result = causa(database_url, "purge-access-log", CAUSA_ACCESS_LOG_RETENTION_DAYS="200")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Access log: ")
    assert result.stdout.endswith(" records older than 200 days deleted.\n")


@pytest.mark.parametrize("days", [0, 30, 182])
def test_a_retention_under_six_months_is_refused(days: int) -> None:
    with pytest.raises(ConfigurationError, match="kept at least 183 days"):
        Settings(access_log_retention_days=days)


def test_the_retention_is_a_year_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().access_log_retention_days == 365
    monkeypatch.setenv("CAUSA_ACCESS_LOG_RETENTION_DAYS", "183")
    assert Settings().access_log_retention_days == 183


# --- helpers over the database ------------------------------------------------------------


def staff_of(office: Staff) -> Viewer:
    return Viewer(
        account_id=office.admin_id,
        office_id=office.office_id,
        role=Role.ADMIN,
        email=office.email,
        name="Admin",
        session_id=uuid.uuid4(),
    )


async def visible_rows(engine: AsyncEngine, viewer: Viewer) -> int:
    """The rows a raw SELECT of ``viewer``'s transaction finds, with no filter of ours."""
    async with transaction(engine) as db:
        await act_as(db, viewer)
        return int(await db.scalar(sa.text("SELECT count(*) FROM portal_activity")))


async def rows_of_person(engine: AsyncEngine, docket: Docket) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            sa.text("SELECT count(*) FROM portal_activity WHERE person_id = :p"),
            {"p": key_of(docket.client.person_id)},
        )
    return int(count or 0)


async def rows_of_account(engine: AsyncEngine, office_id: uuid.UUID, account_id: uuid.UUID) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            sa.text(
                "SELECT count(*) FROM portal_activity WHERE office_id = :o AND account_id = :a"
            ),
            {"o": office_id, "a": account_id},
        )
    return int(count or 0)
