"""The page an invitation e-mail links to, /invitation#token=…, in a real Chromium."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.factories import CREATE_PERSON, GRANT, Credentials

OUTCOME = "#outcome"
GOOD_PASSWORD = "amber meadow whistle 31"


def invite(live_server: str, staff: Credentials) -> tuple[str, str]:
    """A person invited to the portal through the live server: their login and the link."""
    with httpx.Client(base_url=live_server, timeout=20) as http:
        signed_in = http.post(
            "/auth/token",
            data={"grant_type": "password", "username": staff.email, "password": staff.password},
        ).json()
        headers = {"Authorization": f"Bearer {signed_in['access_token']}"}
        person = http.post(
            "/graphql",
            json={"query": CREATE_PERSON, "variables": {"input": {"name": "Maria Cliente"}}},
            headers=headers,
        ).json()["data"]["createPerson"]["person"]
        email = f"maria-{uuid.uuid4().hex[:8]}@example.com.br"
        variables = {"personId": person["id"], "email": email}
        granted = http.post(
            "/graphql", json={"query": GRANT, "variables": variables}, headers=headers
        ).json()["data"]["grantPortalAccess"]
    token = granted["token"]
    return email, f"{live_server}/invitation#token={token}"


def sign_in_status(live_server: str, email: str, password: str) -> int:
    form = {"grant_type": "password", "username": email, "password": password}
    return httpx.post(f"{live_server}/auth/token", data=form, timeout=20).status_code


def set_password(page: Page, password: str, confirmation: str) -> None:
    page.fill("#password", password)
    page.fill("#confirmation", confirmation)
    page.click("#submit")


def test_a_client_sets_a_password_from_the_link_and_signs_in_with_it(
    chromium_page: Page, live_server: str, staff_credentials: Credentials
) -> None:
    page = chromium_page
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    email, link = invite(live_server, staff_credentials)

    # when the client opens the link, the token leaves the address bar at once
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Criar sua senha", timeout=TIMEOUT_MS)
    assert "token" not in page.url

    # then two different passwords, and a weak one, are refused with a clear message
    set_password(page, GOOD_PASSWORD, GOOD_PASSWORD + "x")
    expect(page.locator(OUTCOME)).to_have_text("As duas senhas não são iguais.")
    set_password(page, "password123", "password123")
    expect(page.locator(OUTCOME)).to_have_text(
        "Esta senha é fácil de adivinhar. Escolha uma mais longa, de preferência algumas "
        "palavras que só você associaria, sem o seu nome ou e-mail."
    )
    set_password(page, "curta", "curta")
    expect(page.locator(OUTCOME)).to_have_text("A senha precisa de pelo menos 10 caracteres.")
    assert sign_in_status(live_server, email, "password123") == 400

    # and a good one is set, and opens the portal
    set_password(page, GOOD_PASSWORD, GOOD_PASSWORD)
    expect(page.locator(OUTCOME)).to_contain_text(
        f"Senha criada. Entre no portal com o login {email}"
    )
    expect(page.locator("#accept")).to_be_hidden()
    assert sign_in_status(live_server, email, GOOD_PASSWORD) == 200
    assert not page_errors, page_errors

    # and opening the same link again says at once that it was used, with no form to fill
    page.goto("about:blank")
    page.goto(link)
    expect(page.locator(OUTCOME)).to_contain_text("Este convite já foi usado")
    expect(page.locator("#accept")).to_be_hidden()


def test_a_bogus_link_is_refused_as_the_page_opens(chromium_page: Page, live_server: str) -> None:
    page = chromium_page
    page.goto(f"{live_server}/invitation#token=not.a-token")
    expect(page.locator(OUTCOME)).to_have_text("Este link de convite não é válido.")
    expect(page.locator("#accept")).to_be_hidden()


def test_a_link_without_its_token_says_so_and_offers_no_form(
    chromium_page: Page, live_server: str
) -> None:
    page = chromium_page
    page.goto(f"{live_server}/invitation")
    expect(page.locator(OUTCOME)).to_contain_text("Este link de convite está incompleto.")
    expect(page.locator("#accept")).to_be_hidden()


def test_the_reset_page_checks_its_link_as_it_opens(
    chromium_page: Page, live_server: str, staff_credentials: Credentials
) -> None:
    page = chromium_page
    email, link = invite(live_server, staff_credentials)
    token = link.split("#token=")[1]
    reset_link = f"{live_server}/password-reset#token={token}"

    # given a usable link, the page asks for the new password
    page.goto(reset_link)
    expect(page.locator("#reset")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#ask")).to_be_hidden()

    # when the link has been used
    set_password(page, GOOD_PASSWORD, GOOD_PASSWORD)
    expect(page.locator(OUTCOME)).to_contain_text("Nova senha criada")
    page.goto("about:blank")
    page.goto(reset_link)

    # then opening it again says so at once, and offers to send a new link instead
    expect(page.locator(OUTCOME)).to_contain_text("Este link já foi usado")
    expect(page.locator("#reset")).to_be_hidden()
    expect(page.locator("#ask")).to_be_visible()
    assert sign_in_status(live_server, email, GOOD_PASSWORD) == 200

    # and a bogus link is refused the same way
    page.goto("about:blank")
    page.goto(f"{live_server}/password-reset#token=not.a-token")
    expect(page.locator(OUTCOME)).to_have_text("Este link para criar uma nova senha não é válido.")
    expect(page.locator("#reset")).to_be_hidden()
    expect(page.locator("#ask")).to_be_visible()
