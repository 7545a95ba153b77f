"""row-level security for accounts, sign-in and the outbox; invitation links not kept

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00

Every table that an office owns is now bound by row-level security, as 0003 bound the
case data: ``account``, ``auth_session``, ``refresh_token``, ``invitation`` and
``outbox_message``. Staff read and write their office's rows (a lawyer not the
messages only an admin may read); a client reads their own account, sessions and
invitations, and the accounts of the lawyers responsible for their folders.

Sign-in, refresh, revocation, accepting an invitation and the session check of every
request run before any viewer is known. Each starts from a secret (a password, a
token) through a SECURITY DEFINER function below, which finds the account that the
secret belongs to; the transaction then acts for that account alone
(``causa.account_id``), and its own rows are all it reads and writes.

``login_throttle`` keeps no office: sign-in counts failures before an office is known.
``office`` is the tenant itself and holds no secret.

An invitation e-mail no longer keeps its link in the outbox (only the recipient gets
it); ``invitation.message_id`` names the e-mail that carries the invitation, so that
sending it again sends a new link in place of the old one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWN_SESSIONS = (
    "ARRAY(SELECT id FROM auth_session "
    "WHERE office_id = causa_office() AND account_id = causa_account())"
)
# table: {policy: (command, scope within the office)}
POLICIES = {
    "account": {
        "reads": (
            "SELECT",
            "causa_is_staff() OR id = causa_account() "
            "OR id = ANY (ARRAY(SELECT causa_client_lawyers()))",
        ),
        "staff_writes": ("ALL", "causa_is_staff()"),
        # Signing in and setting a password touch one's own row, and only those columns
        # (the trigger below keeps the rest).
        "own_updates": ("UPDATE", "id = causa_account()"),
    },
    "auth_session": {"own": ("ALL", "causa_is_staff() OR account_id = causa_account()")},
    "refresh_token": {"own": ("ALL", f"causa_is_staff() OR session_id = ANY ({OWN_SESSIONS})")},
    "invitation": {"own": ("ALL", "causa_is_staff() OR account_id = causa_account()")},
    "outbox_message": {
        "staff": (
            "ALL",
            "causa_is_staff() "
            "AND (NOT admin_only OR current_setting('causa.role', true) = 'ADMIN')",
        )
    },
}

# Row-level security cannot compare a row with its former self: the trigger refuses an
# account's own transaction any change to who the account is and what it may do. Like
# the policies, it binds the runtime role only (not the owner, who migrates).
ACCOUNT_GUARD = """
CREATE FUNCTION causa_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF row_security_active('account') AND NOT causa_is_staff()
     AND (NEW.office_id, NEW.id, NEW.email, NEW.role, NEW.person_id,
      NEW.disabled_at) IS DISTINCT FROM (OLD.office_id, OLD.id, OLD.email, OLD.role,
      OLD.person_id, OLD.disabled_at) THEN
    RAISE EXCEPTION 'only staff change an account''s login, role, person or state'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$
"""

# Each reads as the tables' owner, whom the policies do not bind: before a viewer is
# known, a secret's digest (or a signed token's ids) is the only key to its account.
FUNCTIONS = {
    "causa_account()": """
CREATE FUNCTION causa_account() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('causa.account_id', true), '')::uuid $$
""",
    "causa_client_lawyers()": """
CREATE FUNCTION causa_client_lawyers() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT responsible_lawyer_id FROM "case"
        WHERE office_id = causa_office() AND responsible_lawyer_id IS NOT NULL
          AND id = ANY (ARRAY(SELECT causa_client_cases())) $$
""",
    "causa_login_candidates(text, text)": """
CREATE FUNCTION causa_login_candidates(in_login text, in_slug text)
  RETURNS TABLE (id uuid, office_id uuid, role varchar, password_hash varchar,
                 disabled_at timestamptz)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT a.id, a.office_id, a.role, a.password_hash, a.disabled_at
        FROM account a JOIN office o ON o.id = a.office_id
        WHERE a.email = in_login AND (in_slug IS NULL OR o.slug = in_slug) $$
""",
    "causa_session_account(uuid, uuid)": """
CREATE FUNCTION causa_session_account(in_office uuid, in_session uuid) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT account_id FROM auth_session WHERE office_id = in_office AND id = in_session $$
""",
    "causa_refresh_account(uuid, bytea)": """
CREATE FUNCTION causa_refresh_account(in_office uuid, in_digest bytea) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT s.account_id FROM refresh_token r
        JOIN auth_session s ON s.office_id = r.office_id AND s.id = r.session_id
        WHERE r.office_id = in_office AND r.token_hash = in_digest $$
""",
    "causa_invitation_account(uuid, bytea)": """
CREATE FUNCTION causa_invitation_account(in_office uuid, in_digest bytea) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT account_id FROM invitation
        WHERE office_id = in_office AND token_hash = in_digest $$
""",
    # The session check of every request: the viewer of a live session, and the
    # transaction scoped to them, in one statement.
    "causa_viewer(uuid, uuid, uuid)": """
CREATE FUNCTION causa_viewer(in_office uuid, in_session uuid, in_account uuid)
  RETURNS TABLE (email varchar, name varchar, role varchar, person_id uuid)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  live record;
BEGIN
  SELECT a.email, a.name, a.role, a.person_id INTO live
    FROM auth_session s JOIN account a ON a.office_id = s.office_id AND a.id = s.account_id
    AND s.revoked_at IS NULL AND a.disabled_at IS NULL
    WHERE s.office_id = in_office AND s.id = in_session AND a.id = in_account;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM set_config('causa.office_id', in_office::text, true),
          set_config('causa.account_id', in_account::text, true),
          set_config('causa.role', live.role, true),
          set_config('causa.person_id', coalesce(live.person_id::text, ''), true);
  RETURN QUERY SELECT live.email, live.name, live.role, live.person_id;
END $$
""",
}


def upgrade() -> None:
    op.add_column("invitation", sa.Column("message_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "invitation_office_id_message_id_fkey",
        "invitation",
        "outbox_message",
        ["office_id", "message_id"],
        ["office_id", "id"],
    )
    op.create_index("ix_invitation_message", "invitation", ["office_id", "message_id"])
    for signature, statement in FUNCTIONS.items():
        op.execute(statement)
        if signature != "causa_account()":
            op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
            op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO causa_runtime")
    op.execute(ACCOUNT_GUARD)
    op.execute(
        "CREATE TRIGGER account_guard BEFORE UPDATE ON account "
        "FOR EACH ROW EXECUTE FUNCTION causa_account_guard()"
    )
    for table, policies in POLICIES.items():
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        for name, (command, scope) in policies.items():
            op.execute(
                f'CREATE POLICY {name} ON "{table}" FOR {command} '
                f"USING (office_id = causa_office() AND ({scope}))"
            )


def downgrade() -> None:
    op.execute("DROP TRIGGER account_guard ON account")
    op.execute("DROP FUNCTION causa_account_guard()")
    for table, policies in POLICIES.items():
        for name in policies:
            op.execute(f'DROP POLICY {name} ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    for signature in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION {signature}")
    op.drop_index("ix_invitation_message", table_name="invitation")
    op.drop_constraint("invitation_office_id_message_id_fkey", "invitation", type_="foreignkey")
    op.drop_column("invitation", "message_id")
