"""Invitations: single-use links with which an account sets its password.

Granting portal access and creating a staff member both issue one; issuing a new
one for an account ends the ones before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import RowMapping

from auth.passwords import check_strength, new_hash
from auth.tokens import OpaqueToken
from db import outbox
from db.accounts import act_for_account, end_sessions
from db.outbox import Renewal
from db.session import Db
from db.tables import accounts, invitations, offices
from domain.errors import InvalidValue
from domain.viewer import Role
from mail import letters as mail
from mail.letters import Letter

Compose = Callable[..., Letter]


@dataclass(frozen=True, slots=True)
class InvitationPolicy:
    base_url: str
    ttl: int
    page: str = "invitation"  # the page that opens the link; "password-reset" for a reset

    def url(self, token: str) -> str:
        # In the fragment, the token never reaches a server's or a proxy's logs.
        return f"{self.base_url}/{self.page}#token={token}"


@dataclass(frozen=True, slots=True)
class Issued:
    token: str
    url: str
    expires_at: datetime
    message: RowMapping  # the invitation e-mail, in the outbox


class InvitationRefused(Exception):
    """The invitation cannot be used; ``error`` is the machine-readable reason."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


async def issue(
    db: Db,
    *,
    account: RowMapping,
    office_id: uuid.UUID,
    policy: InvitationPolicy,
    letter: Compose,
    renewable: bool = True,
) -> Issued:
    """A new invitation for ``account`` (its ``id``, ``name``, ``email``), queued as an e-mail.

    The outbox keeps the e-mail without its link: the link reaches only the recipient,
    and the granter in the answer. Sent again from the outbox, the e-mail gets a new
    link (renewed_letter), unless it is not ``renewable`` (a password reset, which its
    recipient asks for again): it is then sent as kept.
    """
    office = await db.scalar(sa.select(offices.c.name).where(offices.c.id == office_id))
    link = _Link.new(office_id, policy)
    composed = link.letter(letter, account, office)
    message = await outbox.queue(db, office_id=office_id, letter=composed)
    message_id = message["id"] if renewable else None
    await link.store(db, account_id=account["id"], message_id=message_id)
    return Issued(token=link.token, url=link.url, expires_at=link.expires_at, message=message)


@dataclass(frozen=True, slots=True)
class _Link:
    office_id: uuid.UUID
    token: str
    digest: bytes
    url: str
    expires_at: datetime

    @classmethod
    def new(cls, office_id: uuid.UUID, policy: InvitationPolicy) -> _Link:
        token, stored = OpaqueToken.new(office_id)
        expires_at = datetime.now(UTC) + timedelta(seconds=policy.ttl)
        return cls(office_id, token, stored.digest, policy.url(token), expires_at)

    def letter(self, compose: Compose, account: RowMapping, office: str) -> Letter:
        return compose(
            recipient=account["email"],
            name=account["name"],
            office=office,
            url=self.url,
            expires_at=self.expires_at,
        )

    async def store(self, db: Db, *, account_id: uuid.UUID, message_id: uuid.UUID | None) -> None:
        """Only the digest is stored; the invitations before it for the account end."""
        await withdraw(db, office_id=self.office_id, account_id=account_id)
        await db.execute(
            sa.insert(invitations).values(
                office_id=self.office_id,
                token_hash=self.digest,
                account_id=account_id,
                expires_at=self.expires_at,
                message_id=message_id,
            )
        )


# An invitation with the account it is for and that account's office.
WITH_ACCOUNT = invitations.join(
    accounts,
    sa.and_(
        accounts.c.office_id == invitations.c.office_id,
        accounts.c.id == invitations.c.account_id,
    ),
).join(offices, offices.c.id == invitations.c.office_id)


def renewal(policy: InvitationPolicy) -> Renewal:
    """How the outbox sends an invitation e-mail again: with a new link (renewed_letter)."""

    async def renew(db: Db, office_id: uuid.UUID, message_id: uuid.UUID) -> Letter | None:
        return await renewed_letter(db, office_id=office_id, message_id=message_id, policy=policy)

    return renew


