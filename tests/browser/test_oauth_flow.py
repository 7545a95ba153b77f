"""A browser app on another origin signs an account in the way OAuth 2.1 asks of a
public client, in a real Chromium: PKCE S256, Causa's sign-in page, a loopback redirect
back with the code, the exchange by fetch (CORS), a read of /graphql, revocation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page

from settings import Settings
from tests.browser.test_graphiql import Credentials
from tests.browser.test_other_origin_app import page_server
from tests.serving import live

CALLBACK_PAGE = "<!doctype html><title>Escritório app</title><p>de volta</p>"
REGISTER = """
mutation Register($input: OAuthClientInput!) {
  registerOAuthClient(input: $input) { oauthClient { clientId } }
}
"""
# What the app does before sending the browser to Causa: a verifier kept for later, its
# S256 challenge and a state in the authorization URL.
START = """
async ([causa, clientId, redirectUri]) => {
  const bytes = crypto.getRandomValues(new Uint8Array(48));
  const b64url = (data) => btoa(String.fromCharCode(...new Uint8Array(data)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const verifier = b64url(bytes);
  const challenge = b64url(await crypto.subtle.digest("SHA-256",
    new TextEncoder().encode(verifier)));
  sessionStorage.setItem("verifier", verifier);
  sessionStorage.setItem("state", "st-" + b64url(crypto.getRandomValues(new Uint8Array(9))));
  return causa + "/oauth/authorize?" + new URLSearchParams({
    response_type: "code", client_id: clientId, redirect_uri: redirectUri,
    state: sessionStorage.getItem("state"), code_challenge: challenge,
    code_challenge_method: "S256",
  });
}
"""
# Back at the redirect: the code exchanged, the API read, the session revoked.
FINISH = """
async ([causa, clientId, redirectUri]) => {
  const back = new URLSearchParams(location.search);
  const form = (fields) => ({method: "POST", body: new URLSearchParams(fields),
    headers: {"Content-Type": "application/x-www-form-urlencoded"}});
  const granted = await fetch(causa + "/auth/token", form({
    grant_type: "authorization_code", code: back.get("code"), redirect_uri: redirectUri,
    client_id: clientId, code_verifier: sessionStorage.getItem("verifier")}));
  const tokens = await granted.json();
  const read = () => fetch(causa + "/graphql", {method: "POST",
    headers: {"Authorization": "Bearer " + tokens.access_token,
              "Content-Type": "application/json"},
    body: JSON.stringify({query: "{ viewer { email } }"})});
  const before = await read();
  const revoked = await fetch(causa + "/auth/revoke", form({token: tokens.refresh_token}));
  const after = await read();
  return {stateKept: back.get("state") === sessionStorage.getItem("state"),
          iss: back.get("iss"), grant: granted.status, scope: tokens.scope,
          read: [before.status, await before.json()], revoked: revoked.status,
          afterRevoking: after.status};
}
"""


@pytest.fixture(scope="module")
def app_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("oauth-app")
    (folder / "callback.html").write_text(CALLBACK_PAGE, encoding="utf-8")
    with page_server(folder) as origin:
        yield origin


@pytest.fixture(scope="module")
def causa(settings: Settings, app_origin: str) -> Iterator[str]:
    with live(settings.model_copy(update={"cors_origins": (app_origin,)})) as base_url:
        yield base_url


def _register_app(causa: str, staff: Credentials) -> str:
    """The office's admin registers the app, with a loopback redirect of any port."""
    granted = httpx.post(
        f"{causa}/auth/token",
        data={"grant_type": "password", "username": staff.email, "password": staff.password},
    ).json()
    variables = {
        "input": {
            "name": "App do Escritório",
            "type": "PUBLIC",
            "redirectUris": ["http://127.0.0.1/callback.html"],
        }
    }
    answer = httpx.post(
        f"{causa}/graphql",
        json={"query": REGISTER, "variables": variables},
        headers={"Authorization": f"Bearer {granted['access_token']}"},
    ).json()
    client_id: str = answer["data"]["registerOAuthClient"]["oauthClient"]["clientId"]
    return client_id


def test_a_browser_app_signs_in_with_pkce_reads_and_signs_out(
    chromium_page: Page,
    causa: str,
    app_origin: str,
    staff_credentials: Credentials,
    settings: Settings,
) -> None:
    page = chromium_page
    client_id = _register_app(causa, staff_credentials)
    redirect_uri = f"{app_origin}/callback.html"

    # the app starts PKCE and sends the browser to Causa's sign-in page
    page.goto(f"{app_origin}/callback.html")
    authorize_url: str = page.evaluate(START, [causa, client_id, redirect_uri])
    page.goto(authorize_url)
    assert page.locator("h1").inner_text() == "Entrar no Causa"
    for width, height in ((390, 844), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"/tmp/causa-oauth-sign-in-{width}.png", full_page=True)

    # the account signs in, and the browser is sent back to the app with a code
    page.fill("#email", staff_credentials.email)
    page.fill("#password", staff_credentials.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{redirect_uri}?*")

    # which the app exchanges, reads the API with, and revokes
    result: dict[str, Any] = page.evaluate(FINISH, [causa, client_id, redirect_uri])
    assert result == {
        "stateKept": True,
        "iss": settings.base_url,
        "grant": 200,
        "scope": "api",
        "read": [200, {"data": {"viewer": {"email": staff_credentials.email}}}],
        "revoked": 200,
        "afterRevoking": 401,
    }


def test_an_unregistered_redirect_stays_on_causas_error_page(
    chromium_page: Page, causa: str, app_origin: str, staff_credentials: Credentials
) -> None:
    client_id = _register_app(causa, staff_credentials)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": "https://evil.example/callback",
        "state": "x",
        "code_challenge": "A" * 43,
        "code_challenge_method": "S256",
    }
    response = chromium_page.goto(f"{causa}/oauth/authorize?{urlencode(query)}")
    assert response is not None
    assert response.status == 400
    assert chromium_page.url.startswith(causa)
    assert chromium_page.locator("h1").inner_text() == "Não foi possível entrar"
