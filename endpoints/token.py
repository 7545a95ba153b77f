"""OAuth 2.0 endpoints: the token endpoint (RFC 6749 §5) and revocation (RFC 7009)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from sqlalchemy import RowMapping
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.oauth import Client, grant_types
from auth.passwords import has_control_characters, matches
from auth.tokens import FIRST_PARTY, AccessClaims, InvalidToken, OpaqueToken, Signer
from db import accounts, oauth_clients, throttle
from db.session import Db, transaction
from domain.viewer import Role
from endpoints import metrics
from endpoints.activity import record_sign_in
from endpoints.code_exchange import code_grant
from endpoints.requests import media_type, read_body
from schema.context import State

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 16 * 1024  # far above any e-mail, password or token
MAX_FORM_FIELDS = 20


class OAuthError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        status_code: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status_code, headers=NO_STORE | self.headers)


BAD_CREDENTIALS = OAuthError("invalid_grant", "The e-mail or the password is incorrect.")
UNSUPPORTED = OAuthError("unsupported_grant_type", "The grant type is not supported by the server.")
BAD_REFRESH = OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
Outcome = dict[str, Any] | OAuthError  # a grant, or a refusal to send after the commit


async def form_fields(request: Request[State]) -> FormData:
    """The form's parameters, each once, in UTF-8 and free of control characters."""
    if media_type(request) != FORM:
        raise OAuthError("invalid_request", f"Send the parameters as {FORM}.")
    body = await read_body(request, MAX_FORM_BYTES)
    if body is None:
        raise OAuthError(
            "invalid_request", f"The form may have at most {MAX_FORM_BYTES} bytes.", 413
        )
    try:
        fields = parse_qsl(
            body.decode(),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "The form is not valid UTF-8.") from None
    except ValueError:
        raise OAuthError(
            "invalid_request", f"The form may have at most {MAX_FORM_FIELDS} parameters."
        ) from None
    names = [name for name, _ in fields]
    for name, value in fields:
        if names.count(name) > 1:
            raise OAuthError("invalid_request", f"The parameter {name!r} is repeated.")
        if has_control_characters(name) or has_control_characters(value):
            raise OAuthError(
                "invalid_request", f"The parameter {name!r} contains a control character."
            )
    return FormData(dict(fields))


