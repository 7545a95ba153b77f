"""OAuth 2.0 endpoints: the token endpoint (RFC 6749 §5) and revocation (RFC 7009)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.passwords import verify_password
from auth.requests import media_type
from auth.tokens import AccessClaims, InvalidToken, OpaqueToken, Signer
from db import accounts, throttle
from db.session import Db, transaction
from db.tables import Role
from settings import Settings

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"


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
BAD_REFRESH = OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
Outcome = dict[str, Any] | OAuthError  # a grant, or a refusal to send after the commit


async def _form(request: Request) -> FormData:
    if media_type(request) != FORM:
        raise OAuthError("invalid_request", f"Send the parameters as {FORM}.")
    return await request.form()


def _param(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise OAuthError("invalid_request", f"The parameter {name!r} is required.")
    return value


async def token(request: Request) -> Response:
    try:
        form = await _form(request)
        grant_type = _param(form, "grant_type")
        grant = GRANTS.get(grant_type)
        if grant is None:
            raise OAuthError(
                "unsupported_grant_type", "Use grant_type=password or grant_type=refresh_token."
            )
        async with transaction(request.state.engine) as db:
            outcome = await grant(request, db, form)
        # A refusal is raised only after the commit: what it recorded (a failed
        # sign-in, the revoked session of a reused refresh token) must stay.
        if isinstance(outcome, OAuthError):
            raise outcome
    except OAuthError as error:
        return error.response()
    return JSONResponse(outcome, headers=NO_STORE)


def _throttle_keys(
    request: Request, settings: Settings, email: str
) -> tuple[throttle.Key, throttle.Key]:
    address = request.client.host if request.client else "unknown"
    return (
        throttle.Key.of(
            "email", email.strip().lower(), threshold=settings.login_failures_per_account
        ),
        throttle.Key.of("address", address, threshold=settings.login_failures_per_address),
    )


async def _password_grant(request: Request, db: Db, form: FormData) -> Outcome:
    settings: Settings = request.state.settings
    email, password = _param(form, "username"), _param(form, "password")
    office = form.get("office")
    by_email, by_address = _throttle_keys(request, settings, email)
    wait = await throttle.seconds_locked(db, [by_email, by_address])
    if wait:
        raise OAuthError(
            "too_many_attempts",
            f"Too many failed sign-ins: try again in {wait} seconds.",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    candidates = await accounts.login_candidates(
        db, email=email, office_slug=office if isinstance(office, str) else None
    )
    # Every candidate's hash is checked (a dummy one when there is none), so the
    # time taken does not tell an unknown e-mail from a wrong password.
    if not candidates:
        verify_password(None, password)
    matches = [
        account
        for account in candidates
        if verify_password(account["password_hash"], password) and account["disabled_at"] is None
    ]
    if not matches:
        await throttle.record_failure(
            db, [by_email, by_address], max_lock=settings.login_lockout_max
        )
        return BAD_CREDENTIALS
    await throttle.clear(db, by_email)
    if len(matches) > 1:
        raise OAuthError(
            "invalid_request", "This e-mail signs in to several offices: add the office parameter."
        )
    account = matches[0]
    refresh_token, refresh = OpaqueToken.new(account["office_id"])
    session_id = await accounts.open_session(
        db,
        office_id=account["office_id"],
        account_id=account["id"],
        refresh=refresh,
        refresh_ttl=settings.refresh_token_ttl,
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    claims = AccessClaims(account["id"], account["office_id"], Role(account["role"]), session_id)
    return _grant(request.state.signer, claims, refresh_token)


async def _refresh_grant(request: Request, db: Db, form: FormData) -> Outcome:
    try:
        used = OpaqueToken.parse(_param(form, "refresh_token"))
    except InvalidToken:
        raise BAD_REFRESH from None
    refresh_token, replacement = OpaqueToken.new(used.office_id)
    claims = await accounts.rotate_refresh(
        db, used=used, replacement=replacement, ttl=request.state.settings.refresh_token_ttl
    )
    if claims is None:
        return BAD_REFRESH
    return _grant(request.state.signer, claims, refresh_token)


GRANTS: dict[str, Callable[[Request, Db, FormData], Awaitable[Outcome]]] = {
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


async def revoke(request: Request) -> Response:
    """Ends the session of an access or refresh token. Unknown tokens are fine (§2.2)."""
    try:
        value = _param(await _form(request), "token")
    except OAuthError as error:
        return error.response()
    async with transaction(request.state.engine) as db:
        await _revoke(db, request.state.signer, value)
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
