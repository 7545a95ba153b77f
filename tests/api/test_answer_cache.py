"""The answer cache: a repeated read by the same session is answered with the stored
bytes while nothing it could see has changed, and fresh after any change.

Each test reads once (stored), once more (a hit: the cache holds it), then changes
something and reads again. Whether a read was a hit is read from the server's counts
("cached" goes up by one; a fresh compiled read raises "compiled" instead).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import (
    CLIENT_FOLDERS,
    CLIENT_PASSWORD,
    PDF,
    Docket,
    Staff,
    add_movement,
    add_party,
    create_case,
    make_docket,
    new_portal_client,
    sign_in,
    upload_document,
)
from tests.graphql_client import data, gql
from tests.serving import Served

FOLDERS = """
{ cases(first: 10) { totalCount edges { node {
    id title
    movements(first: 10) { edges { node { description source } } }
    documents(first: 10) { edges { node { title source } } }
} } } }
"""
REVOKE = "mutation R($p: ID!) { revokePortalAccess(personId: $p) { access { enabled } } }"
UPDATE_TITLE = (
    "mutation U($id: ID!, $t: String!) { updateCase(id: $id, input: {title: $t}) { case { id } } }"
)
REMOVE_PARTY = (
    "mutation R($c: ID!, $p: ID!) { removeCaseParty(caseId: $c, personId: $p) { removedId } }"
)


@dataclass
class Read:
    status: int
    content: bytes
    hit: bool  # answered from the cache
    compiled: bool  # answered by a statement run for it

    @property
    def body(self) -> Any:
        return httpx.Response(self.status, content=self.content).json()

    @property
    def titles(self) -> list[str]:
        return [edge["node"]["title"] for edge in self.body["data"]["cases"]["edges"]]


async def _read(
    http: httpx.AsyncClient,
    served: Served,
    token: str,
    query: str = FOLDERS,
    variables: dict[str, Any] | None = None,
) -> Read:
    counts: Counter[str] = served.state["reads"].counts
    before = counts.copy()
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {token}"},
    )
    hit = counts["cached"] - before["cached"]
    compiled = counts["compiled"] - before["compiled"]
    assert hit + compiled <= 1
    return Read(response.status_code, response.content, hit == 1, compiled == 1)


async def _stored(http: httpx.AsyncClient, served: Served, token: str) -> Read:
    """The read made twice: the first compiled and stored, the second the stored bytes."""
    first = await _read(http, served, token)
    second = await _read(http, served, token)
    assert first.status == 200, first.content
    assert "errors" not in first.body, first.content
    assert (first.compiled, first.hit) == (True, False)
    assert (second.compiled, second.hit) == (False, True)
    assert second.content == first.content
    return second


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


async def test_the_same_read_by_the_same_session_is_answered_from_the_cache(
    client: httpx.AsyncClient, served: Served, docket: Docket
) -> None:
    stored = await _stored(client, served, docket.client.token)

    assert stored.titles == ["Ação de cobrança"]
    movements = stored.body["data"]["cases"]["edges"][0]["node"]["movements"]["edges"]
    assert [edge["node"]["description"] for edge in movements] == ["Sentença publicada"]


async def test_a_write_through_graphql_makes_the_next_read_fresh(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    await _stored(client, served, docket.client.token)

    variables = {"id": docket.own, "t": "Ação de cobrança (revista)"}
    data(await gql(client, office.token, UPDATE_TITLE, variables))
    fresh = await _read(client, served, docket.client.token)

    assert (fresh.compiled, fresh.hit) == (True, False)
    assert fresh.titles == ["Ação de cobrança (revista)"]


async def test_the_client_tag_taken_off_makes_the_next_read_fresh(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    await _stored(client, served, docket.client.token)

    await add_party(client, office, docket.own, docket.client.person_id, is_client=False)
    fresh = await _read(client, served, docket.client.token)

    assert (fresh.compiled, fresh.hit) == (True, False)
    assert fresh.titles == []


async def test_a_party_removed_makes_the_next_read_fresh(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    await _stored(client, served, docket.client.token)

    variables = {"c": docket.own, "p": docket.client.person_id}
    assert data(await gql(client, office.token, REMOVE_PARTY, variables))["removeCaseParty"]
    fresh = await _read(client, served, docket.client.token)

    assert (fresh.compiled, fresh.hit) == (True, False)
    assert fresh.titles == []


async def test_a_revocation_stops_the_very_next_request_though_its_answer_is_stored(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    await _stored(client, served, docket.client.token)

    data(await gql(client, office.token, REVOKE, {"p": docket.client.person_id}))
    refused = await _read(client, served, docket.client.token)

    assert (refused.status, refused.hit, refused.compiled) == (401, False, False)
    assert refused.body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_court_document_uploaded_makes_the_next_read_fresh(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    await _stored(client, served, docket.client.token)

    uploaded = await upload_document(
        client, office.token, docket.own, PDF, source="COURT", title="Sentença digitalizada"
    )
    data(uploaded)
    fresh = await _read(client, served, docket.client.token)

    assert (fresh.compiled, fresh.hit) == (True, False)
    documents = fresh.body["data"]["cases"]["edges"][0]["node"]["documents"]["edges"]
    assert [edge["node"] for edge in documents] == [
        {"title": "Sentença digitalizada", "source": "COURT"}
    ]


async def test_a_court_movement_added_makes_the_next_read_fresh(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    await _stored(client, served, docket.client.token)

    await add_movement(
        client,
        office.token,
        docket.own,
        occurredAt="2024-06-03T09:00:00-03:00",
        description="Trânsito em julgado",
        source="COURT",
    )
    fresh = await _read(client, served, docket.client.token)

    assert (fresh.compiled, fresh.hit) == (True, False)
    movements = fresh.body["data"]["cases"]["edges"][0]["node"]["movements"]["edges"]
    assert [edge["node"]["description"] for edge in movements] == [
        "Trânsito em julgado",
        "Sentença publicada",
    ]


def _download_tokens(read: Read) -> list[str]:
    return re.findall(r"/documents/[0-9a-f-]{36}\?token=([^\"]+)", read.content.decode())


async def test_another_session_of_the_same_client_gets_links_of_its_own(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    data(await upload_document(client, office.token, docket.own, PDF, source="COURT"))
    first_session = docket.client.token
    second_session = (await sign_in(client, docket.client.email, CLIENT_PASSWORD))["access_token"]
    folders = {"first": 10}
    await _read(client, served, first_session, CLIENT_FOLDERS, folders)
    stored = await _read(client, served, first_session, CLIENT_FOLDERS, folders)
    assert stored.hit

    other = await _read(client, served, second_session, CLIENT_FOLDERS, folders)

    assert (other.compiled, other.hit) == (True, False)
    [stored_token], [other_token] = _download_tokens(stored), _download_tokens(other)
    # office.account.session.role.expires.signature: the session is the link's own
    assert stored_token.split(".")[2] != other_token.split(".")[2]
    assert stored_token.split(".")[:2] == other_token.split(".")[:2]


async def test_a_viewer_never_gets_another_viewers_stored_answer(
    client: httpx.AsyncClient, served: Served, office: Staff
) -> None:
    readers = []
    for name in ("Clara", "Bruno"):
        portal = await new_portal_client(client, office, name=name)
        case_id = (await create_case(client, office.token, title=f"Pasta de {name}"))["id"]
        await add_party(client, office, case_id, portal.person_id, is_client=True)
        readers.append((name, portal.token))
    stored = {name: await _stored(client, served, token) for name, token in readers}

    for name, token in readers:
        again = await _read(client, served, token)
        assert again.hit
        assert again.titles == [f"Pasta de {name}"]
    assert stored["Clara"].titles == ["Pasta de Clara"]
    assert stored["Bruno"].titles == ["Pasta de Bruno"]


async def test_a_write_in_another_office_leaves_the_stored_answer_valid(
    client: httpx.AsyncClient, served: Served, other_office: Staff, docket: Docket
) -> None:
    elsewhere = (await create_case(client, other_office.token, title="Outra pasta"))["id"]
    stored = await _stored(client, served, docket.client.token)

    data(await gql(client, other_office.token, UPDATE_TITLE, {"id": elsewhere, "t": "Revista"}))
    again = await _read(client, served, docket.client.token)

    assert (again.compiled, again.hit) == (False, True)
    assert again.content == stored.content
