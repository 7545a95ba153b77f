"""OAuth 2.0 endpoints: the token endpoint (RFC 6749 §5) and revocation (RFC 7009)."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.passwords import verify_password
from auth.tokens import AccessClaims, InvalidToken, RefreshToken, Signer
from db import accounts
from db.session import Db, transaction
from db.tables import Role

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status_code, headers=NO_STORE)


BAD_CREDENTIALS = OAuthError("invalid_grant", "The e-mail or the password is incorrect.")
BAD_REFRESH = OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")


async def _form(request: Request) -> FormData:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != FORM:
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
        body: dict[str, Any] | None
        async with transaction(request.state.engine) as db:
            if grant_type == "password":
                body = await _password_grant(request, db, form)
            elif grant_type == "refresh_token":
                body = await _refresh_grant(request, db, form)
            else:
                raise OAuthError(
                    "unsupported_grant_type", "Use grant_type=password or grant_type=refresh_token."
                )
        if body is None:
            # Refused only after the commit: revoking the session of a reused
            # refresh token must not be rolled back with the refusal.
            raise BAD_REFRESH
    except OAuthError as error:
        return error.response()
    return JSONResponse(body, headers=NO_STORE)


async def _password_grant(request: Request, db: Db, form: FormData) -> dict[str, Any]:
    email, password = _param(form, "username"), _param(form, "password")
    office = form.get("office")
    candidates = await accounts.login_candidates(
        db, email=email, office_slug=office if isinstance(office, str) else None
    )
    # Every candidate's hash is checked (a dummy one when there is none), so the
    # time taken does not tell an unknown e-mail from a wrong password.
    if not candidates:
        verify_password(None, password)
        raise BAD_CREDENTIALS
    matches = [
        account
        for account in candidates
        if verify_password(account["password_hash"], password) and account["disabled_at"] is None
    ]
    if not matches:
        raise BAD_CREDENTIALS
    if len(matches) > 1:
        raise OAuthError(
            "invalid_request", "This e-mail signs in to several offices: add the office parameter."
        )
    account = matches[0]
    settings = request.state.settings
    refresh_token, refresh = RefreshToken.new(account["office_id"])
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


async def _refresh_grant(request: Request, db: Db, form: FormData) -> dict[str, Any] | None:
    """The grant, or None when the token was spent, expired or revoked."""
    try:
        used = RefreshToken.parse(_param(form, "refresh_token"))
    except InvalidToken:
        raise BAD_REFRESH from None
    refresh_token, replacement = RefreshToken.new(used.office_id)
    claims = await accounts.rotate_refresh(
        db, used=used, replacement=replacement, ttl=request.state.settings.refresh_token_ttl
    )
    if claims is None:
        return None
    return _grant(request.state.signer, claims, refresh_token)


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
            await accounts.revoke_session_of_refresh(db, RefreshToken.parse(token))
        return
    await accounts.revoke_session(db, office_id=claims.office_id, session_id=claims.session_id)


routes = [
    Route("/auth/token", token, methods=["POST"]),
    Route("/auth/revoke", revoke, methods=["POST"]),
]