def _param(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise OAuthError("invalid_request", f"The parameter {name!r} is required.")
    return value


async def token(request: Request[State]) -> Response:
    try:
        form = await form_fields(request)
        grant_type = _param(form, "grant_type")
        supported = grant_types(request.state["settings"].password_grant)
        if grant_type not in supported:
            raise OAuthError(
                "unsupported_grant_type",
                "Use grant_type=" + ", ".join(supported[:-1]) + f" or {supported[-1]}.",
            )
        grant = GRANTS.get(grant_type)
        if grant is None:  # authorization_code: authlib's
            return await code_grant(request, {k: str(v) for k, v in form.items()})
        outcome = await grant(request, form)
        # A grant returns its refusal rather than raising it inside its transaction:
        # what that recorded (the revoked session of a reused refresh token) must stay.
        if isinstance(outcome, OAuthError):
            raise outcome
    except OAuthError as error:
        return error.response()
    return JSONResponse(outcome, headers=NO_STORE)


def sign_in_attempt(request: Request[State], email: str) -> throttle.Attempt:
    settings = request.state["settings"]
    limits = throttle.Limits(
        per_email=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        window=settings.login_address_window,
        max_lock=settings.login_lockout_max,
    )
    address = request.client.host if request.client else "unknown"
    return throttle.Attempt(throttle.email_key(email), throttle.address_key(address), limits)


async def matching_accounts(
    request: Request[State], email: str, password: str, *, office: str | None
) -> list[RowMapping]:
    """The enabled accounts (one per office, ``office``'s alone when given) that this
    e-mail and password sign in to, throttled (throttle.Throttled: refused, uncounted).

    The attempt takes its place among those being checked, committed, before any
    password is checked: attempts arriving together cannot all slip under the limits.
    No connection is held while the passwords are checked.
    """
    attempt = sign_in_attempt(request, email)
    engine = request.state["engine"]
    candidates = await throttle.reserve(
        engine, attempt, lambda db: accounts.login_candidates(db, email=email, office_slug=office)
    )
    succeeded: bool | None = None  # given back uncounted if the checks never end
    try:
        # Every candidate's hash is checked (a dummy one when there is none), so the
        # time taken does not tell an unknown e-mail from a wrong password.
        if not candidates:
            await matches(None, password)
        matched = [
            account
            for account in candidates
            if await matches(account["password_hash"], password) and account["disabled_at"] is None
        ]
        succeeded = bool(matched)
    finally:
        await throttle.settle(engine, attempt, succeeded)
    return matched


def too_many(refused: throttle.Throttled) -> OAuthError:
    return OAuthError(
        "too_many_attempts",
        str(refused),
        status_code=429,
        headers={"Retry-After": str(refused.seconds)},
    )


async def _password_grant(request: Request[State], form: FormData) -> Outcome:
    email, password = _param(form, "username"), _param(form, "password")
    office = form.get("office")
    try:
        matched = await matching_accounts(
            request, email, password, office=office if isinstance(office, str) else None
        )
    except throttle.Throttled as refused:
        metrics.SIGN_INS.labels("throttled").inc()
        raise too_many(refused) from None
    if not matched:
        metrics.SIGN_INS.labels("failure").inc()
        return BAD_CREDENTIALS
    metrics.SIGN_INS.labels("success").inc()
    if len(matched) > 1:
        return OAuthError(
            "invalid_request", "This e-mail signs in to several offices: add the office parameter."
        )
    account = matched[0]
    refresh_token, refresh = OpaqueToken.new(account["office_id"])
    async with transaction(request.state["engine"]) as db:
        session_id = await accounts.open_session(
            db,
            office_id=account["office_id"],
            account_id=account["id"],
            refresh=refresh,
            refresh_ttl=request.state["settings"].refresh_token_ttl,
            address=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        if account["role"] == Role.CLIENT:
            await record_sign_in(
                db, request, office_id=account["office_id"], account_id=account["id"]
            )
    claims = AccessClaims(account["id"], account["office_id"], Role(account["role"]), session_id)
    return _grant(request.state["signer"], claims, refresh_token)


async def _refresh_grant(request: Request[State], form: FormData) -> Outcome:
    try:
        used = OpaqueToken.parse(_param(form, "refresh_token"))
    except InvalidToken:
        raise BAD_REFRESH from None
    refresh_token, replacement = OpaqueToken.new(used.office_id)
    async with transaction(request.state["engine"]) as db:
        claims = await accounts.rotate_refresh(
            db, used=used, replacement=replacement, ttl=request.state["settings"].refresh_token_ttl
        )
        if claims is not None and claims.client_id != FIRST_PARTY:
            # raised inside: the token stays unspent for the app's own, authenticated, retry
            await _check_client(db, request, form, claims.client_id)
    if claims is None:
        return BAD_REFRESH
    return _grant(request.state["signer"], claims, refresh_token)


async def _check_client(db: Db, request: Request[State], form: FormData, client_id: str) -> None:
    """RFC 6749 §6: a refresh token serves only the app it was issued to, and a
    confidential app proves who it is (HTTP Basic, or client_secret in the form)."""
    basic_id, basic_secret = extract_basic_authorization(
        {"Authorization": request.headers.get("authorization", "")}
    )
    named = basic_id or form.get("client_id")
    if named is not None and named != client_id:
        raise OAuthError("invalid_grant", "The refresh token was issued to another client.")
    row = await oauth_clients.client_by_client_id(db, client_id)
    client = None if row is None else Client.from_row(row)
    if client is None:  # revoked since: its sessions ended with it
        raise BAD_REFRESH
    if client.is_public:
        return
    secret = basic_secret if basic_id else form.get("client_secret")
    if not isinstance(secret, str) or not client.check_client_secret(secret):
        raise OAuthError(
            "invalid_client",
            "A confidential client authenticates: HTTP Basic, or client_id and client_secret.",
            401,
            {"WWW-Authenticate": 'Basic realm="causa"'},
        )


GRANTS: dict[str, Callable[[Request[State], FormData], Awaitable[Outcome]]] = {
    "password": _password_grant,
    "refresh_token": _refresh_grant,
}


def _grant(signer: Signer, claims: AccessClaims, refresh_token: str) -> dict[str, Any]:
    return {
        "access_token": signer.issue(claims),
        "token_type": "Bearer",
        "expires_in": signer.ttl,
        "refresh_token": refresh_token,
    }


async def revoke(request: Request[State]) -> Response:
    """Ends the session of an access or refresh token. Unknown tokens are fine (§2.2)."""
    try:
        value = _param(await form_fields(request), "token")
    except OAuthError as error:
        return error.response()
    async with transaction(request.state["engine"]) as db:
        await _revoke(db, request.state["signer"], value)
    return Response(status_code=200, headers=NO_STORE)


async def _revoke(db: Db, signer: Signer, token: str) -> None:
    try:
        claims = signer.read(token)
    except InvalidToken:
        with contextlib.suppress(InvalidToken):
            await accounts.revoke_session_of_refresh(db, OpaqueToken.parse(token))
        return
    await accounts.revoke_session(db, office_id=claims.office_id, session_id=claims.session_id)


routes = [
    Route("/auth/token", token, methods=["POST"]),
    Route("/auth/revoke", revoke, methods=["POST"]),
]
