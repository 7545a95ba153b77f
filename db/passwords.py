"""Passwords that an account's holder sets: changed while signed in, or reset by e-mail.

A reset is an invitation (db/invitations.py) to an account that exists: the same
single-use, hashed, expiring link, accepted the same way, which ends every session.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import RowMapping

from auth.tokens import AccessClaims
from db import invitations
from db.accounts import act_for_account, act_for_office, end_sessions, login_candidates
from db.invitations import InvitationPolicy
from db.session import Db
from db.tables import accounts, auth_sessions
from domain.viewer import Role
from mail import letters as mail

LIVE_SESSION = auth_sessions.join(
    accounts,
    sa.and_(
        accounts.c.office_id == auth_sessions.c.office_id,
        accounts.c.id == auth_sessions.c.account_id,
    ),
)


async def holder(db: Db, *, claims: AccessClaims, lock: bool = False) -> RowMapping | None:
    """The account of the live session that ``claims`` name (its ``email``, ``name`` and
    ``password_hash``), the transaction acting for it; None once the session or the
    account has ended. ``lock`` holds the session until the transaction ends."""
    account_id = await db.scalar(
        sa.select(sa.func.causa_session_account(claims.office_id, claims.session_id))
    )
    if account_id != claims.account_id:
        return None
    await act_for_account(db, office_id=claims.office_id, account_id=claims.account_id)
    query = (
        sa.select(accounts.c.email, accounts.c.name, accounts.c.password_hash)
        .select_from(LIVE_SESSION)
        .where(
            auth_sessions.c.office_id == claims.office_id,
            auth_sessions.c.id == claims.session_id,
            auth_sessions.c.revoked_at.is_(None),
            accounts.c.disabled_at.is_(None),
        )
    )
    return await db.row(query.with_for_update(of=auth_sessions) if lock else query)


async def change(db: Db, *, claims: AccessClaims, password_hash: str) -> bool:
    """Store the new password of the session's account: its other sessions end, and so do
    its unused invitation and reset links. False once the session has ended."""
    if await holder(db, claims=claims, lock=True) is None:
        return False
    office_id, account_id = claims.office_id, claims.account_id
    await db.execute(
        sa.update(accounts)
        .where(accounts.c.office_id == office_id, accounts.c.id == account_id)
        .values(password_hash=password_hash)
    )
    await end_sessions(db, office_id=office_id, account_id=account_id, keep=claims.session_id)
    await invitations.withdraw(db, office_id=office_id, account_id=account_id)
    return True


async def reset_candidates(db: Db, *, login: str, office_slug: str | None) -> Sequence[RowMapping]:
    """The enabled accounts that ``login`` names (one per office, or the office's own)."""
    found = await login_candidates(db, email=login, office_slug=office_slug)
    return [account for account in found if account["disabled_at"] is None]


async def issue_reset(
    db: Db, *, office_id: uuid.UUID, account_id: uuid.UUID, policy: InvitationPolicy
) -> None:
    """E-mail the account a link that sets a new password; its earlier links end.

    No viewer asks for it: the office's own work, as its outgoing e-mail is.
    """
    await act_for_office(db, office_id=office_id)
    account = await db.row(
        sa.select(accounts.c.id, accounts.c.email, accounts.c.name, accounts.c.role).where(
            accounts.c.office_id == office_id,
            accounts.c.id == account_id,
            accounts.c.disabled_at.is_(None),
        )
    )
    if account is None:  # disabled since it was found
        return
    letter = functools.partial(mail.password_reset, admin_only=account["role"] != Role.CLIENT)
    await invitations.issue(
        db, account=account, office_id=office_id, policy=policy, letter=letter, renewable=False
    )
