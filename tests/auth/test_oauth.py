"""OAuth 2.1 for apps: the authorization code grant with PKCE, through Causa's sign-in
page, to tokens that read /graphql; every refusal is the RFC's."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from settings import Settings
from tests.factories import Staff
from tests.graphql_client import data

LOOPBACK = "http://127.0.0.1/callback"
REGISTER = """
mutation Register($input: OAuthClientInput!) {
  registerOAuthClient(input: $input) { client { clientId } clientSecret }
}
"""
SIGN_IN_FIELD = re.compile(r'name="request" value="([^"]+)"')


@dataclass(frozen=True)
class App:
    client_id: str
    secret: str | None


@dataclass(frozen=True)
class Pkce:
    verifier: str

    @property
    def challenge(self) -> str:
        sha = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(sha).rstrip(b"=").decode()


def new_pkce() -> Pkce:
    return Pkce(secrets.token_urlsafe(48))


async def register(
    client: httpx.AsyncClient, office: Staff, *, type: str = "PUBLIC", uris: list[str] | None = None
) -> App:
    variables = {"input": {"name": "App Móvel", "type": type, "redirectUris": uris or [LOOPBACK]}}
    body = (
        await client.post(
            "/graphql", json={"query": REGISTER, "variables": variables}, headers=office.headers
        )
    ).json()
    registered = data(body)["registerOAuthClient"]
    return App(registered["client"]["clientId"], registered["clientSecret"])


def authorize_query(app: App, pkce: Pkce | None, **overrides: str | None) -> dict[str, str]:
    query: dict[str, str | None] = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": "http://127.0.0.1:49152/callback",
        "state": "estado-123",
        "code_challenge": pkce.challenge if pkce else None,
        "code_challenge_method": "S256" if pkce else None,
    } | overrides
    return {name: value for name, value in query.items() if value is not None}


async def sign_in_page(client: httpx.AsyncClient, query: dict[str, str]) -> httpx.Response:
    return await client.get(f"/oauth/authorize?{urlencode(query)}")


def sealed(page: httpx.Response) -> str:
    found = SIGN_IN_FIELD.search(page.text)
    assert found, page.text
    return found.group(1).replace("&amp;", "&")


async def post_sign_in(
    client: httpx.AsyncClient, page: httpx.Response, email: str, password: str
) -> httpx.Response:
    return await client.post(
        "/oauth/authorize",
        data={"request": sealed(page), "email": email, "password": password},
    )


def redirect_parameters(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    return {name: values[0] for name, values in parse_qs(location.query).items()}


async def code_for(
    client: httpx.AsyncClient, office: Staff, app: App, pkce: Pkce | None, **overrides: str
) -> str:
    page = await sign_in_page(client, authorize_query(app, pkce, **overrides))
    assert page.status_code == 200, page.text
    answer = redirect_parameters(await post_sign_in(client, page, office.email, office.password))
    return answer["code"]


async def exchange(
    client: httpx.AsyncClient, app: App, code: str, pkce: Pkce | None, **overrides: str | None
) -> httpx.Response:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:49152/callback",
        "client_id": app.client_id,
        "code_verifier": pkce.verifier if pkce else None,
    } | overrides
    return await client.post(
        "/auth/token", data={name: value for name, value in form.items() if value is not None}
    )


async def viewer_email(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": "{ viewer { email } }"},
        headers={"Authorization": f"Bearer {access_token}"},
    )


# --- the happy path -------------------------------------------------------------------------


async def test_a_public_app_signs_in_with_pkce_and_a_loopback_redirect(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given a mobile app registered with a loopback redirect (any port will do)
    app, pkce = await register(client, office), new_pkce()

    # when it opens the authorization URL, Causa shows its sign-in page in Portuguese
    page = await sign_in_page(client, authorize_query(app, pkce))
    assert page.status_code == 200
    assert '<html lang="pt-BR">' in page.text
    assert "App Móvel" in page.text
    assert page.headers["cache-control"] == "no-store"

    # and once the account signs in, the browser goes back to the app with a code
    answer = redirect_parameters(await post_sign_in(client, page, office.email, office.password))
    assert answer.keys() == {"code", "state", "iss"}
    assert answer["state"] == "estado-123"
    assert answer["iss"] == settings.base_url

    # which the app exchanges for tokens that read the API
    response = await exchange(client, app, answer["code"], pkce)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens.keys() == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert (tokens["token_type"], tokens["scope"]) == ("Bearer", "api")
    read = await viewer_email(client, tokens["access_token"])
    assert read.json() == {"data": {"viewer": {"email": office.email}}}

    # then refreshing and revoking work as for any session
    refreshed = await client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200, refreshed.text
    again = refreshed.json()
    assert (await viewer_email(client, again["access_token"])).status_code == 200
    assert (
        await client.post("/auth/revoke", data={"token": again["refresh_token"]})
    ).status_code == 200
    assert (await viewer_email(client, again["access_token"])).status_code == 401
    assert (await viewer_email(client, tokens["access_token"])).status_code == 401
