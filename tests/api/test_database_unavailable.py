from __future__ import annotations

from typing import Any

import httpx

from db.engine import create_engine
from tests.factories import Staff, data, gql

VIEWER = "{ viewer { email } }"


async def test_a_lost_database_answers_503_and_service_resumes_when_it_is_back(
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

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "errors": [
            {
                "message": "The database is unavailable; try again shortly.",
                "extensions": {"code": "INTERNAL"},
            }
        ]
    }
    assert ready.status_code == 503
    assert data(await gql(client, office.token, VIEWER)) == {"viewer": {"email": office.email}}
