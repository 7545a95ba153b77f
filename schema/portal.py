"""Portal access, invitations and the outbox of e-mails: the office's side, staff only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import RowMapping

from db.invitations import Issued
from schema.enums import OutboxStatus
from schema.ids import global_id
from schema.node import Node
from schema.permissions import STAFF_ONLY
from schema.rows import from_row
from schema.staff import StaffMember


@strawberry.type(description="A person's access to the client portal.")
class PortalAccess(Node):
    key: strawberry.Private[uuid.UUID]  # the person's: an access is known by its person
    id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)
    enabled: bool = strawberry.field(permission_classes=STAFF_ONLY)
    login: str | None = strawberry.field(
        permission_classes=STAFF_ONLY, description="The e-mail the client signs in with."
    )
    granted_at: datetime | None = strawberry.field(permission_classes=STAFF_ONLY)
    revoked_at: datetime | None = strawberry.field(
        permission_classes=STAFF_ONLY, description="null while access is enabled."
    )
    last_login_at: datetime | None = strawberry.field(permission_classes=STAFF_ONLY)
    court_news_off_at: datetime | None = strawberry.field(
        permission_classes=STAFF_ONLY,
        description=(
            "When the client turned off the e-mails about court news (with the link in each "
            "of them); null while they receive them."
        ),
    )


def portal_access(row: RowMapping | None, person_id: uuid.UUID) -> PortalAccess:
    """The person's access; never granted (``row`` None, or its columns null) is a
    disabled access with no login."""
    id = global_id("PortalAccess", person_id)
    if row is None or row["email"] is None:
        return PortalAccess(
            key=person_id,
            id=id,
            enabled=False,
            login=None,
            granted_at=None,
            revoked_at=None,
            last_login_at=None,
            court_news_off_at=None,
        )
    # A client's portal access is their account: revoking access disables the account,
    # as disabling a staff member does (StaffMember.disabledAt); the portal's word is kept.
    return PortalAccess(
        key=person_id,
        id=id,
        enabled=row["disabled_at"] is None,
        login=row["email"],
        granted_at=row["granted_at"],
        revoked_at=row["disabled_at"],
        last_login_at=row["last_login_at"],
        court_news_off_at=row["court_news_off_at"],
    )


@strawberry.type(description="An e-mail of the office: sent, failed, or kept (no SMTP server).")
class OutboxMessage(Node):
    key: strawberry.Private[uuid.UUID]
    id: strawberry.ID = strawberry.field(permission_classes=STAFF_ONLY)
    recipient: str = strawberry.field(permission_classes=STAFF_ONLY)
    subject: str = strawberry.field(permission_classes=STAFF_ONLY)
    body: str = strawberry.field(permission_classes=STAFF_ONLY)
    status: OutboxStatus = strawberry.field(permission_classes=STAFF_ONLY)
    attempts: int = strawberry.field(permission_classes=STAFF_ONLY)
    last_error: str | None = strawberry.field(
        permission_classes=STAFF_ONLY, description="The SMTP server's answer to the last attempt."
    )
    created_at: datetime = strawberry.field(permission_classes=STAFF_ONLY)
    sent_at: datetime | None = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.interface(description="A single-use link with which an account sets its password.")
class Invitation:
    token: str = strawberry.field(permission_classes=STAFF_ONLY)
    url: str = strawberry.field(permission_classes=STAFF_ONLY)
    expires_at: datetime = strawberry.field(permission_classes=STAFF_ONLY)
    message: OutboxMessage = strawberry.field(
        permission_classes=STAFF_ONLY,
        description="The invitation e-mail; it is sent once the mutation has committed.",
    )


@strawberry.type(description="The invitation, and the access it opened.")
class GrantPortalAccessPayload(Invitation):
    access: PortalAccess = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The access, now closed.")
class RevokePortalAccessPayload:
    access: PortalAccess = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The invitation, and the account it is for.")
class CreateStaffMemberPayload(Invitation):
    staff_member: StaffMember = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The invitation, and the account it is for.")
class InviteStaffMemberPayload(Invitation):
    staff_member: StaffMember = strawberry.field(permission_classes=STAFF_ONLY)


@strawberry.type(description="The message, with how sending it went.")
class SendOutboxMessagePayload:
    message: OutboxMessage = strawberry.field(permission_classes=STAFF_ONLY)


def invitation(issued: Issued) -> dict[str, Any]:
    """The fields of an Invitation, for the payload that carries one."""
    return {
        "token": issued.token,
        "url": issued.url,
        "expires_at": issued.expires_at,
        "message": from_row(OutboxMessage, issued.message),
    }
