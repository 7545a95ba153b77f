"""Accounts, sign-in sessions and refresh tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.tokens import FIRST_PARTY, SCOPE, AccessClaims, OpaqueToken
from db import session
from db.session import CLIENT_ROLE, STAFF_ROLE, Db
from db.tables import accounts, auth_sessions, refresh_tokens
from domain.errors import InvalidValue
from domain.viewer import Role, Viewer


def login_taken(login: str) -> InvalidValue:
    return InvalidValue("email", f"{login} is already the login of another account.")


async def act_for_account(db: Db, *, office_id: uuid.UUID, account_id: uuid.UUID) -> None:
    """Scope the transaction to one account's own rows (row-level security).

    Sign-in, refresh, revocation and accepting an invitation act so, once a secret has
    named the account, before any viewer is known.
    """
    await _scope(db, office_id=office_id, account_id=account_id, role="")


async def act_for_office(db: Db, *, office_id: uuid.UUID) -> None:
    """Scope the transaction to the office as its administrators see it: for the office's
    own work that no request's viewer does (its first accounts, its outgoing e-mail)."""
    await _scope(db, office_id=office_id, account_id=None, role=Role.ADMIN)


async def _scope(db: Db, *, office_id: uuid.UUID, account_id: uuid.UUID | None, role: str) -> None:
    await db.execute(
        sa.select(
            sa.func.set_config("causa.office_id", str(office_id), True),
            sa.func.set_config("causa.account_id", str(account_id or ""), True),
            sa.func.set_config("causa.role", role, True),
            sa.func.set_config("causa.person_id", "", True),
        )
    )


async def login_candidates(db: Db, *, email: str, office_slug: str | None) -> Sequence[RowMapping]:
    """Every account with this e-mail (one per office), enabled or not.

    No viewer is known yet: causa_login_candidates (migration 0005) reads past
    row-level security, and only these columns.
    """
    candidates = sa.func.causa_login_candidates(email.strip().lower(), office_slug or None)
    return await db.rows(
        sa.select(
            *(
                sa.column(name)
                for name in ("id", "office_id", "role", "password_hash", "disabled_at")
            )
        ).select_from(candidates)
    )


async def open_session(
    db: Db,
    *,
    office_id: uuid.UUID,
    account_id: uuid.UUID,
    refresh: OpaqueToken,
    refresh_ttl: int,
    address: str | None,
    user_agent: str | None,
    session_id: uuid.UUID | None = None,
    client_id: str = FIRST_PARTY,
    scope: str = SCOPE,
) -> uuid.UUID:
    """A new session of the account for ``client_id`` (its id chosen in advance when
    given: an access token naming it may already be signed), with its refresh token."""
    await act_for_account(db, office_id=office_id, account_id=account_id)
    session_id = await db.scalar(
        sa.insert(auth_sessions)
        .values(
            office_id=office_id,
            id=session_id or uuid.uuid4(),
            account_id=account_id,
            address=address,
            user_agent=(user_agent or "")[:300] or None,
            client_id=client_id,
            scope=scope,
        )
        .returning(auth_sessions.c.id)
    )
    assert session_id is not None
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
    if not await _act_for_refresh(db, used):
        return None
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
        .with_only_columns(
            accounts.c.id, accounts.c.role, auth_sessions.c.client_id, auth_sessions.c.scope
        )
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
        client_id=live["client_id"],
        scope=live["scope"] or SCOPE,
    )


async def _act_for_refresh(db: Db, token: OpaqueToken) -> bool:
    """Act for the account whose session ``token`` belongs to; False for an unknown token."""
    account_id = await db.scalar(
        sa.select(sa.func.causa_refresh_account(token.office_id, token.digest))
    )
    if account_id is None:
        return False
    await act_for_account(db, office_id=token.office_id, account_id=account_id)
    return True


