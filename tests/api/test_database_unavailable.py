"""While the database cannot be reached, every endpoint answers 503 with Retry-After."""

from __future__ import annotations

from typing import Any

import httpx

from db.engine import create_engine
from tests.factories import PDF, Staff, create_case, upload_document
from tests.graphql_client import data, gql

VIEWER = "{ viewer { email } }"
UNAVAILABLE = {
    "errors": [
        {
            "message": "The database is unavailable; try again shortly.",
            "extensions": {"code": "UNAVAILABLE"},
        }
    ]
}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json() == UNAVAILABLE


async def test_graphql_and_readyz_answer_503_and_service_resumes_when_it_is_back(
    served: Any, client: httpx.AsyncClient, office: Staff, unused_url: str
) -> None:
    real_engine = served.state["engine"]
    served.state["engine"] = create_engine(unused_url, pool_size=1)
    try:
        response = await client.post("/graphql", json={"query": VIEWER}, headers=office.headers)
        ready = await client.get("/readyz")
    finally:
        await served.state["engine"].dispose()
        served.state["engine"] = real_engine

    assert_unavailable(response)
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    assert data(await gql(client, office.token, VIEWER)) == {"viewer": {"email": office.email}}


async def test_every_endpoint_answers_503_during_an_outage(
    served: Any, client: httpx.AsyncClient, office: Staff, unused_url: str
) -> None:
    case_id = (await create_case(client, office.token, title="Ação de cobrança"))["id"]
    document = data(await upload_document(client, office.token, case_id, PDF))["uploadDocument"][
        "document"
    ]
    download = document["downloadUrl"].removeprefix("https://portal.causa.test")

    real_engine = served.state["engine"]
    served.state["engine"] = create_engine(unused_url, pool_size=1)
    try:
        answers = {
            "password grant": await client.post(
                "/auth/token",
                data={"grant_type": "password", "username": office.email, "password": "x" * 12},
            ),
            "refresh grant": await client.post(
                "/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": office.refresh_token},
            ),
            "revoke": await client.post("/auth/revoke", data={"token": office.refresh_token}),
            "invitation": await client.post(
                "/auth/invitations/accept",
                json={"token": office.refresh_token, "password": "y" * 16},
            ),
            "download": await client.get(download),
        }
    finally:
        await served.state["engine"].dispose()
        served.state["engine"] = real_engine

    for name, response in answers.items():
        assert response.status_code == 503, (name, response.text)
        assert response.headers["retry-after"] == "5", name
    assert answers["password grant"].json() == {
        "error": "temporarily_unavailable",
        "error_description": "The database is unavailable; try again shortly.",
    }
    assert_unavailable(answers["download"])
    # Nothing was refused or ended meanwhile: the session still works.
    assert data(await gql(client, office.token, VIEWER)) == {"viewer": {"email": office.email}}
