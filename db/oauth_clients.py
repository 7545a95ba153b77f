"""OAuth clients (apps): registered and revoked by an office's admins, and found by
their ``client_id`` when an app signs an account in."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import RowMapping

from auth import redirect_uris
from auth.tokens import digest
from db.accounts import act_for_office
from db.session import Db
from db.tables import OAuthClientType, auth_sessions, oauth_clients
from domain import validators
from domain.errors import InvalidValue, Missing
from domain.viewer import Viewer

COLUMNS = (
    oauth_clients.c.id,
    oauth_clients.c.client_id,
    oauth_clients.c.name,
    oauth_clients.c.type,
    oauth_clients.c.redirect_uris,
    oauth_clients.c.created_at,
    oauth_clients.c.revoked_at,
)
MAX_REDIRECT_URIS = 20


def _checked_uris(uris: Sequence[str], field: str) -> list[str]:
    if not uris:
        raise InvalidValue(field, "Give at least one redirect URI.")
    if len(uris) > MAX_REDIRECT_URIS:
        raise InvalidValue(field, f"Give at most {MAX_REDIRECT_URIS} redirect URIs.")
    return list(dict.fromkeys(redirect_uris.checked(uri, field=field) for uri in uris))


def _admin(viewer: Viewer) -> sa.ColumnElement[bool]:
    return oauth_clients.c.office_id == viewer.office_id


async def register_client(
    db: Db, *, viewer: Viewer, name: str, type: OAuthClientType, redirect_uris: Sequence[str]
) -> tuple[RowMapping, str | None]:
    """A new client of the viewer's office, and its secret (confidential only), which is
    shown this once."""
    return await _register(db, viewer.office_id, name, type, redirect_uris)


async def register_for_office(
    db: Db, *, office_id: uuid.UUID, name: str, type: OAuthClientType, redirect_uris: Sequence[str]
) -> tuple[RowMapping, str | None]:
    """``register_client`` as the office's administration (the command line)."""
    await act_for_office(db, office_id=office_id)
    return await _register(db, office_id, name, type, redirect_uris)


async def _register(
    db: Db, office_id: uuid.UUID, name: str, type: OAuthClientType, redirect_uris: Sequence[str]
) -> tuple[RowMapping, str | None]:
    name = validators.required_text(name, field="name", max_length=200)
    uris = _checked_uris(redirect_uris, "redirectUris")
    secret = secrets.token_urlsafe(32) if type == OAuthClientType.CONFIDENTIAL else None
    row = await db.row(
        sa.insert(oauth_clients)
        .values(
            office_id=office_id,
            client_id=f"app-{secrets.token_urlsafe(12)}",
            name=name,
            type=type.value,
            # 256 random bits: their SHA-256 is all that is kept, and enough.
            secret_hash=None if secret is None else digest(secret),
            redirect_uris=uris,
        )
        .returning(*COLUMNS)
    )
    assert row is not None
    return row, secret


async def list_clients(db: Db, *, viewer: Viewer) -> Sequence[RowMapping]:
    return await db.rows(
        sa.select(*COLUMNS)
        .where(_admin(viewer))
        .order_by(oauth_clients.c.created_at, oauth_clients.c.id)
    )


async def clients_by_ids(
    db: Db, *, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> dict[Any, RowMapping]:
    rows = await db.rows(sa.select(*COLUMNS).where(_admin(viewer), oauth_clients.c.id.in_(ids)))
    return {row["id"]: row for row in rows}


async def revoke_client(db: Db, *, viewer: Viewer, id: uuid.UUID) -> RowMapping:
    """The client may no longer sign anyone in, and every session it opened ends."""
    row = await db.row(
        sa.update(oauth_clients)
        .where(_admin(viewer), oauth_clients.c.id == id)
        .values(revoked_at=sa.func.coalesce(oauth_clients.c.revoked_at, sa.func.now()))
        .returning(*COLUMNS)
    )
    if row is None:
        raise Missing("id", "No OAuth client of the office has this id.")
    await db.execute(
        sa.update(auth_sessions)
        .where(
            auth_sessions.c.office_id == viewer.office_id,
            auth_sessions.c.client_id == row["client_id"],
            auth_sessions.c.revoked_at.is_(None),
        )
        .values(revoked_at=sa.func.now())
    )
    return row


async def client_by_client_id(db: Db, client_id: str) -> RowMapping | None:
    """The client an app names, revoked or not; no viewer is known yet, so
    causa_oauth_client (migration 0008) reads it past row-level security."""
    found = sa.func.causa_oauth_client(client_id).table_valued(
        "office_id",
        "id",
        "client_id",
        "name",
        "type",
        "secret_hash",
        "redirect_uris",
        "revoked_at",
    )
    return await db.row(sa.select(found))
