"""Accounts, sign-in sessions and refresh tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import RowMapping

from auth.tokens import AccessClaims, OpaqueToken
from auth.viewer import Viewer
from db.errors import InvalidValue
from db.session import Db
from db.tables import Role, accounts, auth_sessions, offices, refresh_tokens


def login_taken(login: str) -> InvalidValue:
    return InvalidValue("email", f"{login} is already the login of another account.")


async def login_candidates(db: Db, *, email: str, office_slug: str | None) -> Sequence[RowMapping]:
    """Every account with this e-mail (one per office), enabled or not."""
    query = (
        sa.select(
            accounts.c.id,
            accounts.c.office_id,
            accounts.c.role,
            accounts.c.password_hash,
            accounts.c.disabled_at,
        )
        .join(offices, offices.c.id == accounts.c.office_id)
        .where(sa.func.lower(accounts.c.email) == email.strip().lower())
    )
    if office_slug:
        query = query.where(offices.c.slug == office_slug)
    return await db.rows(query)


async def open_session(
    db: Db,
    *,
    office_id: uuid.UUID,
    account_id: uuid.UUID,
    refresh: OpaqueToken,
    refresh_ttl: int,
    address: str | None,
    user_agent: str | None,
) -> uuid.UUID:
    session_id: uuid.UUID = await db.scalar(
        sa.insert(auth_sessions)
        .values(
            office_id=office_id,
            account_id=account_id,
            address=address,
            user_agent=(user_agent or "")[:300] or None,
        )
        .returning(auth_sessions.c.id)
    )
    await _store_refresh(db, session_id=session_id, refresh=refresh, ttl=refresh_ttl)
    await db.execute(
        sa.update(accounts)
        .where(accounts.c.office_id == office_id, accounts.c.id == account_id)
        .values(last_login_at=sa.func.now())
    )
    return session_id


async def _store_refresh(db: Db, *, session_id: uuid.UUID, refresh: OpaqueToken, ttl: int) -> None:
    await db.execute(
        sa.insert(refresh_tokens).values(
            office_id=refresh.office_id,
            token_hash=refresh.digest,
            session_id=session_id,
            expires_at=datetime.now(UTC) + timedelta(seconds=ttl),
        )
    )


async def rotate_refresh(
    db: Db, *, used: OpaqueToken, replacement: OpaqueToken, ttl: int
) -> AccessClaims | None:
    """Spend ``used`` and store ``replacement`` in its session.

    A refresh token presented a second time means it was copied: the whole
    session is revoked, and the legitimate holder signs in again.
    """
    session_id = await db.scalar(
        sa.update(refresh_tokens)
        .where(
            refresh_tokens.c.office_id == used.office_id,
            refresh_tokens.c.token_hash == used.digest,
            refresh_tokens.c.used_at.is_(None),
            refresh_tokens.c.expires_at > sa.func.now(),
        )
        .values(used_at=sa.func.now())
        .returning(refresh_tokens.c.session_id)
    )
    if session_id is None:
        await revoke_session_of_refresh(db, used, spent_only=True)
        return None
    live = await db.row(
        _live_sessions()
        .with_only_columns(accounts.c.id, accounts.c.role)
        .where(auth_sessions.c.office_id == used.office_id, auth_sessions.c.id == session_id)
    )
    if live is None:
        return None
    await _store_refresh(db, session_id=session_id, refresh=replacement, ttl=ttl)
    return AccessClaims(
        account_id=live["id"],
        office_id=used.office_id,
        role=Role(live["role"]),
        session_id=session_id,
    )


async def revoke_session_of_refresh(
    db: Db, token: OpaqueToken, *, spent_only: bool = False
) -> None:
    """Ends the session that ``token`` belongs to (only if it was spent, when asked)."""
    query = sa.select(refresh_tokens.c.session_id).where(
        refresh_tokens.c.office_id == token.office_id,
        refresh_tokens.c.token_hash == token.digest,
    )
    if spent_only:
        query = query.where(refresh_tokens.c.used_at.is_not(None))
    session_id = await db.scalar(query)
    if session_id is not None:
        await revoke_session(db, office_id=token.office_id, session_id=session_id)


async def revoke_session(db: Db, *, office_id: uuid.UUID, session_id: uuid.UUID) -> None:
    await _end_sessions(db, office_id, auth_sessions.c.id == session_id)


async def end_sessions(db: Db, *, office_id: uuid.UUID, account_id: uuid.UUID) -> None:
    """Every session of the account ends: its next request, by any token, is refused."""
    await _end_sessions(db, office_id, auth_sessions.c.account_id == account_id)


async def _end_sessions(db: Db, office_id: uuid.UUID, which: sa.ColumnElement[bool]) -> None:
    await db.execute(
        sa.update(auth_sessions)
        .where(auth_sessions.c.office_id == office_id, which, auth_sessions.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )


def _live_sessions() -> sa.Select[tuple[uuid.UUID]]:
    return (
        sa.select(auth_sessions.c.id)
        .join(
            accounts,
            sa.and_(
                accounts.c.office_id == auth_sessions.c.office_id,
                accounts.c.id == auth_sessions.c.account_id,
            ),
        )
        .where(auth_sessions.c.revoked_at.is_(None), accounts.c.disabled_at.is_(None))
    )


async def active_viewer(db: Db, claims: AccessClaims) -> Viewer | None:
    """The viewer of a live session, or None once it or its account is revoked.

    The same statement scopes the transaction: ``causa.office_id``, ``causa.role``
    and ``causa.person_id`` are set for its duration.
    """
    scope = [
        sa.func.set_config("causa.office_id", sa.cast(accounts.c.office_id, sa.Text), True),
        sa.func.set_config("causa.role", accounts.c.role, True),
        sa.func.set_config(
            "causa.person_id", sa.func.coalesce(sa.cast(accounts.c.person_id, sa.Text), ""), True
        ),
    ]
    row = await db.row(
        _live_sessions()
        .with_only_columns(
            accounts.c.email, accounts.c.name, accounts.c.role, accounts.c.person_id, *scope
        )
        .where(
            auth_sessions.c.office_id == claims.office_id,
            auth_sessions.c.id == claims.session_id,
            accounts.c.id == claims.account_id,
        )
    )
    if row is None:
        return None
    return Viewer(
        account_id=claims.account_id,
        office_id=claims.office_id,
        role=Role(row["role"]),
        email=row["email"],
        name=row["name"],
        session_id=claims.session_id,
        person_id=row["person_id"],
    )
