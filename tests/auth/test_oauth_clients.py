"""OAuth clients (apps): registered and revoked by admins, with redirect URIs that
OAuth 2.1 and RFC 8252 allow."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Staff
from tests.graphql_client import data, refusal

REGISTER = """
mutation Register($input: OAuthClientInput!) {
  registerOAuthClient(input: $input) {
    oauthClient { id clientId name type redirectUris revokedAt }
    clientSecret
  }
}
"""
REVOKE = "mutation Revoke($id: ID!) { revokeOAuthClient(id: $id) { oauthClient { id revokedAt } } }"
CLIENTS = "{ oauthClients { clientId name type } }"


def app(**fields: Any) -> dict[str, Any]:
    return {"input": {"name": "App do escritório", "type": "PUBLIC"} | fields}


async def register(client: httpx.AsyncClient, office: Staff, **fields: Any) -> dict[str, Any]:
    body = await _post(client, office.token, REGISTER, app(**fields))
    registered: dict[str, Any] = data(body)["registerOAuthClient"]
    return registered


async def _post(
    client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    return body


async def test_an_admin_registers_a_public_app_and_lists_it(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # when an admin registers a mobile app with a loopback and a private-use redirect
    uris = ["http://127.0.0.1/callback", "br.com.escritorio.app:/oauth"]
    registered = await register(client, office, redirectUris=uris)

    # then it has a client_id and no secret, and the office's list shows it
    assert registered["clientSecret"] is None
    assert registered["oauthClient"]["clientId"].startswith("app-")
    assert registered["oauthClient"]["type"] == "PUBLIC"
    assert registered["oauthClient"]["redirectUris"] == uris
    listed = data(await _post(client, office.token, CLIENTS, {}))["oauthClients"]
    assert listed == [
        {
            "clientId": registered["oauthClient"]["clientId"],
            "name": "App do escritório",
            "type": "PUBLIC",
        }
    ]


async def test_a_confidential_app_gets_its_secret_once(
    client: httpx.AsyncClient, office: Staff
) -> None:
    registered = await register(
        client, office, type="CONFIDENTIAL", redirectUris=["https://app.example.com/cb"]
    )
    assert len(registered["clientSecret"]) >= 43


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "http://app.example.com/cb",
            "http://app.example.com/cb: http is only for a loopback address "
            "(127.0.0.1, [::1], localhost); use https.",
        ),
        (
            "https://app.example.com/cb#x",
            "https://app.example.com/cb#x has a fragment (#): a redirect URI may not.",
        ),
        (
            "myapp:/cb",
            "myapp:/cb: use https, http on a loopback address, or a private-use scheme named "
            "after a domain of yours in reverse (com.example.app:/callback).",
        ),
        ("https:///cb", "https:///cb has no host."),
    ],
)
async def test_a_redirect_uri_that_oauth_forbids_is_refused(
    client: httpx.AsyncClient, office: Staff, uri: str, message: str
) -> None:
    refused = await refusal(client, office.token, REGISTER, app(redirectUris=[uri]))
    assert refused == {"message": message, "code": "BAD_USER_INPUT", "field": "redirectUris"}


async def test_only_admins_manage_apps(client: httpx.AsyncClient, office: Staff) -> None:
    refused = await refusal(
        client, office.lawyer_token, REGISTER, app(redirectUris=["https://a.example/cb"])
    )
    assert refused == {
        "message": "Only an administrator of the office may do this.",
        "code": "FORBIDDEN",
    }


async def test_revoking_an_app_sets_when(client: httpx.AsyncClient, office: Staff) -> None:
    registered = await register(client, office, redirectUris=["https://a.example/cb"])
    revoked = data(
        await _post(client, office.token, REVOKE, {"id": registered["oauthClient"]["id"]})
    )
    assert revoked["revokeOAuthClient"]["oauthClient"]["id"] == registered["oauthClient"]["id"]
    assert revoked["revokeOAuthClient"]["oauthClient"]["revokedAt"] is not None
