"""Authorization codes: stored when an account signs in for an app, spent once when
the app exchanges them, and what they issued revoked should one come back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import RowMapping

from auth.oauth import IssuedCode
from auth.tokens import OpaqueToken
from db.accounts import act_for_account, revoke_session
from db.session import Db
from db.tables import accounts, oauth_codes


async def store_code(db: Db, *, issued: IssuedCode, ttl: int) -> None:
    await act_for_account(db, office_id=issued.account.office_id, account_id=issued.account.id)
    await db.execute(
        sa.insert(oauth_codes).values(
            office_id=issued.token.office_id,
            code_hash=issued.token.digest,
            client_id=issued.client.id,
            account_id=issued.account.id,
            redirect_uri=issued.redirect_uri,
            code_challenge=issued.code_challenge,
            code_challenge_method=issued.code_challenge_method,
            scope=issued.scope,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
        )
    )


async def find_code(db: Db, token: OpaqueToken) -> RowMapping | None:
    """The code with its account's role and state, the transaction acting for that
    account; None for an unknown code. No viewer is known yet: causa_oauth_code_account
    (migration 0008) names the account past row-level security."""
    account_id = await db.scalar(
        sa.select(sa.func.causa_oauth_code_account(token.office_id, token.digest))
    )
    if account_id is None:
        return None
    await act_for_account(db, office_id=token.office_id, account_id=account_id)
    return await db.row(
        sa.select(
            oauth_codes,
            accounts.c.role,
            accounts.c.disabled_at,
            sa.func.extract("epoch", oauth_codes.c.expires_at).label("expires_epoch"),
        )
        .join(
            accounts,
            sa.and_(
                accounts.c.office_id == oauth_codes.c.office_id,
                accounts.c.id == oauth_codes.c.account_id,
            ),
        )
        .where(
            oauth_codes.c.office_id == token.office_id,
            oauth_codes.c.code_hash == token.digest,
        )
    )


async def spend_code(db: Db, *, office_id: uuid.UUID, digest: bytes) -> bool:
    """Mark the code used, if it is still unused and unexpired: at most one exchange of
    a code ever succeeds, however many arrive at once. The transaction acts for the
    code's account (``find_code``)."""
    spent = await db.scalar(
        sa.update(oauth_codes)
        .where(
            oauth_codes.c.office_id == office_id,
            oauth_codes.c.code_hash == digest,
            oauth_codes.c.used_at.is_(None),
            oauth_codes.c.expires_at > sa.func.now(),
        )
        .values(used_at=sa.func.now())
        .returning(oauth_codes.c.code_hash)
    )
    return spent is not None


async def record_session(
    db: Db, *, office_id: uuid.UUID, digest: bytes, session_id: uuid.UUID
) -> None:
    await db.execute(
        sa.update(oauth_codes)
        .where(oauth_codes.c.office_id == office_id, oauth_codes.c.code_hash == digest)
        .values(session_id=session_id)
    )


async def revoke_issued(db: Db, *, office_id: uuid.UUID, digest: bytes) -> None:
    """A code presented again (RFC 6749 §4.1.2): the session opened from it ends, and
    with it every access and refresh token it issued."""
    if await find_code(db, OpaqueToken(office_id, digest)) is None:  # acts for its account
        return
    session_id = await db.scalar(
        sa.select(oauth_codes.c.session_id).where(
            oauth_codes.c.office_id == office_id, oauth_codes.c.code_hash == digest
        )
    )
    if session_id is not None:
        await revoke_session(db, office_id=office_id, session_id=session_id)
