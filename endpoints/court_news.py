"""``/portal/avisos``: the link in each e-mail about court news, to turn them off or on.

``GET`` shows the client's choice with a button to change it; ``POST`` changes it, from
that button (``choice=off|on``) or from a mail client's one-click unsubscribe (RFC 8058:
``List-Unsubscribe=One-Click``, which turns them off). The signed link is the only
credential (auth/links.py: PreferenceLinks): it can do nothing but this.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from auth.tokens import InvalidToken
from db import court_news
from db.accounts import act_for_office
from db.session import transaction
from endpoints.portal import HEADERS
from endpoints.requests import read_body
from schema.context import State

MAX_BODY = 1_024
BAD_LINK = (
    "Este link de avisos não é válido. Abra o link completo que veio no e-mail, "
    "ou peça ajuda ao escritório."
)
CHOICES = {"off": False, "on": True}


async def choice(request: Request[State]) -> Response:
    try:
        office_id, account_id = request.state["preferences"].account(
            request.query_params.get("token", "")
        )
    except InvalidToken:
        return _page("Link inválido", BAD_LINK, status=400)
    on: bool | None = None
    if request.method == "POST":
        body = await read_body(request, MAX_BODY)
        fields = parse_qs((body or b"").decode("latin-1"))
        if fields.get("List-Unsubscribe") == ["One-Click"]:
            on = False
        elif (given := fields.get("choice", [""])[0]) in CHOICES:
            on = CHOICES[given]
        else:
            return _page("Pedido inválido", "Escolha uma das opções da página.", status=400)
    async with transaction(request.state["engine"]) as db:
        await act_for_office(db, office_id=office_id)
        account = await court_news.set_emails(db, office_id=office_id, account_id=account_id, on=on)
    if account is None:
        return _page("Acesso encerrado", "Este acesso ao portal não existe mais.", status=404)
    return _choice_page(account["email"], account["court_news_off_at"] is None, on)


def _choice_page(email: str, on: bool, changed: bool | None) -> Response:
    if on:
        state = "Você recebe um e-mail quando chegam novidades do tribunal nos seus processos."
        button = ("off", "Não quero mais receber esses avisos")
    else:
        state = "Você não recebe e-mails sobre novidades dos seus processos."
        button = ("on", "Quero voltar a receber os avisos")
    said = "" if changed is None else '<p role="status"><strong>Pronto: escolha salva.</strong></p>'
    text = (  # the form posts to this page's own URL, the link's token with it
        f"{said}<p>Login: {escape(email)}</p><p>{state}</p>"
        '<form method="post">'
        f'<button type="submit" name="choice" value="{button[0]}">{button[1]}</button></form>'
        '<p>As movimentações e os documentos continuam no <a href="/portal">portal</a>.</p>'
    )
    return _page("Avisos por e-mail", text, html=True)


def _page(title: str, text: str, *, status: int = 200, html: bool = False) -> Response:
    content = text if html else f"<p>{escape(text)}</p>"
    page = f"""<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{escape(title)} · Portal do cliente</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/invitation/invitation.css">
</head>
<body><main><h1>{escape(title)}</h1>{content}</main></body>
</html>
"""
    headers = {**HEADERS, "Cache-Control": "no-store"}
    return HTMLResponse(page, status_code=status, headers=headers)


routes = [Route("/portal/avisos", choice, methods=["GET", "POST"])]
