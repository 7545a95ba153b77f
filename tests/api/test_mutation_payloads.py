"""Mutation payloads: each mutation answers the object it changed, as node(id:) would read it
again, so that a client's cache updates without fetching; a removal answers the removed id
and the case whose list it left."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.factories import (
    PDF,
    Staff,
    add_party,
    create_case,
    create_person,
    create_staff_member,
    grant,
    id_of,
    key_of,
    movement,
    new_portal_client,
    unique_email,
    upload_document,
)
from tests.graphql_client import data, gql, refused

PERSON = "id name email"
CASE = "id title phase caseClass updatedAt"
STAFF_MEMBER = "id name email disabledAt"
ACCESS = "id enabled login revokedAt"
MESSAGE = "id recipient status attempts"

CASE_LISTS = """
case {
  id
  parties { id role isClient }
  movements(first: 100) { edges { node { id } } }
  documents(first: 100) { edges { node { id } } }
  tasks { id }
}
"""

SAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "data" / "datajud_sample.json").read_text()
)
TJSP_NUMBER = "1023456-21.2021.8.26.0100"


async def refetched(
    client: httpx.AsyncClient, token: str, type_name: str, fields: str, id: str
) -> dict[str, Any] | None:
    """The object as node(id:) reads it again, with ``fields``."""
    document = f"query N($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {fields} }} }} }}"
    node: dict[str, Any] | None = data(await gql(client, token, document, {"id": id}))["node"]
    return node


async def mutate(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """The payload of the single mutation of ``document``."""
    [payload] = data(await gql(client, token, document, variables)).values()
    assert isinstance(payload, dict)
    return payload


def ids(edges: list[dict[str, Any]]) -> list[str]:
    return [edge["node"]["id"] for edge in edges]


# --- persons and cases ---------------------------------------------------------------


async def test_create_and_update_person_answer_the_person(
    client: httpx.AsyncClient, office: Staff
) -> None:
    created = await mutate(
        client,
        office.token,
        f"mutation C($i: PersonInput!) {{ createPerson(input: $i) {{ person {{ {PERSON} }} }} }}",
        {"i": {"name": "Maria Souza"}},
    )
    person_id = created["person"]["id"]
    assert created == {"person": {"id": person_id, "name": "Maria Souza", "email": None}}

    updated = await mutate(
        client,
        office.token,
        "mutation U($id: ID!, $i: PersonUpdateInput!) "
        f"{{ updatePerson(id: $id, input: $i) {{ person {{ {PERSON} }} }} }}",
        {"id": person_id, "i": {"email": "maria@example.com"}},
    )

    expected = {"id": person_id, "name": "Maria Souza", "email": "maria@example.com"}
    assert updated == {"person": expected}
    assert await refetched(client, office.token, "Person", PERSON, person_id) == expected


async def test_create_and_update_case_answer_the_case(
    client: httpx.AsyncClient, office: Staff
) -> None:
    created = await mutate(
        client,
        office.token,
        f"mutation C($i: CaseInput!) {{ createCase(input: $i) {{ case {{ {CASE} }} }} }}",
        {"i": {"title": "Silva x Banco"}},
    )
    case_id = created["case"]["id"]
    assert await refetched(client, office.token, "Case", CASE, case_id) == created["case"]

    updated = await mutate(
        client,
        office.token,
        "mutation U($id: ID!, $i: CaseUpdateInput!) "
        f"{{ updateCase(id: $id, input: $i) {{ case {{ {CASE} }} }} }}",
        {"id": case_id, "i": {"phase": "Recurso"}},
    )

    assert updated["case"]["phase"] == "Recurso"
    assert updated["case"]["updatedAt"] > created["case"]["updatedAt"]
    assert await refetched(client, office.token, "Case", CASE, case_id) == updated["case"]


# --- within a case -------------------------------------------------------------------

ADD_PARTY = f"""
mutation P($c: ID!, $p: ID!, $client: Boolean!) {{
  addCaseParty(caseId: $c, personId: $p, role: DEFENDANT, isClient: $client) {{
    caseParty {{ id role isClient person {{ id }} }}
    {CASE_LISTS}
  }}
}}
"""
REMOVE_PARTY = f"""
mutation R($c: ID!, $p: ID!) {{
  removeCaseParty(caseId: $c, personId: $p) {{ removedId {CASE_LISTS} }}
}}
"""
READ_CASE_LISTS = "query C($id: ID!) {" + CASE_LISTS.replace("case {", "case(id: $id) {") + "}"
CASE_PARTIES = "query C($id: ID!) { case(id: $id) { parties { id person { id } } } }"


async def test_add_case_party_answers_the_party_and_the_case_that_lists_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token))["id"]
    person_id = (await create_person(client, office.token))["id"]

    added = await mutate(
        client, office.token, ADD_PARTY, {"c": case_id, "p": person_id, "client": True}
    )

    party_id = id_of("CaseParty", f"{key_of(case_id)}:{key_of(person_id)}")
    party = {"id": party_id, "role": "DEFENDANT", "isClient": True}
    assert added["caseParty"] == {**party, "person": {"id": person_id}}
    assert added["case"]["id"] == case_id
    assert added["case"]["parties"] == [party]
    fields = "id role isClient person { id }"
    assert await refetched(client, office.token, "CaseParty", fields, party_id) == {
        **party,
        "person": {"id": person_id},
    }


async def test_remove_case_party_answers_the_removed_id_and_the_case_without_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a case with two parties, the ids read as a client's cache holds them
    case_id = (await create_case(client, office.token))["id"]
    kept, removed = [
        (await create_person(client, office.token, name=name))["id"] for name in ("Fica", "Sai")
    ]
    await add_party(client, office, case_id, kept, is_client=False)
    await add_party(client, office, case_id, removed, is_client=True)
    parties = data(await gql(client, office.token, CASE_PARTIES, {"id": case_id}))
    held = {party["person"]["id"]: party["id"] for party in parties["case"]["parties"]}

    # when one is removed
    answer = await mutate(client, office.token, REMOVE_PARTY, {"c": case_id, "p": removed})

    # then the answer names the removed party by the id read before, and its case lists
    # only the other
    assert answer["removedId"] == held[removed]
    assert answer["case"]["id"] == case_id
    assert [party["id"] for party in answer["case"]["parties"]] == [held[kept]]
    assert await refetched(client, office.token, "CaseParty", "id", held[removed]) is None


async def test_add_movement_create_task_and_upload_answer_the_object_and_its_case(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token))["id"]

    added = await mutate(
        client,
        office.token,
        "mutation M($c: ID!, $i: MovementInput!) { addMovement(caseId: $c, input: $i) "
        f"{{ movement {{ id description }} {CASE_LISTS} }} }}",
        {"c": case_id, "i": movement(description="Citação")},
    )
    task = await mutate(
        client,
        office.token,
        "mutation T($c: ID!, $i: TaskInput!) "
        f"{{ createTask(caseId: $c, input: $i) {{ task {{ id title }} {CASE_LISTS} }} }}",
        {"c": case_id, "i": {"title": "Contestar"}},
    )
    uploaded = data(await upload_document(client, office.token, case_id, PDF))["uploadDocument"]

    movement_id = added["movement"]["id"]
    assert added["movement"] == {"id": movement_id, "description": "Citação"}
    assert ids(added["case"]["movements"]["edges"]) == [movement_id]
    assert task["task"]["title"] == "Contestar"
    assert task["case"]["tasks"] == [{"id": task["task"]["id"]}]
    document = uploaded["document"]
    fields = "id title fileName contentType sizeBytes sha256 source downloadUrl"
    found = await refetched(client, office.token, "Document", fields, document["id"])
    assert found is not None
    # a download link is signed anew each time it is read
    assert {**found, "downloadUrl": None} == {**document, "downloadUrl": None}
    assert (
        await refetched(client, office.token, "Task", "id title", task["task"]["id"])
        == (task["task"])
    )


UPLOAD_WITH_CASE = f"""
mutation U($c: ID!, $f: Upload!) {{
  uploadDocument(caseId: $c, file: $f, source: INTERNAL) {{ document {{ id }} {CASE_LISTS} }}
}}
"""


async def test_upload_answers_the_case_that_lists_the_document(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token))["id"]
    operations = {"query": UPLOAD_WITH_CASE, "variables": {"c": case_id, "f": None}}

    response = await client.post(
        "/graphql",
        headers=office.headers,
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.f"]})},
        files={"0": ("peticao.pdf", PDF, "application/pdf")},
    )

    answer = data(response.json())["uploadDocument"]
    assert ids(answer["case"]["documents"]["edges"]) == [answer["document"]["id"]]


async def test_import_court_data_answers_what_it_did_and_the_case(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER))["id"]
    document = f"""
    mutation I($c: ID!, $p: JSON!) {{
      importCourtData(caseId: $c, payload: $p) {{
        movementsAdded case {{ {CASE} movements(first: 100) {{ totalCount }} }}
      }}
    }}
    """

    answer = await mutate(
        client, office.token, document, {"c": case_id, "p": SAMPLE["hits"]["hits"][0]["_source"]}
    )

    assert answer["movementsAdded"] == 6
    assert answer["case"]["movements"] == {"totalCount": 6}
    assert answer["case"]["caseClass"] is not None
    assert await refetched(client, office.token, "Case", CASE, case_id) == {
        key: value for key, value in answer["case"].items() if key != "movements"
    }


# --- access ------------------------------------------------------------------------------

REVOKE = f"""
mutation R($p: ID!) {{ revokePortalAccess(personId: $p) {{ access {{ {ACCESS} }} }} }}
"""
SEND = f"mutation S($id: ID!) {{ sendOutboxMessage(id: $id) {{ message {{ {MESSAGE} }} }} }}"


async def test_grant_and_revoke_answer_the_portal_access(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token))["id"]
    login = unique_email()

    granted = await grant(client, office.token, person_id, login)
    revoked = await mutate(client, office.token, REVOKE, {"p": person_id})

    access_id = id_of("PortalAccess", key_of(person_id))
    assert (granted["access"]["enabled"], granted["access"]["login"]) == (True, login)
    assert granted["url"].endswith(granted["token"])
    access = revoked["access"]
    assert (access["id"], access["enabled"], access["login"]) == (access_id, False, login)
    assert await refetched(client, office.token, "PortalAccess", ACCESS, access_id) == access


async def test_staff_mutations_answer_the_staff_member(
    client: httpx.AsyncClient, office: Staff
) -> None:
    created = await create_staff_member(client, office.token, email=unique_email("staff"))
    member_id = data(
        await gql(client, office.token, "{ staffMembers(includeDisabled: true) { id email } }")
    )["staffMembers"]
    [member_id] = [m["id"] for m in member_id if m["email"] == created["staffMember"]["email"]]

    answers = {
        name: await mutate(
            client,
            office.token,
            f"mutation M($id: ID!) {{ {name}(id: $id) {{ staffMember {{ {STAFF_MEMBER} }} }} }}",
            {"id": member_id},
        )
        for name in ("inviteStaffMember", "disableStaffMember", "enableStaffMember")
    }

    assert answers["inviteStaffMember"]["staffMember"]["disabledAt"] is None
    assert answers["disableStaffMember"]["staffMember"]["disabledAt"] is not None
    enabled = answers["enableStaffMember"]["staffMember"]
    assert (enabled["id"], enabled["disabledAt"]) == (member_id, None)
    assert await refetched(client, office.token, "StaffMember", STAFF_MEMBER, member_id) == (
        enabled
    )


async def test_send_outbox_message_answers_the_message(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person_id = (await create_person(client, office.token))["id"]
    message_id = (await grant(client, office.token, person_id, unique_email()))["message"]["id"]

    sent = await mutate(client, office.token, SEND, {"id": message_id})

    assert sent["message"]["id"] == message_id
    assert sent["message"]["attempts"] == 2
    found = await refetched(client, office.token, "OutboxMessage", MESSAGE, message_id)
    assert found == sent["message"]


# --- several mutations, and bad input -------------------------------------------------

TWO_PARTIES = """
mutation Two($c: ID!, $p: ID!, $q: ID!) {
  first: addCaseParty(caseId: $c, personId: $p, role: PLAINTIFF, isClient: true) {
    case { parties { person { id } } }
  }
  second: addCaseParty(caseId: $c, personId: $q, role: DEFENDANT, isClient: false) {
    case { parties { person { id } } }
  }
}
"""


async def test_each_mutation_of_an_operation_answers_the_case_as_it_left_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token))["id"]
    p, q = [(await create_person(client, office.token, name=n))["id"] for n in ("Ana", "Bia")]

    answer = data(await gql(client, office.token, TWO_PARTIES, {"c": case_id, "p": p, "q": q}))

    assert answer["first"]["case"]["parties"] == [{"person": {"id": p}}]
    assert sorted(party["person"]["id"] for party in answer["second"]["case"]["parties"]) == (
        sorted([p, q])
    )


async def test_bad_input_is_refused_with_no_write(client: httpx.AsyncClient, office: Staff) -> None:
    case_id = (await create_case(client, office.token))["id"]
    person_id = (await create_person(client, office.token))["id"]
    await add_party(client, office, case_id, person_id, is_client=True)
    document = (
        "mutation M($c: ID!, $i: MovementInput!) "
        "{ addMovement(caseId: $c, input: $i) { movement { id } case { id } } }"
    )

    bad_movement = await refused(
        client, office.token, document, {"c": case_id, "i": movement(code=0)}
    )
    bad_removal = await refused(
        client, office.token, REMOVE_PARTY, {"c": person_id, "p": person_id}
    )

    assert bad_movement == {"code": "BAD_USER_INPUT", "field": "code"}
    assert bad_removal == {"code": "BAD_USER_INPUT", "field": "caseId"}
    lists = data(await gql(client, office.token, READ_CASE_LISTS, {"id": case_id}))["case"]
    assert lists["movements"]["edges"] == []
    assert [party["isClient"] for party in lists["parties"]] == [True]


async def test_a_failure_in_the_payloads_case_undoes_the_write(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token))["id"]
    document = (
        "mutation M($c: ID!, $i: MovementInput!) { addMovement(caseId: $c, input: $i) "
        '{ movement { id } case { movements(after: "bad") { totalCount } } } }'
    )

    extensions = await refused(client, office.token, document, {"c": case_id, "i": movement()})

    assert extensions == {"code": "BAD_USER_INPUT", "field": "after"}
    found = await refetched(client, office.token, "Case", "movements { totalCount }", case_id)
    assert found == {"movements": {"totalCount": 0}}


async def test_the_client_view_has_no_payload_types(
    client: httpx.AsyncClient, office: Staff
) -> None:
    portal = await new_portal_client(client, office)

    answer = data(
        await gql(client, portal.token, '{ __type(name: "CreatePersonPayload") { name } }')
    )

    assert answer == {"__type": None}
