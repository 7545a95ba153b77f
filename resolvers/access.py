"""Mutations of access: portal access for clients, staff accounts, the outbox of e-mails."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from db import invitations, portal, staff
from mail import delivery
from schema.context import Context
from schema.ids import parse_id
from schema.inputs import StaffMemberInput
from schema.permissions import ADMIN_ONLY, STAFF_ONLY
from schema.portal import (
    CreateStaffMemberPayload,
    GrantPortalAccessPayload,
    InviteStaffMemberPayload,
    OutboxMessage,
    RevokePortalAccessPayload,
    SendOutboxMessagePayload,
    invitation,
    portal_access,
)
from schema.rows import from_row
from schema.staff import DisableStaffMemberPayload, EnableStaffMemberPayload, StaffMember


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Opens the portal to the person with this e-mail as login and e-mails them "
        "an invitation to set a password. Granting again re-issues the invitation.",
    )
    async def grant_portal_access(
        self, info: Info[Context, None], person_id: strawberry.ID, email: str
    ) -> GrantPortalAccessPayload:
        context = info.context
        issued, access = await portal.grant_portal_access(
            context.db,
            viewer=context.viewer,
            person_id=parse_id(person_id, field="personId", type_name="Person"),
            email=email,
            policy=context.invitations,
        )
        return GrantPortalAccessPayload(
            **invitation(issued), access=portal_access(access, access["person_id"])
        )

    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Closes the portal to the person: their next request is refused.",
    )
    async def revoke_portal_access(
        self, info: Info[Context, None], person_id: strawberry.ID
    ) -> RevokePortalAccessPayload:
        context = info.context
        person = parse_id(person_id, field="personId", type_name="Person")
        access = await portal.revoke_portal_access(
            context.db, viewer=context.viewer, person_id=person
        )
        return RevokePortalAccessPayload(access=portal_access(access, person))

    @strawberry.mutation(
        permission_classes=ADMIN_ONLY,
        description="A new lawyer or administrator, invited by e-mail to set a password.",
    )
    async def create_staff_member(
        self, info: Info[Context, None], input: StaffMemberInput
    ) -> CreateStaffMemberPayload:
        context = info.context
        issued, account = await staff.create_staff_member(
            context.db,
            viewer=context.viewer,
            name=input.name,
            email=input.email,
            role=input.role,
            policy=context.invitations,
        )
        return CreateStaffMemberPayload(
            **invitation(issued), staff_member=from_row(StaffMember, account)
        )

    @strawberry.mutation(
        permission_classes=ADMIN_ONLY,
        description="A new invitation for a staff member: for a first sign-in, or a forgotten "
        "password (accepting it sets a new password and ends the account's sessions).",
    )
    async def invite_staff_member(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> InviteStaffMemberPayload:
        context = info.context
        issued, account = await staff.invite_staff_member(
            context.db,
            viewer=context.viewer,
            account_id=parse_id(id, field="id", type_name="StaffMember"),
            policy=context.invitations,
        )
        return InviteStaffMemberPayload(
            **invitation(issued), staff_member=from_row(StaffMember, account)
        )

    @strawberry.mutation(
        permission_classes=ADMIN_ONLY,
        description="The account may no longer sign in; its sessions end at once.",
    )
    async def disable_staff_member(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> DisableStaffMemberPayload:
        return DisableStaffMemberPayload(staff_member=await _set_disabled(info, id, disabled=True))

    @strawberry.mutation(permission_classes=ADMIN_ONLY)
    async def enable_staff_member(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> EnableStaffMemberPayload:
        return EnableStaffMemberPayload(staff_member=await _set_disabled(info, id, disabled=False))

    @strawberry.mutation(
        permission_classes=STAFF_ONLY,
        description="Sends an outbox message again, now, and answers how it went.",
    )
    async def send_outbox_message(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> SendOutboxMessagePayload:
        context = info.context
        row = await delivery.send_again(
            context.db,
            viewer=context.viewer,
            message_id=parse_id(id, field="id", type_name="OutboxMessage"),
            mailer=context.mailer,
            renew=invitations.renewal(context.invitations),
        )
        return SendOutboxMessagePayload(message=from_row(OutboxMessage, row))


async def _set_disabled(
    info: Info[Context, None], id: strawberry.ID, *, disabled: bool
) -> StaffMember:
    context = info.context
    row = await staff.set_staff_disabled(
        context.db,
        viewer=context.viewer,
        account_id=parse_id(id, field="id", type_name="StaffMember"),
        disabled=disabled,
    )
    return from_row(StaffMember, row)
