"""Staff correct what clients see: movements, documents and tasks changed or removed, a
task done, a case archived or removed, a person removed; each removal recorded for staff.

A client's next read reflects each change, on the compiled path and past the answer
cache alike: whether a read was answered from the cache is read from the server's
counts, as tests/api/test_answer_cache.py does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from settings import Settings
from tests.factories import (
    PDF,
    Docket,
    Staff,
    add_movement,
    add_party,
    create_case,
    create_person,
    id_of,
    key_of,
    make_docket,
    new_portal_client,
    upload_document,
)
from tests.graphql_client import data, gql, hidden, refusal, refused
from tests.serving import Served
from tests.storage import stored_files

FOLDERS = """
{ cases(first: 10) { totalCount edges { node {
    id title status
    movements(first: 10) { edges { node { id description source } } }
    documents(first: 10) { edges { node { id title source } } }
} } } }
"""
UPDATE_MOVEMENT = """
mutation U($id: ID!, $input: MovementUpdateInput!) {
  updateMovement(id: $id, input: $input) {
    movement { id occurredAt description code source }
    case { id movements { totalCount } }
  }
}
"""
REMOVE_MOVEMENT = """
mutation R($id: ID!) { removeMovement(id: $id) { removedId case { id movements { totalCount } } } }
"""
UPDATE_DOCUMENT = """
mutation U($id: ID!, $input: DocumentUpdateInput!) {
  updateDocument(id: $id, input: $input) { document { id title source } case { id } }
}
"""
REMOVE_DOCUMENT = """
mutation R($id: ID!) { removeDocument(id: $id) { removedId case { documents { totalCount } } } }
"""
CREATE_TASK = """
mutation T($caseId: ID!, $input: TaskInput!) { createTask(caseId: $caseId, input: $input) {
  task { id }
} }
"""
TASK_FIELDS = "task { id title dueOn done assignee { id } } case { id tasks { title done } }"
UPDATE_TASK = f"""
mutation U($id: ID!, $input: TaskUpdateInput!) {{ updateTask(id: $id, input: $input) {{
  {TASK_FIELDS}
}} }}
"""
COMPLETE_TASK = f"mutation C($id: ID!) {{ completeTask(id: $id) {{ {TASK_FIELDS} }} }}"
REMOVE_TASK = "mutation R($id: ID!) { removeTask(id: $id) { removedId case { tasks { title } } } }"
ARCHIVE_CASE = "mutation A($id: ID!) { archiveCase(id: $id) { case { id status } } }"
REMOVE_CASE = "mutation R($id: ID!) { removeCase(id: $id) { removedId } }"
REMOVE_PERSON = "mutation R($id: ID!) { removePerson(id: $id) { removedId } }"
UPDATE_STATUS = """
mutation U($id: ID!, $s: CaseStatus!) { updateCase(id: $id, input: {status: $s}) { case { id } } }
"""
REVOKE = "mutation R($p: ID!) { revokePortalAccess(personId: $p) { access { enabled } } }"
REMOVE_PARTY = (
    "mutation R($c: ID!, $p: ID!) { removeCaseParty(caseId: $c, personId: $p) { removedId } }"
)
REMOVALS = """
query Removals($first: Int, $after: String) {
  removals(first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id typeName removedId label caseId removedBy { id } removedAt } }
  }
}
"""
STAFF_CASE = "query C($id: ID!) { case(id: $id) { id status } }"
NODE = "query N($id: ID!) { node(id: $id) { id } }"
LINKS = "query L($id: ID!) { case(id: $id) { documents { edges { node { downloadUrl } } } } }"


@dataclass
class Read:
    body: Any
    hit: bool  # answered from the answer cache
    compiled: bool  # answered by a statement run for it

    @property
    def folders(self) -> list[dict[str, Any]]:
        return [edge["node"] for edge in self.body["data"]["cases"]["edges"]]

    def of(self, case_id: str) -> dict[str, Any]:
        [folder] = [node for node in self.folders if node["id"] == case_id]
        return folder


async def _read(http: httpx.AsyncClient, served: Served, token: str) -> Read:
    counts: Counter[str] = served.state["reads"].counts
    before = counts.copy()
    body = await gql(http, token, FOLDERS)
    assert "errors" not in body, body
    return Read(body, counts["cached"] > before["cached"], counts["compiled"] > before["compiled"])


async def _stored(http: httpx.AsyncClient, served: Served, token: str) -> Read:
    """The client's read, made until it is answered from the answer cache."""
    await _read(http, served, token)
    again = await _read(http, served, token)
    assert again.hit
    return again


