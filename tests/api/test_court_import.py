"""importCourtData: a DataJud answer about a case's process, imported over GraphQL."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx

from tests.factories import Staff, add_party, create_case, new_portal_client
from tests.graphql_client import data, gql, hidden, refusal, refused

SAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parent.parent / "data" / "datajud_sample.json").read_text()
)
TJSP, TRF5, _ = SAMPLE["hits"]["hits"]
TJSP_NUMBER = "1023456-21.2021.8.26.0100"
TRF5_NUMBER = "0804321-47.2022.4.05.8100"


IMPORT = """
mutation Import($caseId: ID!, $payload: JSON!) {
  importCourtData(caseId: $caseId, payload: $payload) {
    movementsAdded movementsAlreadyPresent fieldsFilled
    case { caseClass courtDivision filedOn subject }
  }
}
"""

CASE = """
query Case($id: ID!) {
  case(id: $id) {
    caseClass courtDivision filedOn subject
    movements(first: 20) {
      totalCount
      edges { node { occurredAt description code source createdBy { id } } }
    }
  }
}
"""

CLIENT_MOVEMENTS = """
query Movements($id: ID!) {
  case(id: $id) { movements { edges { node { description code source } } } }
}
"""

EMPTY_FIELDS = {"caseClass": None, "courtDivision": None, "filedOn": None, "subject": None}
TJSP_FIELDS = {
    "caseClass": "Procedimento Comum Cível",
    "courtDivision": "5ª Vara Cível - Foro Central Cível",
    "filedOn": "2021-03-15",
    "subject": "Indenização por Dano Moral; Indenização por Dano Material",
}
TJSP_MOVEMENTS = [  # newest first
    ("2022-03-09T17:48:05+00:00", "Procedência", 219),
    ("2022-02-21T11:00:00+00:00", "Conclusão (para julgamento)", 51),
    ("2021-05-04T09:15:22+00:00", "Petição (Contestação)", 85),
    ("2021-03-18T16:31:47+00:00", "Mero expediente", 11010),
    ("2021-03-16T10:05:00+00:00", "Conclusão (para despacho)", 51),
    ("2021-03-15T13:42:10+00:00", "Distribuição (sorteio)", 26),
]


def answer(*hits: dict[str, Any]) -> dict[str, Any]:
    """A DataJud answer holding these hits."""
    result = copy.deepcopy(SAMPLE)
    result["hits"]["hits"] = list(hits)
    result["hits"]["total"]["value"] = len(hits)
    return result


async def import_court_data(
    client: httpx.AsyncClient, token: str, case_id: str, payload: object
) -> dict[str, Any]:
    body = await gql(client, token, IMPORT, {"caseId": case_id, "payload": payload})
    result: dict[str, Any] = data(body)["importCourtData"]
    return result


async def read_case(client: httpx.AsyncClient, office: Staff, case_id: str) -> dict[str, Any]:
    case: dict[str, Any] = data(await gql(client, office.token, CASE, {"id": case_id}))["case"]
    return case


async def test_import_adds_court_movements_and_fills_the_empty_fields(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a case with only its CNJ number
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER))["id"]

    # when a lawyer imports the DataJud answer about its process
    result = await import_court_data(client, office.lawyer_token, case_id, answer(TJSP))

    # then each movement is a COURT movement with its code and description, by nobody
    assert result == {
        "movementsAdded": 6,
        "movementsAlreadyPresent": 0,
        "fieldsFilled": ["caseClass", "courtDivision", "filedOn", "subject"],
        "case": TJSP_FIELDS,
    }
    case = await read_case(client, office, case_id)
    assert [
        (m["occurredAt"], m["description"], m["code"], m["source"], m["createdBy"])
        for m in (edge["node"] for edge in case["movements"]["edges"])
    ] == [(*movement, "COURT", None) for movement in TJSP_MOVEMENTS]


async def test_importing_the_same_data_twice_adds_nothing(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a case into which the answer was imported
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER))["id"]
    await import_court_data(client, office.token, case_id, answer(TJSP))

    # when the same process is imported again, as a bare _source this time
    result = await import_court_data(client, office.token, case_id, TJSP["_source"])

    # then every movement is already there and no field changes
    assert result == {
        "movementsAdded": 0,
        "movementsAlreadyPresent": 6,
        "fieldsFilled": [],
        "case": TJSP_FIELDS,
    }
    assert (await read_case(client, office, case_id))["movements"]["totalCount"] == 6


async def test_a_new_movement_of_the_process_is_added_alone(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a case into which the answer was imported
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER))["id"]
    await import_court_data(client, office.token, case_id, answer(TJSP))
    later = copy.deepcopy(TJSP)
    later["_source"]["movimentos"].append(
        {"codigo": 22, "nome": "Baixa Definitiva", "dataHora": "2023-01-10T12:00:00.000Z"}
    )

    # when a later answer with one more movement is imported
    result = await import_court_data(client, office.token, case_id, answer(later))

    # then only that movement is added
    assert (result["movementsAdded"], result["movementsAlreadyPresent"]) == (1, 6)
    assert (await read_case(client, office, case_id))["movements"]["totalCount"] == 7


async def test_fields_staff_typed_are_kept(client: httpx.AsyncClient, office: Staff) -> None:
    # given a case whose class and subject staff typed
    typed = {"caseClass": "Ação indenizatória", "subject": "Negativação indevida"}
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER, **typed))["id"]

    # when the answer about its process is imported
    result = await import_court_data(client, office.token, case_id, answer(TJSP))

    # then only the empty fields are filled
    assert result["fieldsFilled"] == ["courtDivision", "filedOn"]
    assert result["case"] == {**TJSP_FIELDS, **typed}


async def test_a_payload_about_another_process_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a case of the TJSP process
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER))["id"]

    # when an answer that also holds another process is imported into it
    refused_import = await refusal(
        client, office.token, IMPORT, {"caseId": case_id, "payload": answer(TJSP, TRF5)}
    )

    # then it is refused, and not even the case's own process is imported
    assert refused_import == {
        "message": f"The payload is about process {TRF5_NUMBER}, not this case's {TJSP_NUMBER}.",
        "code": "BAD_USER_INPUT",
        "field": "payload",
    }
    case = await read_case(client, office, case_id)
    assert {key: case[key] for key in EMPTY_FIELDS} == EMPTY_FIELDS
    assert case["movements"]["totalCount"] == 0


async def test_a_process_with_an_invalid_date_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER))["id"]
    broken = copy.deepcopy(TJSP)
    broken["_source"]["movimentos"][3]["dataHora"] = "2021-02-30T09:15:22.000Z"

    refused_import = await refusal(
        client, office.token, IMPORT, {"caseId": case_id, "payload": answer(broken)}
    )

    assert refused_import == {
        "message": "The payload's process 1 (10234562120218260100): movement 4 (Petição): "
        "dataHora '2021-02-30T09:15:22.000Z' is not a valid date and time.",
        "code": "BAD_USER_INPUT",
        "field": "payload",
    }
    assert (await read_case(client, office, case_id))["movements"]["totalCount"] == 0


async def test_a_payload_that_is_not_a_datajud_answer_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER))["id"]

    extensions = await refused(
        client, office.token, IMPORT, {"caseId": case_id, "payload": {"error": "not found"}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "payload"}


async def test_a_case_without_cnj_number_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.token, cnjNumber=None))["id"]

    extensions = await refused(
        client, office.token, IMPORT, {"caseId": case_id, "payload": answer(TJSP)}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "caseId"}


async def test_a_case_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    # given another office's case of the same process
    theirs = (await create_case(client, other_office.token, cnjNumber=TJSP_NUMBER))["id"]

    # when this office imports into it
    extensions = await refused(
        client, office.token, IMPORT, {"caseId": theirs, "payload": answer(TJSP)}
    )

    # then it does not exist, and nothing was written there
    assert extensions == {"code": "NOT_FOUND", "field": "caseId"}
    assert (await read_case(client, other_office, theirs))["movements"]["totalCount"] == 0


async def test_a_client_cannot_import_but_reads_the_imported_movements(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a client tagged in a case
    portal = await new_portal_client(client, office)
    case_id = (await create_case(client, office.token, cnjNumber=TJSP_NUMBER))["id"]
    await add_party(client, office, case_id, portal.person_id, is_client=True)

    # when the client tries to import, then the mutation does not exist for them
    assert "The mutation operation is not supported by the schema." in await hidden(
        client, portal.token, IMPORT, {"caseId": case_id, "payload": answer(TJSP)}
    )

    # and once staff import, the client reads the court movements
    await import_court_data(client, office.token, case_id, answer(TJSP))
    body = await gql(client, portal.token, CLIENT_MOVEMENTS, {"id": case_id})
    edges = data(body)["case"]["movements"]["edges"]
    assert [(e["node"]["description"], e["node"]["code"]) for e in edges] == [
        (description, code) for _, description, code in TJSP_MOVEMENTS
    ]
