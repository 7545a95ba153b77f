"""``/oauth/authorize``: the authorization endpoint (RFC 6749 §4.1.1), Causa's own
sign-in page in Portuguese, to which an app sends the account's browser (RFC 8252: the
system browser, never a web view of the app's).

The client and its redirect URI are checked first, by authlib's grant: until both are
known good, nothing is sent to the redirect URI, and an error is a page of Causa's
(RFC 6749 §4.1.2.1). After that, errors go back to the app, with its ``state`` and
Causa's ``iss`` (RFC 9207). The password is checked, and throttled, exactly as the
password grant checks it.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2 import OAuth2Error
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from auth import redirect_uris
from auth.oauth import CODE_TTL, Account, Client, OAuthServer, SealedRequests
from auth.tokens import InvalidToken
from db import oauth_codes, throttle
from db.session import transaction
from domain.viewer import Role
from endpoints.oauth_server import NO_STORE, call, response, server_for
from endpoints.token import OAuthError, form_fields, matching_accounts
from schema.context import State

PATH = "/oauth/authorize"
MAX_QUERY_FIELDS = 20
UNKNOWN_CLIENT = (
    "O aplicativo que pediu o acesso não está registrado no Causa, ou o seu registro foi "
    "revogado. Procure o escritório."
)
BAD_REDIRECT = (
    "O aplicativo pediu para voltar a um endereço que não está registrado para ele "
    "(redirect_uri). Por segurança, não voltamos a esse endereço."
)
BAD_FORM = "O formulário de entrada expirou ou foi alterado. Volte ao aplicativo e tente de novo."
BAD_CREDENTIALS = "E-mail ou senha incorretos."


async def authorize(request: Request[State]) -> Response:
    """The sign-in page, once the request is found good."""
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    names = [name for name, _ in pairs]
    if len(pairs) > MAX_QUERY_FIELDS or len(set(names)) != len(names):
        return _error_page(BAD_REDIRECT, "Each parameter may be sent once.")
    parameters = dict(pairs)
    server = await server_for(request, parameters.get("client_id"))
    try:
        grant = server.get_consent_grant(call(request, parameters, "GET"))
    except OAuth2Error as error:
        return _refusal(server, error)
    return _sign_in_page(request, grant.client, parameters)


async def sign_in(request: Request[State]) -> Response:
    """The form posted: the sealed request checked again, then the password; a code
    sent to the app, or the page again with what went wrong."""
    try:
        form = {name: str(value) for name, value in (await form_fields(request)).items()}
    except OAuthError as error:
        return _error_page(BAD_FORM, error.description)
    try:
        parameters = _seals(request).open(form.get("request", ""))
    except InvalidToken:
        return _error_page(BAD_FORM, "The sealed authorization request is invalid or expired.")
    server = await server_for(request, parameters.get("client_id"))
    authorization = call(request, parameters, "POST")
    try:
        grant = server.get_consent_grant(authorization)
    except OAuth2Error as error:
        return _refusal(server, error)
    client: Client = grant.client
    email, password = form.get("email", "").strip(), form.get("password", "")
    if not email or not password:
        return _sign_in_page(request, client, parameters, "Informe o e-mail e a senha.", email)
    try:
        matched = await matching_accounts(request, email, password, office=None)
    except throttle.Throttled as refused:
        message = (
            f"Muitas tentativas de entrada sem sucesso. Tente de novo em {refused.seconds} "
            "segundos."
        )
        page = _sign_in_page(request, client, parameters, message, email, status=429)
        page.headers["Retry-After"] = str(refused.seconds)
        return page
    mine = [account for account in matched if account["office_id"] == client.office_id]
    if not mine:
        return _sign_in_page(request, client, parameters, BAD_CREDENTIALS, email, status=400)
    account = Account(client.office_id, mine[0]["id"], Role(mine[0]["role"]))
    answer = server.create_authorization_response(authorization, grant_user=account, grant=grant)
    issued = server.prepared.issued
    if issued is not None:
        async with transaction(request.state["engine"]) as db:
            await oauth_codes.store_code(db, issued=issued, ttl=CODE_TTL)
    return response(answer)


def _seals(request: Request[State]) -> SealedRequests:
    return SealedRequests(request.state["settings"].signing_key)


def _refusal(server: OAuthServer, error: OAuth2Error) -> Response:
    """Back to the app once its redirect URI is known good; else a page of Causa's."""
    if error.redirect_uri:
        answer = server.handle_error_response(None, error)
        server.issuer.add_issuer_parameter(server, answer)
        return RedirectResponse(answer.location or "", status_code=302, headers=NO_STORE)
    message = UNKNOWN_CLIENT if error.error == "invalid_client" else BAD_REDIRECT
    return _error_page(message, error.description or error.error)


PAGE = """<!doctype html>
<html lang="pt-BR">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <meta name="referrer" content="no-referrer" />
    <title>Causa · {title}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/static/invitation/invitation.css" />
  </head>
  <body>
    <main>
{content}
    </main>
  </body>
</html>
"""


def _page(title: str, content: str, status: int, form_action: str = "'none'") -> HTMLResponse:
    policy = (
        "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; "
        f"frame-ancestors 'none'; form-action {form_action}"
    )
    headers = NO_STORE | {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }
    body = PAGE.format(title=html.escape(title), content=content)
    return HTMLResponse(body, status_code=status, headers=headers)


def _error_page(message: str, detail: str) -> HTMLResponse:
    content = (
        "      <h1>Não foi possível entrar</h1>\n"
        f'      <p class="error">{html.escape(message)}</p>\n'
        f"      <p><small>{html.escape(detail)}</small></p>"
    )
    return _page("Erro", content, 400)


def _sign_in_page(
    request: Request[State],
    client: Client,
    parameters: dict[str, str],
    error: str | None = None,
    email: str = "",
    *,
    status: int = 200,
) -> HTMLResponse:
    sealed = _seals(request).seal(parameters)
    alert = f'      <p class="error" role="alert">{html.escape(error)}</p>\n' if error else ""
    content = (
        "      <h1>Entrar no Causa</h1>\n"
        f"      <p>O aplicativo <strong>{html.escape(client.name)}</strong> pede acesso à sua "
        "conta. Entre com o seu e-mail e a sua senha do Causa.</p>\n"
        f"{alert}"
        f'      <form method="post" action="{PATH}">\n'
        f'        <input type="hidden" name="request" value="{html.escape(sealed)}" />\n'
        '        <label for="email">E-mail</label>\n'
        '        <input id="email" name="email" type="email" autocomplete="username" required '
        f'value="{html.escape(email)}" />\n'
        '        <label for="password">Senha</label>\n'
        '        <input id="password" name="password" type="password" '
        'autocomplete="current-password" required />\n'
        '        <button type="submit">Entrar</button>\n'
        "      </form>\n"
        '      <p><small><a href="/password-reset">Esqueci a minha senha</a></small></p>'
    )
    # The form posts here, then the answer redirects to the app: both must be allowed.
    return _page("Entrar", content, status, f"'self' {_source(parameters['redirect_uri'])}")


def _source(redirect_uri: str) -> str:
    """The CSP source that allows a redirect to ``redirect_uri`` (any loopback port)."""
    parts = urlsplit(redirect_uri)
    if redirect_uris.is_loopback(redirect_uri):
        host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
        return f"http://{host}:*"
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:"


routes = [
    Route(PATH, authorize, methods=["GET"]),
    Route(PATH, sign_in, methods=["POST"]),
]
