"""A new mobile app, as the README tells it: registered by an admin, it signs a client in
through Causa's page with PKCE and a loopback redirect, reads the client view, pages
through it stably while the office works, refetches by node(id:), and signs out."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.auth.test_oauth import (
    authorize_query,
    exchange,
    new_pkce,
    post_sign_in,
    redirect_parameters,
    register,
)
from tests.factories import Staff, add_party, create_case, new_portal_client
from tests.graphql_client import data

PAGE = """
query Page($after: String) {
  cases(first: 2, after: $after) {
    edges { node { id title } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
REFETCH = "query($id: ID!) { node(id: $id) { __typename ... on Case { id title } } }"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_mobile_app_signs_a_client_in_reads_pages_refetches_and_signs_out(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given an office whose client carries the client tag on five folders, and an app
    portal = await new_portal_client(client, office)
    for n in range(5):
        case = await create_case(client, office.token, title=f"Pasta {n}")
        await add_party(client, office, case["id"], portal.person_id, is_client=True)
    app = await register(client, office)

    # when the app opens Causa's sign-in page in the system browser and the client signs in
    pkce = new_pkce()
    page = await client.get(f"/oauth/authorize?{urlencode(authorize_query(app, pkce))}")
    assert page.status_code == 200
    assert "<html" in page.text
    assert 'lang="pt-BR"' in page.text
    back = redirect_parameters(await post_sign_in(client, page, portal.email, portal.password))
    assert back["state"] == "estado-123"
    tokens = (await exchange(client, app, back["code"], pkce)).json()
    access = tokens["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(access.split(".")[1] + "=="))
    assert claims["client_id"] == app.client_id

    # then it reads the client's folders, two at a time, newest first
    async def page_after(cursor: str | None) -> dict[str, Any]:
        body = await client.post(
            "/graphql",
            json={"query": PAGE, "variables": {"after": cursor}},
            headers=bearer(access),
        )
        found: dict[str, Any] = data(body.json())["cases"]
        return found

    first = await page_after(None)
    seen = [edge["node"]["title"] for edge in first["edges"]]
    assert seen == ["Pasta 4", "Pasta 3"]

    # and a folder opened meanwhile (newer than all) neither repeats nor hides an item
    newer = await create_case(client, office.token, title="Pasta nova")
    await add_party(client, office, newer["id"], portal.person_id, is_client=True)
    cursor = first["pageInfo"]["endCursor"]
    while cursor is not None:
        following = await page_after(cursor)
        seen += [edge["node"]["title"] for edge in following["edges"]]
        info = following["pageInfo"]
        cursor = info["endCursor"] if info["hasNextPage"] else None
    assert seen == ["Pasta 4", "Pasta 3", "Pasta 2", "Pasta 1", "Pasta 0"]

    # and refetches one by its id, as a normalised cache does
    one = first["edges"][0]["node"]
    refetched = await client.post(
        "/graphql", json={"query": REFETCH, "variables": {"id": one["id"]}}, headers=bearer(access)
    )
    assert data(refetched.json())["node"] == {"__typename": "Case", **one}

    # when it signs out, the refresh token is revoked and the access token stops at once
    signed_out = await client.post("/auth/revoke", data={"token": tokens["refresh_token"]})
    assert signed_out.status_code == 200
    after = await client.post(
        "/graphql", json={"query": "{ viewer { email } }"}, headers=bearer(access)
    )
    assert after.status_code == 401
    refreshed = await client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.json()["error"] == "invalid_grant"