async def revoke_session_of_refresh(
    db: Db, token: OpaqueToken, *, spent_only: bool = False
) -> None:
    """Ends the session that ``token`` belongs to (only if it was spent, when asked)."""
    if not await _act_for_refresh(db, token):
        return
    query = sa.select(refresh_tokens.c.session_id).where(
        refresh_tokens.c.office_id == token.office_id,
        refresh_tokens.c.token_hash == token.digest,
    )
    if spent_only:
        query = query.where(refresh_tokens.c.used_at.is_not(None))
    session_id = await db.scalar(query)
    if session_id is not None:
        await _end_sessions(db, token.office_id, auth_sessions.c.id == session_id)


async def revoke_session(db: Db, *, office_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Ends the session an access token names, acting for its account."""
    account_id = await db.scalar(sa.select(sa.func.causa_session_account(office_id, session_id)))
    if account_id is None:
        return
    await act_for_account(db, office_id=office_id, account_id=account_id)
    await _end_sessions(db, office_id, auth_sessions.c.id == session_id)


async def end_sessions(
    db: Db, *, office_id: uuid.UUID, account_id: uuid.UUID, keep: uuid.UUID | None = None
) -> None:
    """Every session of the account ends (but ``keep``, when given): its next request, by
    any token, is refused."""
    which = auth_sessions.c.account_id == account_id
    if keep is not None:
        which = sa.and_(which, auth_sessions.c.id != keep)
    await _end_sessions(db, office_id, which)


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


# The session check of every request, in one statement: the viewer of a live session
# (None once it or its account is revoked), the transaction scoped to them
# (``causa.office_id``, ``causa.account_id``, ``causa.role``, ``causa.person_id``, set
# by causa_viewer, which reads the session past row-level security), the switch to the
# role whose policies bind the viewer, and the office's data version (migration 0007).
# Plain SQL with positional parameters (office, session, account), for any driver.
SESSION_CHECK = f"""\
SELECT v.email, v.name, v.role, v.person_id, v.data_version,
       set_config('role', CASE WHEN v.role = '{Role.CLIENT.value}' THEN '{CLIENT_ROLE}'
                               ELSE '{STAFF_ROLE}' END, true) AS db_role
FROM causa_viewer($1, $2, $3) AS v"""  # noqa: S608  (made of constants, not of input)


@dataclass(frozen=True, slots=True)
class CheckedViewer:
    viewer: Viewer
    data_version: int  # the office's, as this transaction sees it


def session_check_parameters(claims: AccessClaims) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    return claims.office_id, claims.session_id, claims.account_id


def viewer_from_row(row: Mapping[Any, Any], claims: AccessClaims) -> Viewer:
    """The viewer that a row of SESSION_CHECK describes."""
    return Viewer(
        account_id=claims.account_id,
        office_id=claims.office_id,
        role=Role(row["role"]),
        email=row["email"],
        name=row["name"],
        session_id=claims.session_id,
        person_id=row["person_id"],
    )


async def checked_viewer(db: Db, claims: AccessClaims) -> CheckedViewer | None:
    """The viewer of a live session and the office's data version, the transaction
    scoped to them; None once the session or its account is revoked."""
    row = await db.driver_row(SESSION_CHECK, *session_check_parameters(claims))
    if row is None:
        return None
    return CheckedViewer(viewer_from_row(row, claims), row["data_version"])


async def active_viewer(db: Db, claims: AccessClaims) -> Viewer | None:
    """The viewer of a live session, or None once it or its account is revoked; the
    transaction is scoped to them (``checked_viewer``)."""
    checked = await checked_viewer(db, claims)
    return None if checked is None else checked.viewer


@asynccontextmanager
async def checked_transaction(
    engine: AsyncEngine, claims: AccessClaims
) -> AsyncIterator[tuple[Db, CheckedViewer | None]]:
    """A request's transaction and its session check, which is tried again on a fresh
    connection should the pooled one be dead (db/session.py)."""
    async with session.checked_transaction(engine, lambda db: checked_viewer(db, claims)) as (
        db,
        checked,
    ):
        yield db, checked