async def renewed_letter(
    db: Db, *, office_id: uuid.UUID, message_id: uuid.UUID, policy: InvitationPolicy
) -> Letter | None:
    """The invitation e-mail ``message_id``, to send again with a new link; None when the
    message carries no invitation.

    The link sent before is not kept (only its digest is), so it cannot be sent again:
    a new one replaces it, and the outbox keeps the renewed e-mail without it.
    """
    current = await db.row(
        sa.select(
            invitations.c.used_at,
            invitations.c.revoked_at,
            accounts.c.id,
            accounts.c.email,
            accounts.c.name,
            accounts.c.role,
            offices.c.name.label("office"),
        )
        .select_from(WITH_ACCOUNT)
        .where(invitations.c.office_id == office_id, invitations.c.message_id == message_id)
        .order_by(invitations.c.created_at.desc())
        .limit(1)
    )
    if current is None:
        return None
    if current["used_at"] is not None or current["revoked_at"] is not None:
        raise InvalidValue(
            "id",
            "This invitation was used, replaced by a newer one, or withdrawn: its e-mail is "
            "not sent again. Invite the person again for a new link.",
        )
    link = _Link.new(office_id, policy)
    compose = mail.portal_invitation if current["role"] == Role.CLIENT else mail.staff_invitation
    letter = link.letter(compose, current, current["office"])
    await link.store(db, account_id=current["id"], message_id=message_id)
    await outbox.rewrite(db, office_id=office_id, message_id=message_id, letter=letter)
    return letter


async def withdraw(db: Db, *, office_id: uuid.UUID, account_id: uuid.UUID) -> None:
    """The account's unused invitations stop working."""
    await db.execute(
        sa.update(invitations)
        .where(
            invitations.c.office_id == office_id,
            invitations.c.account_id == account_id,
            invitations.c.used_at.is_(None),
            invitations.c.revoked_at.is_(None),
        )
        .values(revoked_at=sa.func.now())
    )


async def check(db: Db, *, token: OpaqueToken) -> None:
    """Nothing when the invitation can be used now, else InvitationRefused (for the page,
    which says so before a password is typed)."""
    await _usable(db, token)


async def accept(db: Db, *, token: OpaqueToken, password: str) -> RowMapping:
    """Set the account's password from its invitation; the account's e-mail and office slug.

    The password replaces any earlier one, and the account's sessions end.
    """
    found = await _usable(db, token, lock=True)
    check_strength(password, email=found["email"], name=found["name"])
    office_id, account_id = found["office_id"], found["account_id"]
    await db.execute(
        sa.update(invitations)
        .where(invitations.c.office_id == office_id, invitations.c.token_hash == token.digest)
        .values(used_at=sa.func.now())
    )
    await db.execute(
        sa.update(accounts)
        .where(accounts.c.office_id == office_id, accounts.c.id == account_id)
        .values(password_hash=await new_hash(password))
    )
    await end_sessions(db, office_id=office_id, account_id=account_id)
    return found


async def _usable(db: Db, token: OpaqueToken, *, lock: bool = False) -> RowMapping:
    """The invitation of ``token`` with its account, when it can be used; the transaction
    then acts for that account. Else InvitationRefused."""
    # No viewer is known yet: the token names the account the transaction acts for.
    account_id = await db.scalar(
        sa.select(sa.func.causa_invitation_account(token.office_id, token.digest))
    )
    if account_id is None:
        raise UNKNOWN
    await act_for_account(db, office_id=token.office_id, account_id=account_id)
    query = (
        sa.select(
            invitations,
            accounts.c.email,
            accounts.c.name,
            accounts.c.disabled_at,
            offices.c.slug.label("office"),
        )
        .select_from(WITH_ACCOUNT)
        .where(invitations.c.office_id == token.office_id, invitations.c.token_hash == token.digest)
    )
    found = await db.row(query.with_for_update(of=invitations) if lock else query)
    _check_usable(found)
    assert found is not None
    return found


UNKNOWN = InvitationRefused("invalid_token", "This invitation link is not valid.")


def _check_usable(found: RowMapping | None) -> None:
    if found is None:
        raise UNKNOWN
    if found["used_at"] is not None:
        raise InvitationRefused(
            "used_token",
            "This invitation was already used: sign in with your password, "
            "or ask the office for a new invitation.",
        )
    if found["revoked_at"] is not None or found["disabled_at"] is not None:
        raise InvitationRefused(
            "revoked_token",
            "This invitation is no longer valid: a newer one was sent, or access was revoked.",
        )
    if found["expires_at"] <= datetime.now(UTC):
        raise InvitationRefused(
            "expired_token",
            f"This invitation expired at {found['expires_at']:%Y-%m-%d %H:%M} UTC: "
            "ask the office for a new one.",
        )
