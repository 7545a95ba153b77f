"""Movement.explanation: a client reads what a court movement means, in plain Portuguese,
and the compiled read path answers it exactly as the executor does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from court.explanations import explain
from settings import Settings
from tests.factories import Staff, add_movement, add_party, create_case, new_portal_client
from tests.graphql_client import data, gql
from tests.serving import Served, http_client, serving

MOVEMENTS = """
query Movements($id: ID!) {
  case(id: $id) {
    movements(first: 20) { edges { node { description code explanation } } }
  }
}
"""

ADDED = [  # (description, code, source), oldest first
    ("Conclusão (para julgamento)", 51, "COURT"),
    ("Conclusão (para despacho)", 51, "COURT"),
    ("Procedência", 219, "COURT"),
    ("Audiência de conciliação (não-realizada)", 970, "COURT"),
    ("Movimento de outro sistema", 999_999, "COURT"),
    ("Certidão sem código", None, "COURT"),
    ("Reunião com o cliente", 51, "INTERNAL"),
]


@pytest.fixture(scope="module")
async def executor_only(settings: Settings) -> AsyncIterator[Served]:
    async with serving(settings.model_copy(update={"compiled_reads": False})) as app:
        yield app


async def _folder(client: httpx.AsyncClient, office: Staff) -> tuple[str, str]:
    """A folder with ``ADDED``'s movements, whose client is signed in: its id, their token."""
    portal = await new_portal_client(client, office)
    case_id = (await create_case(client, office.token, title="Souza x Construtora"))["id"]
    await add_party(client, office, case_id, portal.person_id, is_client=True)
    for day, (description, code, source) in enumerate(ADDED, 1):
        await add_movement(
            client,
            office.token,
            case_id,
            occurredAt=f"2024-03-{day:02d}T10:00:00-03:00",
            description=description,
            code=code,
            source=source,
        )
    return case_id, portal.token


def _nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data(body)["case"]["movements"]["edges"]]


async def test_a_client_reads_each_court_movement_explained_by_its_code_and_complement(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id, token = await _folder(client, office)

    nodes = _nodes(await gql(client, token, MOVEMENTS, {"id": case_id}))

    assert nodes == [
        {"description": "Certidão sem código", "code": None, "explanation": None},
        {"description": "Movimento de outro sistema", "code": 999_999, "explanation": None},
        {
            "description": "Audiência de conciliação (não-realizada)",
            "code": 970,
            "explanation": "A audiência marcada não aconteceu. Em geral, uma nova data é "
            "marcada ou o processo segue por outro caminho.",
        },
        {
            "description": "Procedência",
            "code": 219,
            "explanation": "O juiz deu razão ao pedido de quem abriu o processo. A outra "
            "parte ainda pode recorrer; sem recurso, a decisão se torna definitiva.",
        },
        {
            "description": "Conclusão (para despacho)",
            "code": 51,
            "explanation": "O processo foi enviado ao juiz para uma ordem simples de "
            "andamento. Em seguida o processo segue para o próximo passo.",
        },
        {
            "description": "Conclusão (para julgamento)",
            "code": 51,
            "explanation": "O processo foi enviado ao juiz para ser julgado. O próximo passo "
            "costuma ser a sentença, que decide o caso.",
        },
    ]


async def test_staff_read_the_explanation_of_internal_movements_too(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id, _ = await _folder(client, office)

    nodes = _nodes(await gql(client, office.token, MOVEMENTS, {"id": case_id}))

    assert nodes[0] == {
        "description": "Reunião com o cliente",
        "code": 51,
        "explanation": explain(51, "Reunião com o cliente"),
    }
    assert nodes[0]["explanation"] == explain(51, "Conclusão")
    assert len(nodes) == len(ADDED)


async def test_the_compiled_path_answers_the_explanations_as_the_executor_does(
    served: Served, executor_only: Served, client: httpx.AsyncClient, office: Staff
) -> None:
    case_id, client_token = await _folder(client, office)
    counts = served.state["reads"].counts
    before = counts["compiled"] + counts["cached"]

    answers = {}
    for who, token in (("client", client_token), ("staff", office.token)):
        async with http_client(executor_only) as executor:
            answers[who] = (
                await gql(client, token, MOVEMENTS, {"id": case_id}),
                await gql(executor, token, MOVEMENTS, {"id": case_id}),
            )

    assert counts["compiled"] + counts["cached"] - before == 2  # neither went to the executor
    for compiled, executed in answers.values():
        assert compiled == executed
    explained = [node["explanation"] for node in _nodes(answers["staff"][0])]
    assert explained == [explain(code, text) for text, code, _ in reversed(ADDED)]
