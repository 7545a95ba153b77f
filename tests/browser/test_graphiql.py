"""GraphiQL at /graphql, driven in a real headless Chromium (tests/browser/conftest.py).

Uses the `live_server` (base URL) and `staff_credentials` (ADMIN e-mail/password) fixtures
from tests/conftest.py.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from playwright.sync_api import Page, Request, Response, expect

from tests.browser.conftest import TIMEOUT_MS

# Stable hooks of static/graphiql/index.html and of graphiql 3.8.3.
EMAIL = "#causa-email"
PASSWORD = "#causa-password"
SIGN_IN = "#causa-signin"
STATUS = "#causa-status"
EXECUTE = ".graphiql-execute-button"
RESULT = ".graphiql-response"
TOKEN_KEYS = ("causa.accessToken", "causa.refreshToken")


class Credentials(Protocol):
    """What `staff_credentials` provides (read-only, so frozen dataclasses fit too)."""

    @property
    def email(self) -> str: ...

    @property
    def password(self) -> str: ...


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _sign_in(page: Page, email: str, password: str) -> None:
    page.fill(EMAIL, email)
    page.fill(PASSWORD, password)
    page.click(SIGN_IN)


def _stored_tokens(page: Page) -> list[str | None]:
    values: list[str | None] = page.evaluate(
        "keys => keys.map(k => window.sessionStorage.getItem(k))", list(TOKEN_KEYS)
    )
    return values


def test_staff_signs_in_and_runs_viewer_query_with_only_same_origin_requests(
    chromium_page: Page, live_server: str, staff_credentials: Credentials
) -> None:
    page = chromium_page
    requested: list[str] = []
    failed_assets: list[str] = []
    page_errors: list[str] = []

    def on_request(request: Request) -> None:
        requested.append(request.url)

    def on_response(response: Response) -> None:
        if "/static/graphiql/" in response.url and not response.ok:
            failed_assets.append(f"{response.status} {response.url}")

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    page.goto(f"{live_server}/graphql")
    expect(page.locator(EXECUTE)).to_be_visible(timeout=TIMEOUT_MS)

    _sign_in(page, staff_credentials.email, staff_credentials.password)
    expect(page.locator(STATUS)).to_contain_text(staff_credentials.email, timeout=TIMEOUT_MS)
    expect(page.locator(STATUS)).to_have_attribute("data-state", "signed-in", timeout=TIMEOUT_MS)
    assert all(_stored_tokens(page)), "access and refresh tokens are kept in sessionStorage"

    page.click(EXECUTE)
    result = page.locator(RESULT)
    expect(result).to_contain_text('"ADMIN"', timeout=TIMEOUT_MS)
    assert staff_credentials.email in result.inner_text()

    assert not failed_assets, f"GraphiQL assets failed to load: {failed_assets}"
    assert not page_errors, f"uncaught errors in the page: {page_errors}"
    local = _origin(live_server)
    foreign = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob", "about") and _origin(url) != local
    ]
    assert not foreign, f"requests left the live server: {foreign}"
    assert any(url.startswith(f"{live_server}/static/graphiql/") for url in requested)


def test_wrong_password_shows_error_status_and_stores_no_token(
    chromium_page: Page, live_server: str, staff_credentials: Credentials
) -> None:
    page = chromium_page
    page.goto(f"{live_server}/graphql")
    expect(page.locator(EXECUTE)).to_be_visible(timeout=TIMEOUT_MS)

    _sign_in(page, staff_credentials.email, staff_credentials.password + "-wrong")

    status = page.locator(STATUS)
    expect(status).to_have_attribute("data-state", "error", timeout=TIMEOUT_MS)
    expect(status).to_contain_text("Sign-in failed", timeout=TIMEOUT_MS)
    assert "Signed in as" not in status.inner_text()
    assert _stored_tokens(page) == [None, None]
    assert page.evaluate("window.sessionStorage.length") == 0


def test_signing_in_clears_the_answer_of_before_and_a_long_email_shows_whole(
    chromium_page: Page, live_server: str, staff_credentials: Credentials
) -> None:
    page = chromium_page
    page.goto(f"{live_server}/graphql")
    expect(page.locator(EXECUTE)).to_be_visible(timeout=TIMEOUT_MS)

    # a query before signing in is answered 401, in the result pane
    page.click(EXECUTE)
    expect(page.locator(RESULT)).to_contain_text("Not signed in", timeout=TIMEOUT_MS)

    # signing in starts GraphiQL afresh: the 401 is gone before anything runs again
    _sign_in(page, staff_credentials.email, staff_credentials.password)
    expect(page.locator(STATUS)).to_have_attribute("data-state", "signed-in", timeout=TIMEOUT_MS)
    expect(page.locator(RESULT)).not_to_contain_text("Not signed in", timeout=TIMEOUT_MS)
    page.click(EXECUTE)
    expect(page.locator(RESULT)).to_contain_text('"ADMIN"', timeout=TIMEOUT_MS)

    # a long e-mail fits its field, and the bar says how to upload a file
    page.fill(EMAIL, "maria.fernanda.albuquerque@silvasouza.adv.br")
    fits = page.evaluate(
        "(() => { const e = document.querySelector('#causa-email');"
        " return e.scrollWidth <= e.clientWidth; })()"
    )
    assert fits
    page.click("#causa-uploads summary")
    uploads = page.locator("#causa-uploads code")
    expect(uploads).to_contain_text("GraphiQL sends no files")
    expect(uploads).to_contain_text(f"-F 0=@sentenca.pdf {live_server}/graphql")
