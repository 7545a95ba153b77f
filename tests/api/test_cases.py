"""Case folders over GraphQL: numbering, validation, updates, search and parties."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import (
    CASE_FIELDS,
    CREATE_CASE,
    Staff,
    create_case,
    create_person,
    id_of,
    key_of,
)
from tests.graphql_client import data, error, gql, refused

VALID_CNJ = "1234567-13.2024.8.26.0100"
OTHER_CNJ = "0000002-65.2005.4.05.8100"
INVALID_CNJ = "1234567-14.2024.8.26.0100"

UPDATE_CASE = f"""
mutation UpdateCase($id: ID!, $input: CaseUpdateInput!) {{
  updateCase(id: $id, input: $input) {{ case {{ {CASE_FIELDS} }} }}
}}
"""

CASE = f"""
query Case($id: ID!) {{
  case(id: $id) {{ {CASE_FIELDS} }}
}}
"""

CASES = """
query Cases($first: Int, $after: String, $search: String, $status: CaseStatus) {
  cases(first: $first, after: $after, search: $search, status: $status) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage }
    edges { node { id folder title status } }
  }
}
"""

CASE_PARTIES = """
query CaseParties($id: ID!) {
  case(id: $id) { parties { person { id name } role isClient } }
}
"""

ADD_CASE_PARTY = """
mutation AddCaseParty($caseId: ID!, $personId: ID!, $role: PartyRole!, $isClient: Boolean!) {
  addCaseParty(caseId: $caseId, personId: $personId, role: $role, isClient: $isClient) {
    caseParty { person { id name } role isClient }
  }
}
"""

REMOVE_CASE_PARTY = """
mutation RemoveCaseParty($caseId: ID!, $personId: ID!) {
  removeCaseParty(caseId: $caseId, personId: $personId) { removedId case { parties { id } } }
}
"""

PERSON_CASES = """
query PersonCases($id: ID!) {
  person(id: $id) { cases { totalCount edges { node { folder title } } } }
}
"""


async def list_cases(client: httpx.AsyncClient, token: str, **arguments: Any) -> dict[str, Any]:
    cases: dict[str, Any] = data(await gql(client, token, CASES, arguments))["cases"]
    return cases


async def folders(client: httpx.AsyncClient, token: str, **arguments: Any) -> list[str]:
    cases = await list_cases(client, token, **arguments)
    return [edge["node"]["folder"] for edge in cases["edges"]]


# --- createCase: folders ----------------------------------------------------------


async def test_create_case_with_only_a_title_gets_folder_00001_and_defaults(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="Silva x Banco")

    assert key_of(case.pop("id"))
    assert case == {
        "folder": "00001",
        "title": "Silva x Banco",
        "cnjNumber": None,
        "court": None,
        "courtDivision": None,
        "district": None,
        "instance": None,
        "caseClass": None,
        "subject": None,
        "filedOn": None,
        "claimValue": None,
        "status": "ACTIVE",
        "phase": None,
        "internalNotes": None,
        "lossRisk": None,
        "feeAgreement": None,
        "responsibleLawyer": None,
    }


async def test_automatic_folders_count_up_per_office(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    first = await create_case(client, office.token, title="Primeiro")
    second = await create_case(client, office.token, title="Segundo")
    elsewhere = await create_case(client, other_office.token, title="Outro escritório")

    assert [first["folder"], second["folder"], elsewhere["folder"]] == ["00001", "00002", "00001"]


async def test_create_case_keeps_an_explicit_folder(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="Silva x Banco", folder=" 2024/017 ")

    assert case["folder"] == "2024/017"


async def test_create_case_with_a_folder_already_used_is_refused_and_adds_no_case(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_case(client, office.token, title="Primeiro", folder="A-1")

    extensions = await refused(
        client, office.token, CREATE_CASE, {"input": {"title": "Segundo", "folder": "A-1"}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "folder"}
    assert (await list_cases(client, office.token))["totalCount"] == 1


async def test_automatic_numbering_skips_a_folder_typed_by_hand(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_case(client, office.token, title="Um")
    await create_case(client, office.token, title="Dois")
    await create_case(client, office.token, title="Três à mão", folder="00003")

    case = await create_case(client, office.token, title="Quatro")

    assert case["folder"] == "00004"
    assert await folders(client, office.token) == ["00004", "00003", "00002", "00001"]


async def test_a_refused_case_does_not_use_up_a_folder_number(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await refused(
        client, office.token, CREATE_CASE, {"input": {"title": "X", "cnjNumber": INVALID_CNJ}}
    )

    case = await create_case(client, office.token, title="Válido")

    assert case["folder"] == "00001"


# --- createCase: validation -------------------------------------------------------


async def test_create_case_stores_all_given_fields(
    client: httpx.AsyncClient, office: Staff
) -> None:
    fields = {
        "title": "Silva x Banco",
        "folder": "SB-1",
        "cnjNumber": VALID_CNJ,
        "court": "TJSP",
        "courtDivision": "2ª Vara Cível",
        "district": "São Paulo",
        "instance": "1ª instância",
        "caseClass": "Procedimento Comum Cível",
        "subject": "Indenização por dano moral",
        "filedOn": "2024-03-15",
        "claimValue": "1234.56",
        "status": "SUSPENDED",
        "phase": "Instrução",
        "internalNotes": "Cliente quer acordo.",
        "lossRisk": "POSSIBLE",
        "feeAgreement": "20% do êxito",
    }

    case = await create_case(client, office.token, **fields)

    fetched = data(await gql(client, office.token, CASE, {"id": case["id"]}))["case"]
    assert fetched == case == {**fields, "id": case["id"], "responsibleLawyer": None}


async def test_create_case_with_an_invalid_cnj_number_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    extensions = await refused(
        client, office.token, CREATE_CASE, {"input": {"title": "X", "cnjNumber": INVALID_CNJ}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "cnjNumber"}
    assert (await list_cases(client, office.token))["totalCount"] == 0


async def test_create_case_stores_a_bare_cnj_number_formatted(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="X", cnjNumber="00000026520054058100")

    assert case["cnjNumber"] == OTHER_CNJ


async def test_claim_value_round_trips_exactly(client: httpx.AsyncClient, office: Staff) -> None:
    case = await create_case(client, office.token, title="X", claimValue="1234.56")

    fetched = data(await gql(client, office.token, CASE, {"id": case["id"]}))["case"]
    assert case["claimValue"] == fetched["claimValue"] == "1234.56"


async def test_claim_value_with_one_decimal_is_kept_to_the_cent(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="X", claimValue="10.5")

    assert case["claimValue"] == "10.50"


async def test_negative_claim_value_is_refused(client: httpx.AsyncClient, office: Staff) -> None:
    extensions = await refused(
        client, office.token, CREATE_CASE, {"input": {"title": "X", "claimValue": "-1.00"}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "claimValue"}


async def test_claim_value_with_three_decimals_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    extensions = await refused(
        client, office.token, CREATE_CASE, {"input": {"title": "X", "claimValue": "1.234"}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "claimValue"}
    assert (await list_cases(client, office.token))["totalCount"] == 0


@pytest.mark.parametrize(
    ("given", "kept"), [("1234.56", "1234.56"), ("0", "0.00"), ("7", "7.00"), (12.5, "12.50")]
)
async def test_claim_value_written_in_ascii_digits_is_read(
    client: httpx.AsyncClient, office: Staff, given: object, kept: str
) -> None:
    body = await gql(
        client, office.token, CREATE_CASE, {"input": {"title": "X", "claimValue": given}}
    )

    assert data(body)["createCase"]["case"]["claimValue"] == kept


@pytest.mark.parametrize("given", ["\uff10\uff11", "1_000", "  1 ", "1e3", "NaN", "1.", ".5", "+1"])
async def test_claim_value_not_written_in_ascii_digits_is_refused(
    client: httpx.AsyncClient, office: Staff, given: str
) -> None:
    body = await gql(
        client, office.token, CREATE_CASE, {"input": {"title": "X", "claimValue": given}}
    )

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "claimValue"}
    assert error(body)["message"] == (
        "Variable '$input' has invalid value at .claimValue: "
        f"{given!r} is not a number: write it with ASCII digits and a point, "
        'for example "1234.56".'
    )
    assert (await list_cases(client, office.token))["totalCount"] == 0


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("20240101", "write it as YYYY-MM-DD, for example 2024-03-15"),
        ("2024-W01-1", "write it as YYYY-MM-DD, for example 2024-03-15"),
        ("\uff12\uff10\uff12\uff14-01-01", "write it as YYYY-MM-DD, for example 2024-03-15"),
        ("2024-02-30", "there is no such day"),
        ("0001-01-01", "it must lie between 1900-01-01 and 2100-12-31"),
        ("1899-12-31", "it must lie between 1900-01-01 and 2100-12-31"),
    ],
)
async def test_filed_on_must_be_an_ascii_date_in_range(
    client: httpx.AsyncClient, office: Staff, given: str, reason: str
) -> None:
    body = await gql(client, office.token, CREATE_CASE, {"input": {"title": "X", "filedOn": given}})

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "filedOn"}
    assert error(body)["message"] == (
        f"Variable '$input' has invalid value at .filedOn: {given!r} is not a date: {reason}."
    )
    assert (await list_cases(client, office.token))["totalCount"] == 0


async def test_an_inline_date_in_another_format_fails_validation(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(
        client,
        office.token,
        'mutation { createCase(input: {title: "X", filedOn: "20240101"}) { case { id } } }',
    )

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "'20240101' is not a date: write it as YYYY-MM-DD" in error(body)["message"]


async def test_filed_on_in_the_future_is_refused(client: httpx.AsyncClient, office: Staff) -> None:
    tomorrow = (date.today() + timedelta(days=2)).isoformat()

    extensions = await refused(
        client, office.token, CREATE_CASE, {"input": {"title": "X", "filedOn": tomorrow}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "filedOn"}


async def test_blank_title_is_refused(client: httpx.AsyncClient, office: Staff) -> None:
    extensions = await refused(client, office.token, CREATE_CASE, {"input": {"title": "  "}})

    assert extensions == {"code": "BAD_USER_INPUT", "field": "title"}


async def test_responsible_lawyer_of_the_office_is_resolved(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(
        client, office.token, title="X", responsibleLawyerId=office.lawyer_global_id
    )

    assert case["responsibleLawyer"] == {"id": office.lawyer_global_id, "name": "Luís Lawyer"}


async def test_responsible_lawyer_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    extensions = await refused(
        client,
        office.token,
        CREATE_CASE,
        {"input": {"title": "X", "responsibleLawyerId": other_office.lawyer_global_id}},
    )

    assert extensions == {"code": "NOT_FOUND", "field": "responsibleLawyerId"}
    assert (await list_cases(client, office.token))["totalCount"] == 0


async def test_responsible_lawyer_id_that_is_not_an_id_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    extensions = await refused(
        client, office.token, CREATE_CASE, {"input": {"title": "X", "responsibleLawyerId": "7"}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "responsibleLawyerId"}


# --- updateCase ---------------------------------------------------------------------


async def test_update_case_changes_only_the_fields_given(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(
        client,
        office.token,
        title="Silva x Banco",
        cnjNumber=VALID_CNJ,
        court="TJSP",
        claimValue="100.00",
        responsibleLawyerId=office.lawyer_global_id,
    )

    body = await gql(
        client,
        office.token,
        UPDATE_CASE,
        {"id": case["id"], "input": {"phase": "Recurso", "status": "CLOSED", "court": None}},
    )

    expected = {**case, "phase": "Recurso", "status": "CLOSED", "court": None}
    assert data(body)["updateCase"]["case"] == expected
    assert data(await gql(client, office.token, CASE, {"id": case["id"]}))["case"] == expected


async def test_update_case_to_the_folder_of_another_case_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_case(client, office.token, title="Um")
    second = await create_case(client, office.token, title="Dois")

    extensions = await refused(
        client, office.token, UPDATE_CASE, {"id": second["id"], "input": {"folder": "00001"}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "folder"}


async def test_update_case_with_a_null_title_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="Um")

    extensions = await refused(
        client, office.token, UPDATE_CASE, {"id": case["id"], "input": {"title": None}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "title"}


@pytest.mark.parametrize("title", ["", "   "])
async def test_update_case_with_an_empty_title_says_empty_not_null(
    client: httpx.AsyncClient, office: Staff, title: str
) -> None:
    case = await create_case(client, office.token, title="Um")

    body = await gql(
        client, office.token, UPDATE_CASE, {"id": case["id"], "input": {"title": title}}
    )

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "title"}
    assert error(body)["message"] == "title must not be empty"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "title",
            "a\u202eb",
            "title has an invisible control or formatting character "
            "(U+202E, RIGHT-TO-LEFT OVERRIDE), which can disguise what is shown; remove it.",
        ),
        (
            "court",
            "\ufeffTJSP",
            "court has an invisible control or formatting character "
            "(U+FEFF, ZERO WIDTH NO-BREAK SPACE), which can disguise what is shown; remove it.",
        ),
        ("folder", "12\n34", "folder must be a single line, without line breaks"),
        (
            "internalNotes",
            "ver \u2066isolado\u2069",
            "internalNotes has an invisible control or formatting character "
            "(U+2066, LEFT-TO-RIGHT ISOLATE), which can disguise what is shown; remove it.",
        ),
    ],
)
async def test_update_case_refuses_hidden_characters_and_stores_nothing(
    client: httpx.AsyncClient, office: Staff, field: str, value: str, message: str
) -> None:
    case = await create_case(client, office.token, title="Um")

    body = await gql(client, office.token, UPDATE_CASE, {"id": case["id"], "input": {field: value}})

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error(body)["message"] == message
    fetched = data(await gql(client, office.token, CASE, {"id": case["id"]}))["case"]
    assert (fetched["title"], fetched["folder"], fetched["internalNotes"]) == ("Um", "00001", None)


async def test_notes_and_fee_agreement_keep_their_lines(
    client: httpx.AsyncClient, office: Staff
) -> None:
    notes, fees = "Linha 1\n\tLinha 2", "30% do êxito;\r\nmínimo de R$ 5.000"

    case = await create_case(
        client, office.token, title="Um", internalNotes=notes, feeAgreement=fees
    )

    assert (case["internalNotes"], case["feeAgreement"]) == (notes, fees)


async def test_update_case_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    theirs = await create_case(client, other_office.token, title="Deles")

    extensions = await refused(
        client, office.token, UPDATE_CASE, {"id": theirs["id"], "input": {"title": "Meu"}}
    )

    assert extensions == {"code": "NOT_FOUND", "field": "id"}
    fetched = data(await gql(client, other_office.token, CASE, {"id": theirs["id"]}))["case"]
    assert fetched["title"] == "Deles"


# --- case / cases -------------------------------------------------------------------


async def test_case_of_another_office_is_null_without_error(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    theirs = await create_case(client, other_office.token, title="Deles")

    body = await gql(client, office.token, CASE, {"id": theirs["id"]})

    assert body == {"data": {"case": None}}


async def test_case_with_an_id_that_is_not_a_uuid_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, CASE, {"id": "not-a-uuid"})

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


async def test_cases_lists_the_newest_first_and_only_the_own_office(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    for title in ("Um", "Dois", "Três"):
        await create_case(client, office.token, title=title)
    await create_case(client, other_office.token, title="Deles")

    cases = await list_cases(client, office.token)

    assert [edge["node"]["title"] for edge in cases["edges"]] == ["Três", "Dois", "Um"]
    assert cases["totalCount"] == 3


async def test_cases_pages_newest_first(client: httpx.AsyncClient, office: Staff) -> None:
    for n in range(1, 4):
        await create_case(client, office.token, title=f"Caso {n}")

    first_page = await list_cases(client, office.token, first=2)

    assert [edge["node"]["folder"] for edge in first_page["edges"]] == ["00003", "00002"]
    assert first_page["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}
    assert first_page["totalCount"] == 3


async def test_cases_search_matches_folder_title_or_cnj_digits(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_case(client, office.token, title="Silva x Banco", folder="SB-2024")
    await create_case(client, office.token, title="Trabalhista Souza", cnjNumber=VALID_CNJ)
    await create_case(client, office.token, title="Execução fiscal", cnjNumber=OTHER_CNJ)

    assert await folders(client, office.token, search="sb-20") == ["SB-2024"]
    assert await folders(client, office.token, search="TRABALHISTA") == ["00001"]
    assert await folders(client, office.token, search="12345671320248260100") == ["00001"]
    assert await folders(client, office.token, search="0000002-65") == ["00002"]
    assert await folders(client, office.token, search="2005.4.05") == ["00002"]
    assert await folders(client, office.token, search="nada disso") == []


async def test_cases_filters_by_status(client: httpx.AsyncClient, office: Staff) -> None:
    await create_case(client, office.token, title="Ativo")
    await create_case(client, office.token, title="Encerrado", status="CLOSED")
    archived = await create_case(client, office.token, title="Encerrado depois")
    await gql(
        client, office.token, UPDATE_CASE, {"id": archived["id"], "input": {"status": "CLOSED"}}
    )

    closed = await list_cases(client, office.token, status="CLOSED")

    assert [edge["node"]["title"] for edge in closed["edges"]] == [
        "Encerrado depois",
        "Encerrado",
    ]
    assert {edge["node"]["status"] for edge in closed["edges"]} == {"CLOSED"}
    assert closed["totalCount"] == 2
    assert (await list_cases(client, office.token, status="ACTIVE"))["totalCount"] == 1


async def test_a_lawyer_can_create_and_update_cases(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.lawyer_token, title="Do advogado")

    body = await gql(
        client, office.lawyer_token, UPDATE_CASE, {"id": case["id"], "input": {"phase": "Inicial"}}
    )

    assert data(body)["updateCase"]["case"]["phase"] == "Inicial"
    assert await folders(client, office.token) == ["00001"]


# --- parties ------------------------------------------------------------------------


async def test_add_case_party_adds_the_person_with_role_and_client_tag(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="Silva x Banco")
    person = await create_person(client, office.token, name="Maria Silva")
    variables = {
        "caseId": case["id"],
        "personId": person["id"],
        "role": "PLAINTIFF",
        "isClient": True,
    }

    body = await gql(client, office.token, ADD_CASE_PARTY, variables)

    party = {
        "person": {"id": person["id"], "name": person["name"]},
        "role": "PLAINTIFF",
        "isClient": True,
    }
    assert data(body)["addCaseParty"]["caseParty"] == party
    parties = data(await gql(client, office.token, CASE_PARTIES, {"id": case["id"]}))
    assert parties["case"]["parties"] == [party]


async def test_adding_a_party_again_updates_role_and_client_tag(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="Silva x Banco")
    person = await create_person(client, office.token, name="Maria Silva")
    ids = {"caseId": case["id"], "personId": person["id"]}
    await gql(client, office.token, ADD_CASE_PARTY, {**ids, "role": "PLAINTIFF", "isClient": True})

    body = await gql(
        client, office.token, ADD_CASE_PARTY, {**ids, "role": "THIRD_PARTY", "isClient": False}
    )

    party = {
        "person": {"id": person["id"], "name": person["name"]},
        "role": "THIRD_PARTY",
        "isClient": False,
    }
    assert data(body)["addCaseParty"]["caseParty"] == party
    parties = data(await gql(client, office.token, CASE_PARTIES, {"id": case["id"]}))
    assert parties["case"]["parties"] == [party]


async def test_remove_case_party_answers_the_party_id_whether_or_not_it_was_one(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case = await create_case(client, office.token, title="Silva x Banco")
    person = await create_person(client, office.token, name="Maria Silva")
    ids = {"caseId": case["id"], "personId": person["id"]}
    await gql(client, office.token, ADD_CASE_PARTY, {**ids, "role": "DEFENDANT", "isClient": False})

    removed = data(await gql(client, office.token, REMOVE_CASE_PARTY, ids))
    removed_again = data(await gql(client, office.token, REMOVE_CASE_PARTY, ids))

    answer = {"removedId": id_of("CaseParty", f"{key_of(case['id'])}:{key_of(person['id'])}")}
    assert removed == {"removeCaseParty": {**answer, "case": {"parties": []}}}
    assert removed_again == removed
    parties = data(await gql(client, office.token, CASE_PARTIES, {"id": case["id"]}))
    assert parties["case"]["parties"] == []


async def test_add_case_party_with_a_person_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    case = await create_case(client, office.token, title="Silva x Banco")
    theirs = await create_person(client, other_office.token, name="Maria Silva")

    extensions = await refused(
        client,
        office.token,
        ADD_CASE_PARTY,
        {"caseId": case["id"], "personId": theirs["id"], "role": "PLAINTIFF", "isClient": True},
    )

    assert extensions == {"code": "NOT_FOUND", "field": "personId"}
    parties = data(await gql(client, office.token, CASE_PARTIES, {"id": case["id"]}))
    assert parties["case"]["parties"] == []


async def test_add_case_party_to_a_case_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    theirs = await create_case(client, other_office.token, title="Deles")
    person = await create_person(client, office.token, name="Maria Silva")

    extensions = await refused(
        client,
        office.token,
        ADD_CASE_PARTY,
        {"caseId": theirs["id"], "personId": person["id"], "role": "PLAINTIFF", "isClient": True},
    )

    assert extensions == {"code": "NOT_FOUND", "field": "caseId"}


async def test_person_cases_lists_the_cases_the_person_is_a_party_to(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(client, office.token, name="Maria Silva")
    first = await create_case(client, office.token, title="Primeiro")
    await create_case(client, office.token, title="Sem Maria")
    third = await create_case(client, office.token, title="Terceiro")
    for case, role in ((first, "PLAINTIFF"), (third, "DEFENDANT")):
        await gql(
            client,
            office.token,
            ADD_CASE_PARTY,
            {"caseId": case["id"], "personId": person["id"], "role": role, "isClient": False},
        )

    body = await gql(client, office.token, PERSON_CASES, {"id": person["id"]})

    assert data(body)["person"]["cases"] == {
        "totalCount": 2,
        "edges": [
            {"node": {"folder": "00003", "title": "Terceiro"}},
            {"node": {"folder": "00001", "title": "Primeiro"}},
        ],
    }
