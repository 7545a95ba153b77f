"""An account's own password: ``POST /auth/password`` (changed while signed in) and
``POST /auth/password-reset`` (a forgotten one: a link by e-mail), with the page the link
opens. The link is an invitation, set by ``POST /auth/invitations/accept``.

Both answer in the OAuth error shape of the token and invitation endpoints.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.passwords import check_strength, has_control_characters, matches, new_hash
from auth.tokens import AccessClaims, InvalidToken
from db import passwords, throttle
from db.invitations import InvitationPolicy
from db.session import transaction
from domain.errors import InvalidValue
from endpoints import static
from endpoints.requests import media_type, read_body
from endpoints.token import NO_STORE, OAuthError, sign_in_attempt
from mail import delivery
from schema.context import State

MAX_BODY = 4_096
RESET_PAGE = "password-reset"
RESET_KEYS = "password-reset"  # counted apart from sign-in: a reset never locks a login
# The same answer whether or not the login names an account.
RESET_ASKED = {
    "detail": "If this login names an account, a link to set a new password was e-mailed to it."
}
WRONG_CURRENT = OAuthError("invalid_grant", "The current password is incorrect.")


def _unauthenticated(description: str, error: str | None = None) -> OAuthError:
    """RFC 6750 §3, as /graphql answers it."""
    challenge = 'Bearer realm="causa"' + (f', error="{error}"' if error else "")
    return OAuthError(
        error or "invalid_request", description, 401, headers={"WWW-Authenticate": challenge}
    )


SESSION_ENDED = _unauthenticated("The session has ended; sign in again.", "invalid_token")


def _claims(request: Request[State]) -> AccessClaims:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated("Sign in: send Authorization: Bearer <access token>.")
    try:
        return request.state["signer"].read(token.strip())
    except InvalidToken:
        raise _unauthenticated("The access token is invalid or expired.", "invalid_token") from None


async def _json_object(request: Request[State], fields: str) -> dict[str, Any]:
    if media_type(request) != "application/json":
        raise OAuthError("invalid_request", f"Send a JSON object with {fields}.")
    body = await read_body(request, MAX_BODY)
    if body is None:
        raise OAuthError("invalid_request", f"The request body exceeds {MAX_BODY} bytes.", 413)
    try:
        document: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_request", "The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise OAuthError("invalid_request", "The body must be a JSON object.")
    return document


def _text(document: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = document.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise OAuthError("invalid_request", f"{name!r} is required, as a string.")
    return value


def _required(document: dict[str, Any], name: str) -> str:
    value = _text(document, name)
    assert value is not None
    return value


def _throttled(refused: throttle.Throttled, description: str) -> OAuthError:
    return OAuthError(
        "too_many_attempts", description, 429, headers={"Retry-After": str(refused.seconds)}
    )


async def change(request: Request[State]) -> Response:
    """The current password, checked as a sign-in is (and counted toward its lock), then
    the new one, as strong as an invitation's; every other session of the account ends."""
    try:
        claims = _claims(request)
        document = await _json_object(request, "current and new")
        current, new = _required(document, "current"), _required(document, "new")
        engine = request.state["engine"]
        async with transaction(engine) as db:
            account = await passwords.holder(db, claims=claims)
        if account is None:
            raise SESSION_ENDED
        try:
            check_strength(new, email=account["email"], name=account["name"], field="new")
        except InvalidValue as weak:
            raise OAuthError("weak_password", weak.message) from None
        attempt = sign_in_attempt(request, account["email"])
        try:
            account = await throttle.reserve(
                engine, attempt, lambda db: passwords.holder(db, claims=claims)
            )
        except throttle.Throttled as refused:
            raise _throttled(refused, str(refused)) from None
        succeeded: bool | None = None  # given back uncounted if the check never ends
        try:
            if account is not None:
                succeeded = await matches(account["password_hash"], current)
        finally:
            await throttle.settle(engine, attempt, succeeded)
        if account is None:
            raise SESSION_ENDED
        if not succeeded:
            raise WRONG_CURRENT
        password_hash = await new_hash(new)
        async with transaction(engine) as db:
            if not await passwords.change(db, claims=claims, password_hash=password_hash):
                raise SESSION_ENDED
    except OAuthError as error:
        return error.response()
    return Response(status_code=204, headers=NO_STORE)


async def request_reset(request: Request[State]) -> Response:
    """202 and the same body whether or not the login names an account; the link is
    issued and e-mailed after the answer is sent. Each request counts, per login and per
    address, apart from sign-in."""
    try:
        document = await _json_object(request, "login (and office)")
        login, office = _required(document, "login"), _text(document, "office", required=False)
        for value in (login, office or ""):
            if has_control_characters(value):
                raise OAuthError("invalid_request", "The login contains a control character.")
        attempt = _reset_attempt(request, login)
        engine = request.state["engine"]
        try:
            found = await throttle.reserve(
                engine,
                attempt,
                lambda db: passwords.reset_candidates(db, login=login, office_slug=office),
            )
        except throttle.Throttled as refused:
            raise _throttled(
                refused, f"Too many password resets: try again in {refused.seconds} seconds."
            ) from None
        await throttle.settle(engine, attempt, False)
    except OAuthError as error:
        return error.response()
    accounts = [(account["office_id"], account["id"]) for account in found]
    return JSONResponse(
        RESET_ASKED,
        status_code=202,
        headers=NO_STORE,
        background=BackgroundTask(_send_resets, request.state, accounts),
    )


def _reset_attempt(request: Request[State], login: str) -> throttle.Attempt:
    settings = request.state["settings"]
    limits = throttle.Limits(
        per_email=settings.password_resets_per_login,
        per_address=settings.password_resets_per_address,
        window=settings.login_address_window,
        # Past the limit, a login gets a new link no sooner than the last one expires.
        max_lock=settings.password_reset_ttl,
    )
    address = request.client.host if request.client else "unknown"
    return throttle.Attempt(
        throttle.email_key(login, RESET_KEYS), throttle.address_key(address, RESET_KEYS), limits
    )


async def _send_resets(state: State, accounts: list[tuple[Any, Any]]) -> None:
    settings, engine, mailer = state["settings"], state["engine"], state["mailer"]
    policy = InvitationPolicy(settings.base_url, settings.password_reset_ttl, page=RESET_PAGE)
    for office_id, account_id in accounts:
        async with transaction(engine) as db:
            await passwords.issue_reset(
                db, office_id=office_id, account_id=account_id, policy=policy
            )
        if mailer is not None:
            await delivery.deliver_after_commit(engine, mailer, db.queued_mail, retry=False)


async def page(request: Request[State]) -> Response:
    return static.page(RESET_PAGE)


routes = [
    Route("/auth/password", change, methods=["POST"]),
    Route("/auth/password-reset", request_reset, methods=["POST"]),
    Route(f"/{RESET_PAGE}", page),
]
