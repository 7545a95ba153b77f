"""A web app on another origin, in a real Chromium: it signs in and reads /graphql when its
origin is in CAUSA_CORS_ORIGINS, and the browser stops it when not."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from settings import Settings
from tests.browser.test_graphiql import Credentials
from tests.processes import free_port
from tests.serving import live

APP_PAGE = "<!doctype html><title>Escritório app</title><p>app</p>"
# What an app's code does: sign in at /auth/token, then read /graphql with the bearer.
SIGN_IN_AND_READ = """
async ([causa, email, password]) => {
  try {
    const granted = await fetch(causa + "/auth/token", {
      method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams({grant_type: "password", username: email, password}),
    });
    const {access_token} = await granted.json();
    const answer = await fetch(causa + "/graphql", {
      method: "POST",
      headers: {"Authorization": "Bearer " + access_token, "Content-Type": "application/json",
                "X-Request-ID": "app-req-1"},
      body: JSON.stringify({query: "{ viewer { role } }"}),
    });
    return {status: answer.status, body: await answer.json(),
            requestId: answer.headers.get("X-Request-ID")};
  } catch (error) {
    return {failed: error.name + ": " + error.message};
  }
}
"""


@contextmanager
def page_server(folder: Path) -> Iterator[str]:
    """A plain static server on a loopback port of its own: another origin than Causa's."""
    (folder / "index.html").write_text(APP_PAGE, encoding="utf-8")
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def app_origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two apps' origins: the first allowed, the second not."""
    with (
        page_server(tmp_path_factory.mktemp("allowed")) as allowed,
        page_server(tmp_path_factory.mktemp("other")) as other,
    ):
        yield allowed, other


@pytest.fixture(scope="module")
def causa_for_apps(settings: Settings, app_origins: tuple[str, str]) -> Iterator[str]:
    allowed, _ = app_origins
    with live(settings.model_copy(update={"cors_origins": (allowed,)})) as base_url:
        yield base_url


def _run_app(page: Page, origin: str, causa: str, staff: Credentials) -> dict[str, Any]:
    page.goto(f"{origin}/index.html")
    result: dict[str, Any] = page.evaluate(SIGN_IN_AND_READ, [causa, staff.email, staff.password])
    return result


def test_an_app_on_a_configured_origin_signs_in_and_reads_graphql(
    chromium_page: Page,
    causa_for_apps: str,
    app_origins: tuple[str, str],
    staff_credentials: Credentials,
) -> None:
    allowed, _ = app_origins

    result = _run_app(chromium_page, allowed, causa_for_apps, staff_credentials)

    assert result == {
        "status": 200,
        "body": {"data": {"viewer": {"role": "ADMIN"}}},
        "requestId": "app-req-1",
    }


def test_an_app_on_another_origin_is_stopped_by_the_browser(
    chromium_page: Page,
    causa_for_apps: str,
    app_origins: tuple[str, str],
    staff_credentials: Credentials,
) -> None:
    _, other = app_origins
    console: list[str] = []
    chromium_page.on("console", lambda message: console.append(message.text))

    result = _run_app(chromium_page, other, causa_for_apps, staff_credentials)

    assert result == {"failed": "TypeError: Failed to fetch"}
    assert any("blocked by CORS policy" in line for line in console), console
