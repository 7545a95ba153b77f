"""Movements and tasks of a case over GraphQL, done by a lawyer (any staff member)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import ADD_MOVEMENT, Staff, add_movement, create_case, movement
from tests.graphql_client import data, error, gql, refused

CASE_MOVEMENTS = """
query CaseMovements($id: ID!, $first: Int, $after: String) {
  case(id: $id) {
    movements(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { node { description occurredAt source } }
    }
  }
}
"""

CREATE_TASK = """
mutation CreateTask($caseId: ID!, $input: TaskInput!) {
  createTask(caseId: $caseId, input: $input) {
    task { id title dueOn done assignee { id name } }
  }
}
"""

CASE_TASKS = """
query CaseTasks($id: ID!) {
  case(id: $id) { tasks { title dueOn done } }
}
"""


async def movements_page(
    client: httpx.AsyncClient, token: str, case_id: str, **arguments: Any
) -> dict[str, Any]:
    body = await gql(client, token, CASE_MOVEMENTS, {"id": case_id, **arguments})
    page: dict[str, Any] = data(body)["case"]["movements"]
    return page


# --- addMovement --------------------------------------------------------------------


async def test_a_lawyer_adds_a_court_movement(client: httpx.AsyncClient, office: Staff) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    added = await add_movement(
        client,
        office.lawyer_token,
        case_id,
        source="COURT",
        code=85,
        description="  Petição juntada  ",
    )

    added.pop("id")
    assert added == {
        "occurredAt": "2024-05-02T17:30:00+00:00",  # the same instant, in UTC
        "description": "Petição juntada",
        "code": 85,
        "source": "COURT",
        "createdBy": {"id": office.lawyer_global_id, "name": "Luís Lawyer"},
    }


async def test_a_lawyer_adds_an_internal_movement_without_code(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    added = await add_movement(
        client,
        office.lawyer_token,
        case_id,
        source="INTERNAL",
        description="Reunião com o cliente",
        occurredAt="2024-05-03T09:00:00Z",
    )

    assert added["source"] == "INTERNAL"
    assert added["code"] is None
    assert added["occurredAt"] == "2024-05-03T09:00:00+00:00"
    page = await movements_page(client, office.token, case_id)
    assert page["edges"] == [
        {
            "node": {
                "description": "Reunião com o cliente",
                "occurredAt": "2024-05-03T09:00:00+00:00",
                "source": "INTERNAL",
            }
        }
    ]


async def test_movements_come_newest_first_by_occurred_at_in_pages(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]
    days = [1, 2, 3, 4, 5]
    random.Random(7).shuffle(days)  # added in an order unrelated to when they happened
    for day in days:
        await add_movement(
            client,
            office.lawyer_token,
            case_id,
            description=f"Dia {day}",
            occurredAt=f"2024-05-0{day}T12:00:00-03:00",
        )

    first = await movements_page(client, office.lawyer_token, case_id, first=2)
    second = await movements_page(
        client, office.lawyer_token, case_id, first=2, after=first["pageInfo"]["endCursor"]
    )
    last = await movements_page(
        client, office.lawyer_token, case_id, first=2, after=second["pageInfo"]["endCursor"]
    )

    def descriptions(page: dict[str, Any]) -> list[str]:
        return [edge["node"]["description"] for edge in page["edges"]]

    assert descriptions(first) == ["Dia 5", "Dia 4"]
    assert descriptions(second) == ["Dia 3", "Dia 2"]
    assert descriptions(last) == ["Dia 1"]
    assert [page["totalCount"] for page in (first, second, last)] == [5, 5, 5]
    assert [page["pageInfo"]["hasNextPage"] for page in (first, second, last)] == [
        True,
        True,
        False,
    ]
    assert [page["pageInfo"]["hasPreviousPage"] for page in (first, second, last)] == [
        False,
        True,
        True,
    ]


async def test_movements_of_a_case_without_any_are_an_empty_connection(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    page = await movements_page(client, office.lawyer_token, case_id)

    assert page == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
        "edges": [],
    }


async def test_movements_with_first_over_100_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    body = await gql(client, office.lawyer_token, CASE_MOVEMENTS, {"id": case_id, "first": 101})

    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}
    assert error(body)["path"] == ["case", "movements"]


IN_THREE_DAYS = (datetime.now(UTC) + timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        pytest.param({"occurredAt": "2024-05-02T14:30:00"}, "occurredAt", id="no-offset"),
        pytest.param({"occurredAt": IN_THREE_DAYS}, "occurredAt", id="future"),
        pytest.param(
            {"occurredAt": "0001-01-01T00:00:00+14:00"}, "occurredAt", id="overflows-in-utc"
        ),
        pytest.param({"occurredAt": "0002-01-01T00:00:00Z"}, "occurredAt", id="before-1900"),
        pytest.param(
            {"occurredAt": "9999-12-31T23:59:59-23:59"}, "occurredAt", id="overflows-future"
        ),
        pytest.param({"code": 0}, "code", id="code-not-positive"),
        pytest.param({"description": " "}, "description", id="blank-description"),
    ],
)
async def test_a_bad_movement_is_refused_naming_its_field_and_adds_nothing(
    client: httpx.AsyncClient, office: Staff, bad: dict[str, Any], field: str
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    extensions = await refused(
        client, office.lawyer_token, ADD_MOVEMENT, {"caseId": case_id, "input": movement(**bad)}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": field}
    assert (await movements_page(client, office.token, case_id))["totalCount"] == 0


async def test_add_movement_to_a_case_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    theirs = (await create_case(client, other_office.token))["id"]

    extensions = await refused(
        client, office.lawyer_token, ADD_MOVEMENT, {"caseId": theirs, "input": movement()}
    )

    assert extensions == {"code": "NOT_FOUND", "field": "caseId"}
    assert (await movements_page(client, other_office.token, theirs))["totalCount"] == 0


async def test_add_movement_with_a_case_id_that_is_not_an_id_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    extensions = await refused(
        client, office.lawyer_token, ADD_MOVEMENT, {"caseId": "12", "input": movement()}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "caseId"}


# --- createTask ---------------------------------------------------------------------


async def test_a_lawyer_creates_a_task_with_an_assignee(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    body = await gql(
        client,
        office.lawyer_token,
        CREATE_TASK,
        {
            "caseId": case_id,
            "input": {
                "title": "Contestar",
                "dueOn": "2024-06-10",
                "assigneeId": office.admin_global_id,
            },
        },
    )

    task = data(body)["createTask"]["task"]
    task.pop("id")
    assert task == {
        "title": "Contestar",
        "dueOn": "2024-06-10",
        "done": False,
        "assignee": {"id": office.admin_global_id, "name": "Ana Admin"},
    }


async def test_a_task_without_due_date_or_assignee(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    body = await gql(
        client, office.lawyer_token, CREATE_TASK, {"caseId": case_id, "input": {"title": "Ligar"}}
    )

    task = data(body)["createTask"]["task"]
    assert (task["title"], task["dueOn"], task["done"], task["assignee"]) == (
        "Ligar",
        None,
        False,
        None,
    )


async def test_tasks_list_open_ones_first_by_due_date_undated_last(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]
    today = date.today()
    tasks = [
        ("Feita cedo", today - timedelta(days=5), True),
        ("Aberta tarde", today + timedelta(days=10), False),
        ("Aberta sem prazo", None, False),
        ("Feita sem prazo", None, True),
        ("Aberta cedo", today + timedelta(days=1), False),
        ("Aberta vencida", today - timedelta(days=3), False),
    ]
    for title, due_on, done in tasks:
        task = {"title": title, "done": done, "dueOn": due_on and due_on.isoformat()}
        data(
            await gql(client, office.lawyer_token, CREATE_TASK, {"caseId": case_id, "input": task})
        )

    body = await gql(client, office.lawyer_token, CASE_TASKS, {"id": case_id})

    listed = [(task["title"], task["done"]) for task in data(body)["case"]["tasks"]]
    assert listed == [
        ("Aberta vencida", False),
        ("Aberta cedo", False),
        ("Aberta tarde", False),
        ("Aberta sem prazo", False),
        ("Feita cedo", True),
        ("Feita sem prazo", True),
    ]


async def test_a_task_assigned_to_staff_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    extensions = await refused(
        client,
        office.lawyer_token,
        CREATE_TASK,
        {"caseId": case_id, "input": {"title": "X", "assigneeId": other_office.lawyer_global_id}},
    )

    assert extensions == {"code": "NOT_FOUND", "field": "assigneeId"}
    assert data(await gql(client, office.token, CASE_TASKS, {"id": case_id}))["case"] == {
        "tasks": []
    }


async def test_a_task_with_a_blank_title_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    case_id = (await create_case(client, office.lawyer_token))["id"]

    extensions = await refused(
        client, office.lawyer_token, CREATE_TASK, {"caseId": case_id, "input": {"title": ""}}
    )

    assert extensions == {"code": "BAD_USER_INPUT", "field": "title"}


async def test_create_task_in_a_case_of_another_office_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    theirs = (await create_case(client, other_office.token))["id"]

    extensions = await refused(
        client, office.lawyer_token, CREATE_TASK, {"caseId": theirs, "input": {"title": "X"}}
    )

    assert extensions == {"code": "NOT_FOUND", "field": "caseId"}
    assert data(await gql(client, other_office.token, CASE_TASKS, {"id": theirs}))["case"] == {
        "tasks": []
    }
