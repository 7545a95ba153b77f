"""``grant_type=authorization_code`` at ``POST /auth/token``: an app exchanges the code
it was sent for tokens (RFC 6749 §4.1.3, PKCE RFC 7636 §4.5), through authlib's grant.

The grant runs over what is loaded first (the client, the code and its account), and
what it decides is written after, in one transaction, before the answer goes out
(auth/oauth.py says why). The code is spent there by a statement that only one exchange
can win; the session opened from it is the password grant's kind, so refresh
rotation, reuse detection and revocation hold unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from starlette.requests import Request
from starlette.responses import Response

from auth.oauth import Account, Code, OAuthServer
from auth.tokens import InvalidToken, OpaqueToken
from db import accounts, oauth_codes
from db.session import transaction
from domain.viewer import Role
from endpoints.activity import record_sign_in
from endpoints.oauth_server import call, response, server_for
from schema.context import State

SPENT = {"error": "invalid_grant", "error_description": "Invalid 'code' in request."}


def _basic_client_id(authorization: str) -> str | None:
    client_id: str | None = extract_basic_authorization({"Authorization": authorization})[0]
    return client_id


def _code_of(row: Mapping[Any, Any]) -> Code:
    account = None
    if row["disabled_at"] is None:
        account = Account(row["office_id"], row["account_id"], Role(row["role"]))
    return Code(
        office_id=row["office_id"],
        digest=row["code_hash"],
        client_row_id=row["client_id"],
        account=account,
        redirect_uri=row["redirect_uri"],
        code_challenge=row["code_challenge"],
        code_challenge_method=row["code_challenge_method"],
        scope=row["scope"],
        expires_at=float(row["expires_epoch"]),
        used=row["used_at"] is not None,
        session_id=row["session_id"],
    )


async def code_grant(request: Request[State], form: Mapping[str, str]) -> Response:
    client_id = form.get("client_id") or _basic_client_id(request.headers.get("authorization", ""))
    server = await server_for(request, client_id)
    refresh = await _load_code(request, server, form)
    answer = server.create_token_response(call(request, form, "POST"))
    prepared = server.prepared
    engine = request.state["engine"]
    if prepared.reused is not None:
        await _revoke_issued(request, prepared.reused)
    elif answer.status == 200 and prepared.spent is not None and refresh is not None:
        code, claims = prepared.spent, prepared.claims
        assert code.account is not None
        assert claims is not None
        async with transaction(engine) as db:
            await accounts.act_for_account(db, office_id=code.office_id, account_id=code.account.id)
            if not await oauth_codes.spend_code(db, office_id=code.office_id, digest=code.digest):
                refused = True  # another exchange of the code won meanwhile: a reuse
            else:
                refused = False
                await accounts.open_session(
                    db,
                    office_id=code.office_id,
                    account_id=code.account.id,
                    refresh=refresh,
                    refresh_ttl=request.state["settings"].refresh_token_ttl,
                    address=request.client.host if request.client else None,
                    user_agent=request.headers.get("user-agent"),
                    session_id=prepared.session_id,
                    client_id=claims.client_id,
                    scope=claims.scope,
                )
                await oauth_codes.record_session(
                    db, office_id=code.office_id, digest=code.digest, session_id=prepared.session_id
                )
                if code.account.role is Role.CLIENT:
                    await record_sign_in(
                        db, request, office_id=code.office_id, account_id=code.account.id
                    )
        if refused:
            await _revoke_issued(request, code)
            answer.status, answer.body = 400, dict(SPENT)
    return response(answer)


async def _load_code(
    request: Request[State], server: OAuthServer, form: Mapping[str, str]
) -> OpaqueToken | None:
    """Load the code presented (authlib's ``query_authorization_code`` is synchronous)
    and choose the refresh token the grant will hand out; the refresh token's digest."""
    if form.get("grant_type") != "authorization_code" or not form.get("code"):
        return None
    try:
        token = OpaqueToken.parse(form["code"])
    except InvalidToken:
        return None
    async with transaction(request.state["engine"]) as db:
        row = await oauth_codes.find_code(db, token)
    if row is None:
        return None
    server.prepared.code = _code_of(row)
    refresh_token, refresh = OpaqueToken.new(token.office_id)
    server.prepared.refresh_token = refresh_token
    return refresh


async def _revoke_issued(request: Request[State], code: Code) -> None:
    async with transaction(request.state["engine"]) as db:
        await oauth_codes.revoke_issued(db, office_id=code.office_id, digest=code.digest)
