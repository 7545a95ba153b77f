"""OAuth clients (apps) and their authorization codes; the client of each session

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00

``oauth_client`` is an app that an office's administrators registered: public (a mobile
or browser app, no secret) or confidential (a secret, kept as its SHA-256), with the
redirect URIs it may use. ``client_id`` is unique across offices, since a sign-in names
the app before any office is known. Only administrators read or write them.

``oauth_code`` is an authorization code (RFC 6749 §4.1), kept as its SHA-256, with the
PKCE challenge (RFC 7636) and the session opened from it (``session_id``), which is
revoked should the code be presented again.

``auth_session`` now says which client it was opened for (``causa`` for the password
grant) and with which scope, so that a refreshed access token keeps both.

Row-level security as in 0006/0007: the un-switched runtime role (sign-in acting for one
account) reads and writes that account's codes; staff transactions read the office's
clients (writes: administrators) and codes. Before a viewer is known, the SECURITY
DEFINER functions below find a client by its ``client_id`` and a code's account by the
code's digest, and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNTIME, STAFF = "causa_runtime", "causa_staff"
OFFICE = "office_id = causa_office()"
ADMIN = "current_setting('causa.role', true) = 'ADMIN'"
# table: {(policy, role): (command, scope within the office)}
POLICIES = {
    "oauth_client": {
        ("reads", RUNTIME): ("SELECT", "causa_is_staff()"),
        ("admin_writes", RUNTIME): ("ALL", ADMIN),
        ("for_staff", STAFF): ("SELECT", "causa_is_staff()"),
        ("for_admin", STAFF): ("ALL", ADMIN),
    },
    "oauth_code": {
        ("own", RUNTIME): ("ALL", "causa_is_staff() OR account_id = causa_account()"),
        ("for_staff", STAFF): ("ALL", "causa_is_staff()"),
    },
}

VERSION_EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
FUNCTIONS = {
    "causa_oauth_client(text)": """
CREATE FUNCTION causa_oauth_client(in_client_id text)
  RETURNS TABLE (office_id uuid, id uuid, client_id text, name varchar, type varchar,
                 secret_hash bytea, redirect_uris text[], revoked_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT office_id, id, client_id, name, type, secret_hash, redirect_uris, revoked_at
        FROM oauth_client WHERE client_id = in_client_id $$
""",
    "causa_oauth_code_account(uuid, bytea)": """
CREATE FUNCTION causa_oauth_code_account(in_office uuid, in_digest bytea) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT account_id FROM oauth_code
        WHERE office_id = in_office AND code_hash = in_digest $$
""",
}


def upgrade() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=True),
        sa.Column("redirect_uris", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(type = 'confidential') = (secret_hash IS NOT NULL)", name="ck_oauth_client_secret"
        ),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id", "id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_table(
        "oauth_code",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("code_challenge", sa.String(), nullable=True),
        sa.Column("code_challenge_method", sa.String(length=8), nullable=True),
        sa.Column("scope", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "client_id"],
            ["oauth_client.office_id", "oauth_client.id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "account_id"],
            ["account.office_id", "account.id"],
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "session_id"],
            ["auth_session.office_id", "auth_session.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", "code_hash"),
    )
    op.create_index("ix_oauth_code_account", "oauth_code", ["office_id", "account_id"])
    # Staff read the office's apps (oauthClients, node): a change moves the data version,
    # as 0007 does for every table a read can show. A code is never shown.
    for event, rows in VERSION_EVENTS:
        op.execute(
            f"CREATE TRIGGER data_version_{event.lower()} AFTER {event} ON oauth_client "
            f"REFERENCING {rows} TABLE AS changed "
            "FOR EACH STATEMENT EXECUTE FUNCTION causa_bump_data_version()"
        )
    op.add_column(
        "auth_session",
        sa.Column("client_id", sa.Text(), server_default="causa", nullable=False),
    )
    op.add_column("auth_session", sa.Column("scope", sa.String(), nullable=True))

    for table in POLICIES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {RUNTIME}, {STAFF}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for (name, role), (command, scope) in POLICIES[table].items():
            op.execute(
                f"CREATE POLICY {name} ON {table} FOR {command} TO {role} "
                f"USING ({OFFICE} AND ({scope}))"
            )
    for signature, statement in FUNCTIONS.items():
        op.execute(statement)
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {RUNTIME}, {STAFF}")


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.drop_column("auth_session", "scope")
    op.drop_column("auth_session", "client_id")
    op.drop_index("ix_oauth_code_account", table_name="oauth_code")
    op.drop_table("oauth_code")
    op.drop_table("oauth_client")
