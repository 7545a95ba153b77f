"""OAuth clients: the apps that sign the office's accounts in (OAuth 2.1), as its
administrators manage them."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from db.tables import OAuthClientType
from schema.node import Node
from schema.permissions import ADMIN_ONLY

strawberry.enum(
    OAuthClientType,
    name="OAuthClientType",
    description="PUBLIC: a mobile or browser app, no secret, PKCE required. "
    "CONFIDENTIAL: a server app, authenticated by its secret.",
)


@strawberry.type(description="An app that signs the office's accounts in through OAuth 2.1.")
class OAuthClient(Node):
    key: strawberry.Private[uuid.UUID]
    id: strawberry.ID = strawberry.field(permission_classes=ADMIN_ONLY)
    client_id: str = strawberry.field(permission_classes=ADMIN_ONLY)
    name: str = strawberry.field(permission_classes=ADMIN_ONLY)
    type: OAuthClientType = strawberry.field(permission_classes=ADMIN_ONLY)
    redirect_uris: list[str] = strawberry.field(permission_classes=ADMIN_ONLY)
    created_at: datetime = strawberry.field(permission_classes=ADMIN_ONLY)
    revoked_at: datetime | None = strawberry.field(
        permission_classes=ADMIN_ONLY, description="Set once it may no longer sign anyone in."
    )


@strawberry.type(description="The new app.")
class RegisterOAuthClientPayload:
    oauth_client: OAuthClient = strawberry.field(permission_classes=ADMIN_ONLY)
    client_secret: str | None = strawberry.field(
        permission_classes=ADMIN_ONLY,
        description="A confidential client's secret: shown this once, never stored.",
    )


@strawberry.type(description="The app, revoked.")
class RevokeOAuthClientPayload:
    oauth_client: OAuthClient = strawberry.field(permission_classes=ADMIN_ONLY)


@strawberry.input
class OAuthClientInput:
    name: str = strawberry.field(description="The app's name, shown on the sign-in page.")
    type: OAuthClientType
    redirect_uris: list[str] = strawberry.field(
        description="https; http only on 127.0.0.1, [::1] or localhost (any port); or a "
        "private-use scheme such as com.example.app:/callback. No fragment."
    )
