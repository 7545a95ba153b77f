"""Admins register and revoke the office's OAuth clients (apps)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from db import oauth_clients
from schema.context import Context
from schema.ids import parse_id
from schema.oauth import (
    OAuthClient,
    OAuthClientInput,
    RegisterOAuthClientPayload,
    RevokeOAuthClientPayload,
)
from schema.permissions import ADMIN_ONLY
from schema.rows import from_row


@strawberry.type
class OAuthQuery:
    @strawberry.field(
        permission_classes=ADMIN_ONLY,
        description="The office's OAuth clients, revoked ones included, oldest first.",
    )
    async def oauth_clients(self, info: Info[Context, None]) -> list[OAuthClient]:
        context = info.context
        rows = await oauth_clients.list_clients(context.db, viewer=context.viewer)
        return [from_row(OAuthClient, row) for row in rows]


@strawberry.type
class OAuthMutation:
    @strawberry.mutation(
        name="registerOAuthClient",
        permission_classes=ADMIN_ONLY,
        description="A new app that may sign the office's accounts in; a confidential "
        "one's secret is in the answer, this once.",
    )
    async def register_oauth_client(
        self, info: Info[Context, None], input: OAuthClientInput
    ) -> RegisterOAuthClientPayload:
        context = info.context
        row, secret = await oauth_clients.register_client(
            context.db,
            viewer=context.viewer,
            name=input.name,
            type=input.type,
            redirect_uris=input.redirect_uris,
        )
        return RegisterOAuthClientPayload(
            oauth_client=from_row(OAuthClient, row), client_secret=secret
        )

    @strawberry.mutation(
        name="revokeOAuthClient",
        permission_classes=ADMIN_ONLY,
        description="The app may no longer sign anyone in, and every session it opened ends.",
    )
    async def revoke_oauth_client(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> RevokeOAuthClientPayload:
        context = info.context
        row = await oauth_clients.revoke_client(
            context.db,
            viewer=context.viewer,
            id=parse_id(id, field="id", type_name="OAuthClient"),
        )
        return RevokeOAuthClientPayload(oauth_client=from_row(OAuthClient, row))
