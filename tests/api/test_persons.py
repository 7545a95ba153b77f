"""Persons over GraphQL: creating, validating, updating, searching and paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.validators import make_cpf
from tests.factories import CREATE_PERSON, PERSON_FIELDS, Staff, create_person, key_of
from tests.graphql_client import data, error, gql

UPDATE_PERSON = f"""
mutation UpdatePerson($id: ID!, $input: PersonUpdateInput!) {{
  updatePerson(id: $id, input: $input) {{ person {{ {PERSON_FIELDS} }} }}
}}
"""

PERSON = f"""
query Person($id: ID!) {{
  person(id: $id) {{ {PERSON_FIELDS} }}
}}
"""

PERSONS = """
query Persons($first: Int, $after: String, $search: String) {
  persons(first: $first, after: $after, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name taxId } }
  }
}
"""

PERSONS_COUNT = "{ persons { totalCount } }"

VALID_CPF = "529.982.247-25"
INVALID_CPF = "529.982.247-26"
VALID_CNPJ = "11.222.333/0001-81"


async def person_count(client: httpx.AsyncClient, token: str) -> int:
    count: int = data(await gql(client, token, PERSONS_COUNT))["persons"]["totalCount"]
    return count


async def names_found(client: httpx.AsyncClient, token: str, search: str) -> list[str]:
    body = await gql(client, token, PERSONS, {"search": search})
    return [edge["node"]["name"] for edge in data(body)["persons"]["edges"]]


# --- createPerson ---------------------------------------------------------------


async def test_create_person_with_only_a_name_makes_a_natural_person(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(client, office.token, name="Maria Souza")

    assert key_of(person.pop("id"))
    assert person == {
        "name": "Maria Souza",
        "kind": "NATURAL",
        "taxId": None,
        "email": None,
        "phone": None,
        "notes": None,
    }


async def test_create_person_stores_a_formatted_cpf_as_given(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(client, office.token, name="Maria Souza", taxId=VALID_CPF)

    assert person["taxId"] == VALID_CPF
    assert person["kind"] == "NATURAL"


async def test_create_person_stores_a_bare_cpf_formatted(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(client, office.token, name="Maria Souza", taxId="52998224725")

    assert person["taxId"] == VALID_CPF
    assert person["kind"] == "NATURAL"


async def test_create_person_with_a_cnpj_infers_a_legal_person(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(client, office.token, name="Acme Ltda.", taxId="11222333000181")

    assert person["kind"] == "LEGAL"
    assert person["taxId"] == VALID_CNPJ


@pytest.mark.parametrize("given", ["12.ABC.345/01DE-35", "12abc34501de35"])
async def test_an_alphanumeric_cnpj_makes_a_legal_person_kept_in_upper_case(
    client: httpx.AsyncClient, office: Staff, given: str
) -> None:
    person = await create_person(client, office.token, name="Nova Ltda.", taxId=given)

    assert person["kind"] == "LEGAL"
    assert person["taxId"] == "12.ABC.345/01DE-35"


async def test_an_alphanumeric_cnpj_with_wrong_check_digits_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(
        client, office.token, CREATE_PERSON, {"input": {"name": "X", "taxId": "12.ABC.345/01DE-36"}}
    )
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "taxId"}
    assert error(body)["message"] == (
        '"12.ABC.345/01DE-36" is not a valid CNPJ: the check digits do not match.'
    )


async def test_create_person_keeps_all_optional_fields(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(
        client,
        office.token,
        name="  Maria Souza  ",
        taxId=VALID_CPF,
        email="maria@EXAMPLE.com",
        phone="+55 11 99999-0000",
        notes="Prefere contato por e-mail.",
    )

    assert person["name"] == "Maria Souza"
    assert person["email"] == "maria@example.com"
    assert person["phone"] == "+55 11 99999-0000"
    assert person["notes"] == "Prefere contato por e-mail."


async def test_create_person_with_an_invalid_cpf_is_refused_and_creates_nothing(
    client: httpx.AsyncClient, office: Staff
) -> None:
    before = await person_count(client, office.token)

    body = await gql(
        client, office.token, CREATE_PERSON, {"input": {"name": "Maria", "taxId": INVALID_CPF}}
    )

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "taxId"}
    assert error(body)["path"] == ["createPerson"]
    assert await person_count(client, office.token) == before == 0


async def test_create_person_with_a_cpf_but_kind_legal_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(
        client,
        office.token,
        CREATE_PERSON,
        {"input": {"name": "Maria", "taxId": VALID_CPF, "kind": "LEGAL"}},
    )

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "taxId"}
    assert await person_count(client, office.token) == 0


async def test_create_person_with_a_tax_id_already_in_the_office_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_person(client, office.token, name="Maria Souza", taxId=VALID_CPF)

    body = await gql(
        client,
        office.token,
        CREATE_PERSON,
        {"input": {"name": "Outra Maria", "taxId": "52998224725"}},
    )

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "taxId"}
    assert await person_count(client, office.token) == 1


async def test_the_same_tax_id_is_allowed_in_another_office(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    mine = await create_person(client, office.token, name="Maria Souza", taxId=VALID_CPF)

    theirs = await create_person(client, other_office.token, name="Maria Souza", taxId=VALID_CPF)

    assert theirs["taxId"] == mine["taxId"] == VALID_CPF
    assert theirs["id"] != mine["id"]


async def test_create_person_with_an_invalid_email_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(
        client, office.token, CREATE_PERSON, {"input": {"name": "Maria", "email": "not-an-email"}}
    )

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}
    assert await person_count(client, office.token) == 0


async def test_create_person_with_a_blank_name_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, CREATE_PERSON, {"input": {"name": "   "}})

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "name"}
    assert await person_count(client, office.token) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "name",
            "a\u202eb",
            "name has an invisible control or formatting character "
            "(U+202E, RIGHT-TO-LEFT OVERRIDE), which can disguise what is shown; remove it.",
        ),
        (
            "name",
            "a\u0007b",
            "name has an invisible control or formatting character "
            "(U+0007, a control character), which can disguise what is shown; remove it.",
        ),
        (
            "name",
            "\ufeff",
            "name has an invisible control or formatting character "
            "(U+FEFF, ZERO WIDTH NO-BREAK SPACE), which can disguise what is shown; remove it.",
        ),
        ("name", "Ana\nSouza", "name must be a single line, without line breaks"),
        ("phone", "11\r\n9999", "phone must be a single line, without line breaks"),
        (
            "notes",
            "ligar \u202e amanhã",
            "notes has an invisible control or formatting character "
            "(U+202E, RIGHT-TO-LEFT OVERRIDE), which can disguise what is shown; remove it.",
        ),
        (
            "email",
            "ana\u200b@escritorio.com.br",
            "email has an invisible control or formatting character "
            "(U+200B, ZERO WIDTH SPACE), which can disguise what is shown; remove it.",
        ),
    ],
)
async def test_create_person_refuses_hidden_characters_and_creates_nothing(
    client: httpx.AsyncClient, office: Staff, field: str, value: str, message: str
) -> None:
    body = await gql(client, office.token, CREATE_PERSON, {"input": {"name": "Ana", field: value}})

    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error(body)["message"] == message
    assert await person_count(client, office.token) == 0


async def test_notes_keep_their_line_breaks(client: httpx.AsyncClient, office: Staff) -> None:
    person = await create_person(client, office.token, name="Ana", notes="Linha 1\nLinha 2")

    assert person["notes"] == "Linha 1\nLinha 2"


async def test_a_lawyer_can_create_a_person(client: httpx.AsyncClient, office: Staff) -> None:
    person = await create_person(client, office.lawyer_token, name="Maria Souza")

    assert await person_count(client, office.token) == 1
    assert person["name"] == "Maria Souza"


# --- updatePerson ---------------------------------------------------------------


async def test_update_person_changes_only_the_fields_given(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(
        client,
        office.token,
        name="Maria Souza",
        taxId=VALID_CPF,
        email="maria@example.com",
        phone="11 3333-4444",
        notes="Cliente antiga.",
    )

    body = await gql(
        client,
        office.token,
        UPDATE_PERSON,
        {"id": person["id"], "input": {"phone": "11 5555-6666"}},
    )

    assert data(body)["updatePerson"]["person"] == {**person, "phone": "11 5555-6666"}
    fetched = data(await gql(client, office.token, PERSON, {"id": person["id"]}))["person"]
    assert fetched == {**person, "phone": "11 5555-6666"}


async def test_update_person_with_null_clears_the_field(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(
        client, office.token, name="Maria Souza", taxId=VALID_CPF, email="maria@example.com"
    )

    body = await gql(
        client,
        office.token,
        UPDATE_PERSON,
        {"id": person["id"], "input": {"email": None, "taxId": None}},
    )

    assert data(body)["updatePerson"]["person"] == {**person, "email": None, "taxId": None}


async def test_update_person_with_a_null_name_is_refused_and_keeps_the_name(
    client: httpx.AsyncClient, office: Staff
) -> None:
    person = await create_person(client, office.token, name="Maria Souza")

    body = await gql(
        client, office.token, UPDATE_PERSON, {"id": person["id"], "input": {"name": None}}
    )

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "name"}
    fetched = data(await gql(client, office.token, PERSON, {"id": person["id"]}))["person"]
    assert fetched["name"] == "Maria Souza"


async def test_update_person_to_a_tax_id_of_another_person_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_person(client, office.token, name="Maria Souza", taxId=VALID_CPF)
    joana = await create_person(client, office.token, name="Joana Lima")

    body = await gql(
        client, office.token, UPDATE_PERSON, {"id": joana["id"], "input": {"taxId": VALID_CPF}}
    )

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "taxId"}


async def test_update_person_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    theirs = await create_person(client, other_office.token, name="Maria Souza")

    body = await gql(
        client, office.token, UPDATE_PERSON, {"id": theirs["id"], "input": {"name": "Hacked"}}
    )

    assert error(body)["extensions"] == {"code": "NOT_FOUND", "field": "id"}
    fetched = data(await gql(client, other_office.token, PERSON, {"id": theirs["id"]}))["person"]
    assert fetched["name"] == "Maria Souza"


# --- person / persons -------------------------------------------------------------


async def test_person_of_another_office_is_null(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    theirs = await create_person(client, other_office.token, name="Maria Souza")

    body = await gql(client, office.token, PERSON, {"id": theirs["id"]})

    assert data(body) == {"person": None}


async def test_persons_lists_only_the_own_office_by_name(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    for name in ("Carla", "Ana", "Bruno"):
        await create_person(client, office.token, name=name)
    await create_person(client, other_office.token, name="Alheia")

    body = await gql(client, office.token, PERSONS)

    persons = data(body)["persons"]
    assert [edge["node"]["name"] for edge in persons["edges"]] == ["Ana", "Bruno", "Carla"]
    assert persons["totalCount"] == 3


async def test_persons_search_matches_a_name_substring_ignoring_case(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_person(client, office.token, name="João da Silva")
    await create_person(client, office.token, name="Maria Silveira")
    await create_person(client, office.token, name="Pedro Santos")

    assert await names_found(client, office.token, "SILV") == ["João da Silva", "Maria Silveira"]
    assert await names_found(client, office.token, "joão") == ["João da Silva"]
    assert await names_found(client, office.token, "  santos ") == ["Pedro Santos"]
    assert await names_found(client, office.token, "ninguém") == []


async def test_persons_search_matches_accents_only_as_stored(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_person(client, office.token, name="Conceição Araújo")

    assert await names_found(client, office.token, "conceição") == ["Conceição Araújo"]
    assert await names_found(client, office.token, "araújo") == ["Conceição Araújo"]
    assert await names_found(client, office.token, "conceicao") == []


async def test_persons_search_treats_like_wildcards_literally(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_person(client, office.token, name="Maria Souza")

    assert await names_found(client, office.token, "%") == []
    assert await names_found(client, office.token, "M_ria") == []


async def test_persons_search_matches_tax_id_digits(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_person(client, office.token, name="Maria Souza", taxId=VALID_CPF)
    await create_person(client, office.token, name="Acme Ltda.", taxId=VALID_CNPJ)
    await create_person(client, office.token, name="Sem Documento")

    assert await names_found(client, office.token, "52998224725") == ["Maria Souza"]
    assert await names_found(client, office.token, "982.247") == ["Maria Souza"]
    assert await names_found(client, office.token, "11222333") == ["Acme Ltda."]
    assert await names_found(client, office.token, "0001-81") == ["Acme Ltda."]


@pytest.mark.parametrize("search", ["12abc", "12ABC", "12.abc.345", "abc34501de", "12ABC34501DE35"])
async def test_persons_search_finds_an_alphanumeric_cnpj_in_any_case(
    client: httpx.AsyncClient, office: Staff, search: str
) -> None:
    await create_person(client, office.token, name="Nova Ltda.", taxId="12.ABC.345/01DE-35")
    await create_person(client, office.token, name="Acme Ltda.", taxId=VALID_CNPJ)

    assert await names_found(client, office.token, search) == ["Nova Ltda."]


async def test_persons_search_by_letters_alone_does_not_look_in_tax_ids(
    client: httpx.AsyncClient, office: Staff
) -> None:
    await create_person(client, office.token, name="Nova Ltda.", taxId="12.ABC.345/01DE-35")

    assert await names_found(client, office.token, "abc") == []


async def test_persons_pages_forward_with_first_and_after(
    client: httpx.AsyncClient, office: Staff
) -> None:
    names = [f"Pessoa {n:02d}" for n in range(1, 6)]
    for name in reversed(names):
        await create_person(client, office.token, name=name)

    first_page = data(await gql(client, office.token, PERSONS, {"first": 2}))["persons"]
    second_page = data(
        await gql(
            client,
            office.token,
            PERSONS,
            {"first": 2, "after": first_page["pageInfo"]["endCursor"]},
        )
    )["persons"]
    last_page = data(
        await gql(
            client,
            office.token,
            PERSONS,
            {"first": 2, "after": second_page["pageInfo"]["endCursor"]},
        )
    )["persons"]

    def page_names(page: dict[str, Any]) -> list[str]:
        return [edge["node"]["name"] for edge in page["edges"]]

    assert page_names(first_page) == names[0:2]
    assert page_names(second_page) == names[2:4]
    assert page_names(last_page) == names[4:5]
    assert [page["totalCount"] for page in (first_page, second_page, last_page)] == [5, 5, 5]
    assert first_page["pageInfo"]["hasNextPage"] is True
    assert first_page["pageInfo"]["hasPreviousPage"] is False
    assert first_page["pageInfo"]["startCursor"] == first_page["edges"][0]["cursor"]
    assert first_page["pageInfo"]["endCursor"] == first_page["edges"][1]["cursor"]
    assert second_page["pageInfo"]["hasNextPage"] is True
    assert second_page["pageInfo"]["hasPreviousPage"] is True
    assert last_page["pageInfo"]["hasNextPage"] is False
    assert last_page["pageInfo"]["hasPreviousPage"] is True


async def test_persons_page_past_the_end_is_empty_but_keeps_the_total(
    client: httpx.AsyncClient, office: Staff
) -> None:
    for name in ("Ana", "Bruno"):
        await create_person(client, office.token, name=name)
    whole = data(await gql(client, office.token, PERSONS))["persons"]

    body = await gql(client, office.token, PERSONS, {"after": whole["pageInfo"]["endCursor"]})

    assert data(body)["persons"] == {
        "totalCount": 2,
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": True,
            "startCursor": None,
            "endCursor": None,
        },
        "edges": [],
    }


async def test_persons_with_first_over_100_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, PERSONS, {"first": 101})

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_persons_with_negative_first_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, PERSONS, {"first": -1})

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_persons_with_a_cursor_not_made_by_the_server_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    for after in ("garbage!", "b2Zmc2V0Oi01", "aGVsbG8="):  # "offset:-5", "hello"
        body = await gql(client, office.token, PERSONS, {"after": after})

        assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}, after


async def test_a_lawyer_can_list_and_update_persons(
    client: httpx.AsyncClient, office: Staff
) -> None:
    cpf = make_cpf("123456789")
    person = await create_person(client, office.token, name="Maria Souza")

    body = await gql(
        client, office.lawyer_token, UPDATE_PERSON, {"id": person["id"], "input": {"taxId": cpf}}
    )

    assert data(body)["updatePerson"]["person"]["taxId"] == cpf
    assert await names_found(client, office.lawyer_token, "Maria") == ["Maria Souza"]