async def _removals(http: httpx.AsyncClient, token: str, **page: Any) -> dict[str, Any]:
    found: dict[str, Any] = data(await gql(http, token, REMOVALS, page))["removals"]
    return found


async def _create_task(http: httpx.AsyncClient, office: Staff, case_id: str, **fields: Any) -> str:
    variables = {"caseId": case_id, "input": {"title": "Contestar", **fields}}
    task_id: str = data(await gql(http, office.token, CREATE_TASK, variables))["createTask"][
        "task"
    ]["id"]
    return task_id


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


# --- movements ---------------------------------------------------------------------------


async def test_a_lawyer_corrects_a_movement_and_the_clients_next_read_has_it(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    stored = await _stored(client, served, docket.client.token)
    [court] = stored.of(docket.own)["movements"]["edges"]

    variables = {
        "id": court["node"]["id"],
        "input": {"description": "Sentença publicada no DJe", "code": 123},
    }
    changed = data(await gql(client, office.lawyer_token, UPDATE_MOVEMENT, variables))

    assert changed["updateMovement"] == {
        "movement": {
            "id": court["node"]["id"],
            "occurredAt": "2024-05-02T17:30:00+00:00",
            "description": "Sentença publicada no DJe",
            "code": 123,
            "source": "COURT",
        },
        "case": {"id": docket.own, "movements": {"totalCount": 2}},
    }
    fresh = await _read(client, served, docket.client.token)
    assert (fresh.compiled, fresh.hit) == (True, False)
    assert [e["node"]["description"] for e in fresh.of(docket.own)["movements"]["edges"]] == [
        "Sentença publicada no DJe"
    ]


async def test_a_court_movement_made_internal_leaves_the_clients_next_read(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    stored = await _stored(client, served, docket.client.token)
    [court] = stored.of(docket.own)["movements"]["edges"]

    variables = {"id": court["node"]["id"], "input": {"source": "INTERNAL"}}
    data(await gql(client, office.token, UPDATE_MOVEMENT, variables))

    fresh = await _read(client, served, docket.client.token)
    assert (fresh.compiled, fresh.hit) == (True, False)
    assert fresh.of(docket.own)["movements"]["edges"] == []
    assert data(await gql(client, docket.client.token, NODE, {"id": court["node"]["id"]})) == {
        "node": None
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"description": "  "}, "description", "description must not be empty"),
        ({"description": None}, "description", "description must not be null."),
        ({"occurredAt": None}, "occurredAt", "occurredAt must not be null."),
        ({"source": None}, "source", "source must not be null."),
        ({"code": 0}, "code", "code must be a positive movement code, not 0."),
        (
            {"occurredAt": "1899-12-31T10:00:00-03:00"},
            "occurredAt",
            "occurredAt must be after 1900, not 1899-12-31 10:00:00-03:00.",
        ),
    ],
)
async def test_a_movement_is_corrected_only_with_what_add_movement_takes(
    client: httpx.AsyncClient,
    office: Staff,
    docket: Docket,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    movement = await add_movement(client, office.token, docket.own, description="Citação")

    variables = {"id": movement["id"], "input": change}
    answer = await refusal(client, office.token, UPDATE_MOVEMENT, variables)

    assert answer == {"message": message, "code": "BAD_USER_INPUT", "field": field}
    staff_read = data(await gql(client, office.token, NODE, {"id": movement["id"]}))
    assert staff_read == {"node": {"id": movement["id"]}}


async def test_a_movement_removed_is_gone_for_the_client_and_recorded_for_staff(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    stored = await _stored(client, served, docket.client.token)
    [court] = stored.of(docket.own)["movements"]["edges"]

    removed = data(
        await gql(client, office.lawyer_token, REMOVE_MOVEMENT, {"id": court["node"]["id"]})
    )

    assert removed["removeMovement"] == {
        "removedId": court["node"]["id"],
        "case": {"id": docket.own, "movements": {"totalCount": 1}},  # the internal one
    }
    fresh = await _read(client, served, docket.client.token)
    assert (fresh.compiled, fresh.hit) == (True, False)
    assert fresh.of(docket.own)["movements"]["edges"] == []
    [record] = (await _removals(client, office.token))["edges"]
    record["node"].pop("removedAt")
    assert record["node"] == {
        "id": record["node"]["id"],
        "typeName": "Movement",
        "removedId": court["node"]["id"],
        "label": "Sentença publicada",
        "caseId": docket.own,
        "removedBy": {"id": office.lawyer_global_id},
    }
    # removed once: a second time it names nothing
    again = await refused(client, office.token, REMOVE_MOVEMENT, {"id": court["node"]["id"]})
    assert again == {"code": "NOT_FOUND", "field": "id"}


# --- documents ---------------------------------------------------------------------------


async def test_a_document_reclassified_internal_disappears_from_the_clients_next_read(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    # given a court document that the client has read, and whose answer is stored
    uploaded = data(await upload_document(client, office.token, docket.own, PDF, title="Laudo"))
    document = uploaded["uploadDocument"]["document"]
    stored = await _stored(client, served, docket.client.token)
    assert [e["node"]["title"] for e in stored.of(docket.own)["documents"]["edges"]] == ["Laudo"]
    links = data(await gql(client, docket.client.token, LINKS, {"id": docket.own}))
    [link] = [edge["node"]["downloadUrl"] for edge in links["case"]["documents"]["edges"]]
    assert (await client.get(link)).status_code == 200

    # when staff reclassify it INTERNAL
    variables = {"id": document["id"], "input": {"source": "INTERNAL"}}
    changed = data(await gql(client, office.token, UPDATE_DOCUMENT, variables))
    assert changed["updateDocument"] == {
        "document": {"id": document["id"], "title": "Laudo", "source": "INTERNAL"},
        "case": {"id": docket.own},
    }

    # then the client's next read is compiled afresh, without it
    fresh = await _read(client, served, docket.client.token)
    assert (fresh.compiled, fresh.hit) == (True, False)
    assert fresh.of(docket.own)["documents"]["edges"] == []
    # and the client's link, handed out before, no longer downloads it
    assert (await client.get(link)).status_code == 404

    # and made COURT again, it is back on the next read
    variables = {"id": document["id"], "input": {"source": "COURT", "title": "Laudo pericial"}}
    data(await gql(client, office.token, UPDATE_DOCUMENT, variables))
    back = await _read(client, served, docket.client.token)
    assert (back.compiled, back.hit) == (True, False)
    assert [e["node"]["title"] for e in back.of(docket.own)["documents"]["edges"]] == [
        "Laudo pericial"
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "title must not be empty"),
        ({"title": None}, "title", "title must not be null."),
        ({"source": None}, "source", "source must not be null."),
    ],
)
async def test_a_document_keeps_a_title_and_a_source(
    client: httpx.AsyncClient,
    office: Staff,
    docket: Docket,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    uploaded = data(await upload_document(client, office.token, docket.own, PDF))
    document = uploaded["uploadDocument"]["document"]

    answer = await refusal(
        client, office.token, UPDATE_DOCUMENT, {"id": document["id"], "input": change}
    )

    assert answer == {"message": message, "code": "BAD_USER_INPUT", "field": field}


async def test_a_document_removed_takes_its_file_with_it(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket, settings: Settings
) -> None:
    before = stored_files(settings)
    uploaded = data(
        await upload_document(client, office.token, docket.own, PDF, title="Procuração")
    )
    document = uploaded["uploadDocument"]["document"]
    assert len(stored_files(settings)) == len(before) + 1
    await _stored(client, served, docket.client.token)

    removed = data(await gql(client, office.token, REMOVE_DOCUMENT, {"id": document["id"]}))

    assert removed["removeDocument"] == {
        "removedId": document["id"],
        "case": {"documents": {"totalCount": 0}},
    }
    assert stored_files(settings) == before
    fresh = await _read(client, served, docket.client.token)
    assert (fresh.compiled, fresh.hit) == (True, False)
    assert fresh.of(docket.own)["documents"]["edges"] == []
    assert (await client.get(document["downloadUrl"])).status_code == 404
    [record] = (await _removals(client, office.token))["edges"]
    assert (record["node"]["typeName"], record["node"]["label"]) == ("Document", "Procuração")


async def test_a_removal_that_fails_keeps_the_document_and_its_file(
    client: httpx.AsyncClient, office: Staff, docket: Docket, settings: Settings
) -> None:
    uploaded = data(await upload_document(client, office.token, docket.own, PDF))
    document = uploaded["uploadDocument"]["document"]
    before = stored_files(settings)

    # the same document removed twice in one operation: the second fails, and with it the whole
    twice = (
        "mutation R($id: ID!) { a: removeDocument(id: $id) { removedId } "
        "b: removeDocument(id: $id) { removedId } }"
    )
    body = await gql(client, office.token, twice, {"id": document["id"]})

    assert body["data"] is None
    assert [e["extensions"] for e in body["errors"]] == [{"code": "NOT_FOUND", "field": "id"}]
    assert stored_files(settings) == before
    assert data(await gql(client, office.token, NODE, {"id": document["id"]})) == {
        "node": {"id": document["id"]}
    }
    assert (await _removals(client, office.token))["totalCount"] == 0


# --- tasks -------------------------------------------------------------------------------


async def test_a_task_is_changed_then_done_then_removed(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    task_id = await _create_task(client, office, docket.own, dueOn="2030-01-10")

    variables = {
        "id": task_id,
        "input": {"title": "Contestar a ação", "assigneeId": office.lawyer_global_id},
    }
    changed = data(await gql(client, office.lawyer_token, UPDATE_TASK, variables))["updateTask"]
    assert changed == {
        "task": {
            "id": task_id,
            "title": "Contestar a ação",
            "dueOn": "2030-01-10",
            "done": False,
            "assignee": {"id": office.lawyer_global_id},
        },
        "case": {"id": docket.own, "tasks": [{"title": "Contestar a ação", "done": False}]},
    }

    done = data(await gql(client, office.lawyer_token, COMPLETE_TASK, {"id": task_id}))
    assert done["completeTask"]["task"]["done"] is True
    assert done["completeTask"]["case"]["tasks"] == [{"title": "Contestar a ação", "done": True}]

    removed = data(await gql(client, office.lawyer_token, REMOVE_TASK, {"id": task_id}))
    assert removed["removeTask"] == {"removedId": task_id, "case": {"tasks": []}}
    [record] = (await _removals(client, office.token))["edges"]
    assert (record["node"]["typeName"], record["node"]["label"]) == ("Task", "Contestar a ação")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": " "}, {"code": "BAD_USER_INPUT", "field": "title"}),
        ({"done": None}, {"code": "BAD_USER_INPUT", "field": "done"}),
        ({"assigneeId": "elsewhere"}, {"code": "NOT_FOUND", "field": "assigneeId"}),
    ],
)
async def test_a_task_is_changed_only_with_good_values(
    client: httpx.AsyncClient,
    office: Staff,
    other_office: Staff,
    docket: Docket,
    change: dict[str, Any],
    expected: dict[str, str],
) -> None:
    task_id = await _create_task(client, office, docket.own)
    if change.get("assigneeId") == "elsewhere":  # a lawyer of another office
        change = {"assigneeId": other_office.lawyer_global_id}

    answer = await refused(client, office.token, UPDATE_TASK, {"id": task_id, "input": change})

    assert answer == expected


# --- cases -------------------------------------------------------------------------------


async def test_an_archived_case_leaves_its_clients_sight_until_it_is_active_again(
    client: httpx.AsyncClient, served: Served, office: Staff, docket: Docket
) -> None:
    stored = await _stored(client, served, docket.client.token)
    assert [folder["id"] for folder in stored.folders] == [docket.own]
    [court] = stored.of(docket.own)["movements"]["edges"]

    archived = data(await gql(client, office.lawyer_token, ARCHIVE_CASE, {"id": docket.own}))

    assert archived["archiveCase"] == {"case": {"id": docket.own, "status": "ARCHIVED"}}
    fresh = await _read(client, served, docket.client.token)
    assert (fresh.compiled, fresh.hit) == (True, False)
    assert fresh.body["data"]["cases"] == {"totalCount": 0, "edges": []}
    for asked in (docket.own, court["node"]["id"]):
        assert data(await gql(client, docket.client.token, NODE, {"id": asked})) == {"node": None}
    # staff still read it, and bring it back
    staff_read = data(await gql(client, office.token, STAFF_CASE, {"id": docket.own}))
    assert staff_read == {"case": {"id": docket.own, "status": "ARCHIVED"}}
    data(await gql(client, office.token, UPDATE_STATUS, {"id": docket.own, "s": "ACTIVE"}))
    back = await _read(client, served, docket.client.token)
    assert [folder["id"] for folder in back.folders] == [docket.own]


async def test_an_admin_removes_a_case_opened_by_mistake_with_its_parties_and_tasks(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="Pasta em duplicidade")
    person = (await create_person(client, office.token, name="Ana Parte"))["id"]
    await add_party(client, office, case["id"], person, is_client=True)
    await _create_task(client, office, case["id"])

    removed = data(await gql(client, office.token, REMOVE_CASE, {"id": case["id"]}))

    assert removed["removeCase"] == {"removedId": case["id"]}
    assert data(await gql(client, office.token, STAFF_CASE, {"id": case["id"]})) == {"case": None}
    [record] = (await _removals(client, office.token))["edges"]
    assert {k: record["node"][k] for k in ("typeName", "removedId", "label", "caseId")} == {
        "typeName": "Case",
        "removedId": case["id"],
        "label": f"{case['folder']} Pasta em duplicidade",
        "caseId": case["id"],
    }
    assert record["node"]["removedBy"] == {"id": office.admin_global_id}


async def test_a_case_with_a_history_is_archived_never_removed(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    folder = data(
        await gql(
            client,
            office.token,
            "query C($id: ID!) { case(id: $id) { folder } }",
            {"id": docket.own},
        )
    )["case"]["folder"]
    data(await upload_document(client, office.token, docket.own, PDF))

    answer = await refusal(client, office.token, REMOVE_CASE, {"id": docket.own})

    assert answer == {
        "message": f"The case {folder} has 2 movements and 1 document: archive it instead "
        "(archiveCase), or remove them first.",
        "code": "BAD_USER_INPUT",
        "field": "id",
    }
    assert data(await gql(client, office.token, STAFF_CASE, {"id": docket.own}))["case"] == {
        "id": docket.own,
        "status": "ACTIVE",
    }


async def test_only_an_admin_removes_a_case_or_a_person(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token)
    person = (await create_person(client, office.token, name="Ana Parte"))["id"]

    for mutation, variables in ((REMOVE_CASE, {"id": case["id"]}), (REMOVE_PERSON, {"id": person})):
        answer = await refusal(client, office.lawyer_token, mutation, variables)
        assert answer == {
            "message": "Only an administrator of the office may do this.",
            "code": "FORBIDDEN",
        }
    assert (await _removals(client, office.token))["totalCount"] == 0


# --- persons -----------------------------------------------------------------------------


async def test_a_person_with_portal_access_and_cases_is_removed_only_once_both_are_undone(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    portal = await new_portal_client(client, office, name="Paula Cliente")
    cases = [(await create_case(client, office.token, title=t))["id"] for t in ("Um", "Dois")]
    for case_id in cases:
        await add_party(client, office, case_id, portal.person_id, is_client=True)

    first = await refusal(client, office.token, REMOVE_PERSON, {"id": portal.person_id})
    assert first == {
        "message": "Paula Cliente cannot be removed yet: revoke their portal access and "
        "remove them from 2 cases first.",
        "code": "BAD_USER_INPUT",
        "field": "id",
    }

    data(await gql(client, office.token, REVOKE, {"p": portal.person_id}))
    await gql(client, office.token, REMOVE_PARTY, {"c": cases[0], "p": portal.person_id})
    second = await refusal(client, office.token, REMOVE_PERSON, {"id": portal.person_id})
    assert (
        second["message"] == "Paula Cliente cannot be removed yet: remove them from 1 case first."
    )

    await gql(client, office.token, REMOVE_PARTY, {"c": cases[1], "p": portal.person_id})
    removed = data(await gql(client, office.token, REMOVE_PERSON, {"id": portal.person_id}))

    assert removed["removePerson"] == {"removedId": portal.person_id}
    assert data(await gql(client, office.token, NODE, {"id": portal.person_id})) == {"node": None}
    # the revoked access went with them: its login is free for someone else
    signed_in = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": portal.email, "password": "x" * 12},
    )
    assert signed_in.status_code == 400
    [record] = (await _removals(client, office.token))["edges"]
    assert {k: record["node"][k] for k in ("typeName", "removedId", "label", "caseId")} == {
        "typeName": "Person",
        "removedId": portal.person_id,
        "label": "Paula Cliente",
        "caseId": None,
    }
    # and their access log stays for its retention period (Marco Civil, art. 15)
    async with owner_engine.connect() as connection:
        kept = await connection.scalar(
            sa.text("SELECT count(*) FROM portal_activity WHERE person_id = :p").bindparams(
                p=key_of(portal.person_id)
            )
        )
    assert kept == 1  # the sign-in


# --- ids: other offices, other types, clients --------------------------------------------


MUTATIONS = {
    "updateMovement": (UPDATE_MOVEMENT, "Movement", {"input": {"description": "x"}}),
    "removeMovement": (REMOVE_MOVEMENT, "Movement", {}),
    "updateDocument": (UPDATE_DOCUMENT, "Document", {"input": {"title": "x"}}),
    "removeDocument": (REMOVE_DOCUMENT, "Document", {}),
    "updateTask": (UPDATE_TASK, "Task", {"input": {"title": "x"}}),
    "completeTask": (COMPLETE_TASK, "Task", {}),
    "removeTask": (REMOVE_TASK, "Task", {}),
    "archiveCase": (ARCHIVE_CASE, "Case", {}),
    "removeCase": (REMOVE_CASE, "Case", {}),
    "removePerson": (REMOVE_PERSON, "Person", {}),
}


async def _ids_of(client: httpx.AsyncClient, office: Staff) -> dict[str, str]:
    """One object of each corrected type in ``office``."""
    case_id = (await create_case(client, office.token))["id"]
    uploaded = data(await upload_document(client, office.token, case_id, PDF))
    return {
        "Movement": (await add_movement(client, office.token, case_id))["id"],
        "Document": uploaded["uploadDocument"]["document"]["id"],
        "Task": await _create_task(client, office, case_id),
        "Case": (await create_case(client, office.token))["id"],
        "Person": (await create_person(client, office.token, name="Ninguém"))["id"],
    }


async def test_another_offices_objects_are_not_found_and_stay_whole(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    theirs = await _ids_of(client, other_office)

    for name, (mutation, type_name, extra) in MUTATIONS.items():
        answer = await refusal(client, office.token, mutation, {"id": theirs[type_name], **extra})
        assert (name, answer["code"], answer["field"]) == (name, "NOT_FOUND", "id")

    for type_name, global_id in theirs.items():
        found = data(await gql(client, other_office.token, NODE, {"id": global_id}))
        assert (type_name, found) == (type_name, {"node": {"id": global_id}})
    assert (await _removals(client, other_office.token))["totalCount"] == 0


@pytest.mark.parametrize("name", sorted(MUTATIONS))
async def test_an_id_of_another_type_is_bad_input(
    client: httpx.AsyncClient, office: Staff, name: str
) -> None:
    mutation, type_name, extra = MUTATIONS[name]
    wrong = id_of("StaffMember", office.lawyer_id)

    answer = await refusal(client, office.token, mutation, {"id": wrong, **extra})

    assert answer == {
        "message": f"id must be the id of a {type_name}, not of a StaffMember.",
        "code": "BAD_USER_INPUT",
        "field": "id",
    }


async def test_a_client_has_none_of_these_mutations_nor_the_removals(
    client: httpx.AsyncClient, docket: Docket
) -> None:
    messages = await hidden(client, docket.client.token, REMOVE_CASE, {"id": docket.own})
    assert messages == ["The mutation operation is not supported by the schema."]
    messages = await hidden(client, docket.client.token, REMOVALS)
    assert messages == ["Cannot query field 'removals' on type 'Query'."]


# --- the record of removals ----------------------------------------------------------------


async def test_removals_are_read_newest_first_a_page_at_a_time_by_staff_of_the_office(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    case_id = (await create_case(client, office.token))["id"]
    labels = ["Primeira", "Segunda", "Terceira"]
    for label in labels:
        task_id = await _create_task(client, office, case_id, title=label)
        data(await gql(client, office.token, REMOVE_TASK, {"id": task_id}))
    data(
        await gql(
            client,
            other_office.token,
            REMOVE_CASE,
            {"id": (await create_case(client, other_office.token))["id"]},
        )
    )

    first = await _removals(client, office.lawyer_token, first=2)
    rest = await _removals(
        client, office.lawyer_token, first=2, after=first["pageInfo"]["endCursor"]
    )

    assert first["totalCount"] == 3
    assert [e["node"]["label"] for e in first["edges"]] == ["Terceira", "Segunda"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["label"] for e in rest["edges"]] == ["Primeira"]
    assert rest["pageInfo"]["hasNextPage"] is False
    # each is a node that staff of the office fetch again, and no one else
    record = first["edges"][0]["node"]["id"]
    assert key_of(record)
    assert data(await gql(client, office.token, NODE, {"id": record})) == {"node": {"id": record}}
    assert data(await gql(client, other_office.token, NODE, {"id": record})) == {"node": None}
