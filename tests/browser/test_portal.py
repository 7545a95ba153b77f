"""The clients' portal, /portal, in a real Chromium at phone (390 px) and desktop widths:
sign-in, folders, one folder's timeline and documents, sign-out, an ended session, and an
axe-core accessibility check of each screen."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from settings import Settings
from tests.browser.conftest import TIMEOUT_MS
from tests.factories import CREATE_CASE, CREATE_PERSON, GRANT, PDF, UPLOAD, Credentials
from tests.processes import free_port
from tests.serving import live

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"
SCREENSHOTS = Path("/tmp")
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1366, height=900)
PASSWORD = "amber meadow whistle 31"
ENDED = "Sua sessão terminou. Entre novamente."
PARTY = """
mutation Party($caseId: ID!, $personId: ID!, $role: PartyRole!, $isClient: Boolean!) {
  addCaseParty(caseId: $caseId, personId: $personId, role: $role, isClient: $isClient) {
    caseParty { id }
  }
}
"""
MOVEMENT = """
mutation Movement($caseId: ID!, $input: MovementInput!) {
  addMovement(caseId: $caseId, input: $input) { movement { id } }
}
"""
CASE_CLIENT = "query Client($id: ID!) { case(id: $id) { parties { person { id } } } }"
DECISION = "O juiz decidiu uma questão do processo, sem ainda encerrar o caso."


@pytest.fixture(scope="module")
def portal(settings: Settings) -> Iterator[str]:
    """Causa served at its public URL, as in production: the signed download links it
    gives point back to it."""
    port = free_port()
    public = settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    with live(public, port) as base_url:
        yield base_url


@dataclass
class Client:
    email: str
    invitation: str
    case_id: str
    document: bytes


class Staff:
    """The office's admin, calling the live server's API."""

    def __init__(self, http: httpx.Client, staff: Credentials) -> None:
        self.http = http
        form = {"grant_type": "password", "username": staff.email, "password": staff.password}
        token = http.post("/auth/token", data=form).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        ).json()
        assert "errors" not in answer, answer
        result: dict[str, Any] = answer["data"]
        return result

    def person(self, name: str) -> str:
        created = self.call(CREATE_PERSON, input={"name": name})
        person_id: str = created["createPerson"]["person"]["id"]
        return person_id

    def case(self, **fields: Any) -> str:
        case_id: str = self.call(CREATE_CASE, input=fields)["createCase"]["case"]["id"]
        return case_id

    def movement(self, case_id: str, when: str, description: str, **fields: Any) -> None:
        fields = {"occurredAt": when, "description": description, "source": "COURT", **fields}
        self.call(MOVEMENT, caseId=case_id, input=fields)

    def upload(self, case_id: str, title: str, content: bytes) -> None:
        variables = {"caseId": case_id, "source": "COURT", "title": title, "file": None}
        answer = self.http.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": UPLOAD, "variables": variables}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("sentenca.pdf", content, "application/octet-stream")},
            headers=self.headers,
        ).json()
        assert "errors" not in answer, answer


def a_client_with_folders(portal: str, staff: Credentials) -> Client:
    """A client invited to the portal, with two folders: one with court movements (one
    INTERNAL too), parties and a court document."""
    with httpx.Client(base_url=portal, timeout=20) as http:
        office = Staff(http, staff)
        person = office.person("Maria Cliente")
        bank = office.person("Banco Exemplo S.A.")
        email = f"maria-{uuid.uuid4().hex[:8]}@example.com.br"
        token = office.call(GRANT, personId=person, email=email)["grantPortalAccess"]["token"]
        case_id = office.case(
            title="Maria Cliente x Banco Exemplo",
            cnjNumber="1234567-13.2024.8.26.0100",
            court="TJSP",
            courtDivision="2ª Vara Cível do Foro Central",
            phase="Conhecimento",
        )
        office.call(PARTY, caseId=case_id, personId=person, role="PLAINTIFF", isClient=True)
        office.call(PARTY, caseId=case_id, personId=bank, role="DEFENDANT", isClient=False)
        office.movement(case_id, "2024-03-04T10:00:00-03:00", "Distribuído por sorteio")
        office.movement(case_id, "2024-05-02T14:30:00-03:00", "Decisão", code=3)
        office.movement(
            case_id, "2024-05-03T09:00:00-03:00", "Nota interna do escritório", source="INTERNAL"
        )
        office.upload(case_id, "Decisão liminar", PDF)
        other = office.case(title="Maria Cliente x Construtora Alfa", status="SUSPENDED")
        office.call(PARTY, caseId=other, personId=person, role="PLAINTIFF", isClient=True)
        office.movement(other, "2024-01-10T16:00:00-03:00", "Petição juntada")
    return Client(email, f"{portal}/invitation#token={token}", case_id, PDF)


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is.

    The script is served as if from the page's own origin (intercepted, never reaching
    Causa): the portal's CSP stays on and allows it, where an inline copy would be refused."""
    address = page.url.split("/portal")[0] + AXE_PATH
    if not getattr(page, "_axe_routed", False):
        page.route(address, lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
        page._axe_routed = True  # type: ignore[attr-defined]
    page.add_script_tag(url=address)
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document)).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"""
    )
    return violations


def check_screen(page: Page, name: str) -> None:
    """A screenshot at phone and desktop widths, and no serious accessibility violation."""
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.screenshot(
            path=str(SCREENSHOTS / f"portal-{name}-{size['width']}.png"), full_page=True
        )
    assert accessibility_violations(page) == []
    # nothing wider than the phone's screen: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def sign_in(page: Page, email: str, password: str) -> None:
    page.fill("#login", email)
    page.fill("#password", password)
    page.click("#enter")


def test_a_client_follows_the_invitation_reads_a_folder_downloads_and_signs_out(
    chromium_page: Page, portal: str, staff_credentials: Credentials
) -> None:
    page = chromium_page
    page.set_viewport_size(PHONE)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    # a refused sign-in is a 400 in the console; a CSP refusal would be an error of the page
    page.on("console", lambda m: page_errors.append(m.text) if "Policy" in m.text else None)
    client = a_client_with_folders(portal, staff_credentials)

    # given a client who sets their password from the invitation, then follows its link
    page.goto(client.invitation)
    page.fill("#password", PASSWORD)
    page.fill("#confirmation", PASSWORD)
    page.click("#submit")
    page.get_by_role("link", name="Entrar no portal").click()

    # when they sign in on a phone-sized page
    expect(page.locator("#sign-in-title")).to_be_visible(timeout=TIMEOUT_MS)
    assert page.evaluate("document.documentElement.lang") == "pt-BR"
    check_screen(page, "sign-in")
    sign_in(page, client.email, "not the password")
    expect(page.locator("#status")).to_have_text("Login ou senha incorretos.")
    sign_in(page, client.email, PASSWORD)

    # then they see their two folders, both new to them, newest movement first
    expect(page.locator("#folders-title")).to_be_visible()
    cards = page.locator("#folders > li")
    expect(cards).to_have_count(2)
    expect(page.locator("#folders-count")).to_have_text("2 processos.")
    expect(cards.nth(0)).to_contain_text("Novo")
    expect(page.locator("#folders")).to_contain_text("1234567-13.2024.8.26.0100")
    check_screen(page, "folders")

    # and the status filter and the search narrow the list
    page.select_option("#status-filter", "SUSPENDED")
    page.click("#filters button")
    expect(cards).to_have_count(1)
    expect(cards.nth(0)).to_contain_text("Construtora Alfa")
    expect(cards.nth(0)).to_contain_text("Suspenso")
    page.select_option("#status-filter", "")
    page.fill("#search", "Banco Exemplo")
    page.keyboard.press("Enter")
    expect(cards).to_have_count(1)

    # when they open the folder (by keyboard)
    page.locator("#folders a").first.focus()
    page.keyboard.press("Enter")

    # then its fields, parties and court movements, newest first, with explanations
    expect(page.locator("#folder-title")).to_have_text("Maria Cliente x Banco Exemplo")
    fields = page.locator("#folder-fields")
    expect(fields).to_contain_text("2ª Vara Cível do Foro Central")
    expect(fields).to_contain_text("Em andamento")
    expect(page.locator("#parties")).to_contain_text("Banco Exemplo S.A. · Réu/Ré")
    moves = page.locator("#timeline > li")
    expect(moves).to_have_count(2)  # the INTERNAL note is not the client's
    expect(moves.nth(0)).to_contain_text("Decisão")
    expect(moves.nth(0)).to_contain_text("2 de maio de 2024")
    expect(moves.nth(0)).to_contain_text("14:30")
    expect(moves.nth(0).locator(".explanation")).to_contain_text(DECISION)
    expect(moves.nth(1)).to_contain_text("Distribuído por sorteio")
    expect(moves.nth(0)).to_contain_text("Novo")
    check_screen(page, "folder")

    # and the court document downloads: the file's bytes, answered 200
    link = page.get_by_role("link", name="Decisão liminar")
    href = link.get_attribute("href")
    assert href is not None
    with page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == client.document
    fetched = page.request.get(href if href.startswith("http") else portal + href)
    assert (fetched.status, fetched.body()) == (200, client.document)

    # and, back in the list, what they saw is no longer new
    page.get_by_role("link", name="Voltar para meus processos").click()
    page.fill("#search", "")
    page.click("#filters button")
    expect(cards).to_have_count(2)
    expect(page.locator("#folders a", has_text="Banco Exemplo")).not_to_contain_text("Novo")
    expect(page.locator("#folders a", has_text="Construtora Alfa")).to_contain_text("Novo")
    seen = page.evaluate("localStorage.getItem('causa.portal.seen')")
    assert json.loads(seen) == {client.case_id: "2024-05-02T17:30:00+00:00"}

    # when they sign out, the session ends on the server too
    refresh = page.evaluate("JSON.parse(sessionStorage.getItem('causa.portal.session')).refresh")
    page.get_by_role("button", name="Sair").click()
    expect(page.locator("#status")).to_have_text("Você saiu do portal.")
    expect(page.locator("#sign-in-title")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    form = {"grant_type": "refresh_token", "refresh_token": refresh}
    assert httpx.post(f"{portal}/auth/token", data=form).status_code == 400
    assert not page_errors, page_errors


def test_an_expired_access_token_is_refreshed_and_a_revoked_session_returns_to_sign_in(
    chromium_page: Page, portal: str, staff_credentials: Credentials
) -> None:
    page = chromium_page
    page.set_viewport_size(PHONE)
    client = a_client_with_folders(portal, staff_credentials)
    with httpx.Client(base_url=portal, timeout=20) as http:
        accepted = http.post(
            "/auth/invitations/accept",
            json={"token": client.invitation.split("token=")[1], "password": PASSWORD},
        )
        assert accepted.status_code == 200
    page.goto(f"{portal}/portal")
    sign_in(page, client.email, PASSWORD)
    cards = page.locator("#folders > li")
    expect(cards).to_have_count(2)

    # given an access token the server no longer accepts, the page refreshes and goes on
    page.evaluate(
        """() => { const s = JSON.parse(sessionStorage.getItem('causa.portal.session'));
                   s.access = 'expired'; sessionStorage.setItem('causa.portal.session',
                   JSON.stringify(s)); }"""
    )
    page.get_by_role("link", name="Maria Cliente x Banco Exemplo").click()
    expect(page.locator("#folder-title")).to_have_text("Maria Cliente x Banco Exemplo")

    # when the session is revoked on the server
    refresh = page.evaluate("JSON.parse(sessionStorage.getItem('causa.portal.session')).refresh")
    assert httpx.post(f"{portal}/auth/revoke", data={"token": refresh}).status_code == 200

    # then the next action returns to sign-in, saying why
    page.get_by_role("link", name="Voltar para meus processos").click()
    expect(page.locator("#sign-in-title")).to_be_visible()
    expect(page.locator("#status")).to_have_text(ENDED)
    assert page.evaluate("sessionStorage.length") == 0
    check_screen(page, "session-ended")


def test_more_than_a_page_of_folders_shows_more_on_request(
    chromium_page: Page, portal: str, staff_credentials: Credentials
) -> None:
    page = chromium_page
    page.set_viewport_size(PHONE)
    client = a_client_with_folders(portal, staff_credentials)
    with httpx.Client(base_url=portal, timeout=20) as http:
        office = Staff(http, staff_credentials)
        person = office.call(CASE_CLIENT, id=client.case_id)["case"]["parties"][0]["person"]["id"]
        for n in range(20):
            case_id = office.case(title=f"Processo extra {n:02}")
            office.call(PARTY, caseId=case_id, personId=person, role="PLAINTIFF", isClient=True)
        accepted = http.post(
            "/auth/invitations/accept",
            json={"token": client.invitation.split("token=")[1], "password": PASSWORD},
        )
        assert accepted.status_code == 200
    page.goto(f"{portal}/portal")
    sign_in(page, client.email, PASSWORD)

    cards = page.locator("#folders > li")
    expect(cards).to_have_count(20)
    expect(page.locator("#folders-count")).to_have_text("22 processos.")
    page.get_by_role("button", name="Mostrar mais").click()

    expect(cards).to_have_count(22)
    expect(cards.nth(21)).to_contain_text("Maria Cliente x Banco Exemplo")
    expect(page.get_by_role("button", name="Mostrar mais")).to_be_hidden()
    # the first folder shown is where the keyboard goes on, and the count is announced
    expect(cards.nth(20).get_by_role("link")).to_be_focused()
    expect(page.locator("#status")).to_have_text("Mostrando 22 de 22 processos.")


def test_more_than_a_page_of_court_documents_and_movements_shows_more_on_request(
    chromium_page: Page, portal: str, staff_credentials: Credentials
) -> None:
    # given a folder with 52 court documents and 32 court movements
    page = chromium_page
    page.set_viewport_size(PHONE)
    client = a_client_with_folders(portal, staff_credentials)
    with httpx.Client(base_url=portal, timeout=20) as http:
        office = Staff(http, staff_credentials)
        for n in range(51):
            office.upload(client.case_id, f"Documento {n + 1:02}", PDF)
        for n in range(30):
            office.movement(client.case_id, f"2023-01-{n + 1:02}T10:00:00-03:00", f"Ato {n + 1:02}")
        accepted = http.post(
            "/auth/invitations/accept",
            json={"token": client.invitation.split("token=")[1], "password": PASSWORD},
        )
        assert accepted.status_code == 200
    page.goto(f"{portal}/portal#/pasta/{client.case_id}")
    sign_in(page, client.email, PASSWORD)

    # when the client opens it, 50 documents and 30 movements show, each list with its button
    documents = page.locator("#documents > li")
    expect(documents).to_have_count(50)
    timeline = page.locator("#timeline > li")
    expect(timeline).to_have_count(30)
    more_documents = page.get_by_role("button", name="Mostrar mais documentos")
    check_screen(page, "folder-more")

    # and asks for more documents, twice at once (a double click)
    more_documents.dblclick()

    # then the other two come, once each; the keyboard goes on from the first of them
    expect(documents).to_have_count(52)
    expect(documents.nth(50).get_by_role("link")).to_be_focused()
    expect(page.locator("#status")).to_have_text("Mostrando 52 de 52 documentos.")
    expect(more_documents).to_be_hidden()
    titles = documents.locator("a").all_inner_texts()
    assert len(set(titles)) == 52

    # and the same for the movements: the two oldest come last
    page.get_by_role("button", name="Mostrar mais andamentos").click()
    expect(timeline).to_have_count(32)
    expect(timeline.nth(30)).to_be_focused()
    expect(timeline.nth(31)).to_contain_text("Ato 01")
    expect(page.locator("#status")).to_have_text("Mostrando 32 de 32 andamentos.")
    expect(page.get_by_role("button", name="Mostrar mais andamentos")).to_be_hidden()


def test_the_portal_is_served_with_a_strict_content_security_policy(portal: str) -> None:
    page = httpx.get(f"{portal}/portal")
    script = httpx.get(f"{portal}/static/portal/portal.js")

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    policy = page.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'; script-src 'self'; style-src 'self';")
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert '<html lang="pt-BR">' in page.text
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "etag" in script.headers
    assert "last-modified" in script.headers
