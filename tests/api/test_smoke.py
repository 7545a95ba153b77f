from __future__ import annotations

import httpx

from tests.factories import Staff
from tests.graphql_client import data, gql

VIEWER = "{ viewer { email role person { id } } }"


async def test_staff_viewer_is_the_signed_in_account(
    client: httpx.AsyncClient, office: Staff
) -> None:
    body = await gql(client, office.token, VIEWER)
    assert data(body) == {"viewer": {"email": office.email, "role": "ADMIN", "person": None}}
