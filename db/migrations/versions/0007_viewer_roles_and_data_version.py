"""row-level security chosen by the viewer's role; a data version per office

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00

**Policies per viewer kind.** The read policies of 0003 and 0006 joined staff and client
in one expression (``causa_is_staff() OR id = ANY (…)``): with a function on one side of
the OR, PostgreSQL cannot drive an index from the other, and a client's raw SELECT read
the office's whole table. Each request's transaction now switches, in the statement that
checks its session, to one of two roles: ``causa_staff`` or ``causa_client``
(``set_config('role', …, true)``, undone at commit or rollback). Each has its own
policies, with no OR: a client's ``id = ANY (ARRAY(SELECT causa_client_cases()))`` is an
index condition. ``causa_client`` may only SELECT, and only the tables a client reads.

**A transaction that never switched** (sign-in, refresh, accepting an invitation, the
office's own work: db/accounts.py ``act_for_account``, ``act_for_office``) keeps the
policies of 0003 and 0006, now ``TO causa_runtime`` alone, so it sees what it saw.

Policies apply to a role and to every role that has its privileges. ``causa_runtime``
is a member of both new roles, so that its login may switch to them; on PostgreSQL 15
membership inherits unless the member is ``NOINHERIT``, so the new roles' policies also
apply to an un-switched transaction. That is safe: permissive policies add up with OR,
and each new policy is a part of the old one it stands beside (a staff policy keeps
``causa_is_staff()``, a client's is the old client branch), so the sum is the old
policy again; an un-switched transaction sees no more than before, inherited or not.
The other way is closed: neither new role is a member of ``causa_runtime``, so once a
transaction has switched, only the new role's policies bind it.

Creating the roles takes ``CREATEROLE``; an owner without it needs them created once by
a superuser (``CREATE ROLE causa_staff NOLOGIN ROLE causa_runtime``, and the same for
``causa_client``), and then grants them nothing but privileges.

**The data version.** ``office_data_version`` counts the office's writes: a
statement-level trigger on each table whose rows a GraphQL read can show bumps it in the
writing transaction (so it moves exactly when that commits), and the session check reads
it in the same statement that scopes the request. An answer stored with a version is
still right while the version has not moved. A table of its own, rather than a column of
``office``: the bump locks this one row until commit, and should not lock (or rewrite)
the office's row, which every write's foreign key checks. An office without a row is at
version 1. The version is the owner's: the runtime roles can neither write nor read it
but through the SECURITY DEFINER functions below.

Not counted: ``auth_session``, ``refresh_token`` and ``invitation`` (no read shows their
rows; an ended session is refused by the session check itself, before any stored
answer), the throttles (no office), and ``office_data_version`` itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNTIME, STAFF, CLIENT = "causa_runtime", "causa_staff", "causa_client"

# The policies of 0003 and 0006, now the un-switched runtime role's alone.
RUNTIME_POLICIES = {
    "case": ("reads", "writes"),
    "case_party": ("reads", "writes"),
    "movement": ("reads", "writes"),
    "document": ("reads", "writes"),
    "task": ("reads", "writes"),
    "person": ("reads", "writes"),
    "account": ("reads", "staff_writes", "own_updates"),
    "auth_session": ("own",),
    "refresh_token": ("own",),
    "invitation": ("own",),
    "outbox_message": ("staff",),
}

OFFICE = "office_id = causa_office()"
# Staff read and write their office: every table, one policy each.
STAFF_POLICIES = dict.fromkeys(RUNTIME_POLICIES, "causa_is_staff()") | {
    "outbox_message": "causa_is_staff() "
    "AND (NOT admin_only OR current_setting('causa.role', true) = 'ADMIN')",
}
# A client reads; each rule is an index condition (an array built once per statement).
CLIENT_CASES = "ARRAY(SELECT causa_client_cases())"
OWN_SESSIONS = (
    "ARRAY(SELECT id FROM auth_session "
    "WHERE office_id = causa_office() AND account_id = causa_account())"
)
CLIENT_POLICIES = {
    "case": f"id = ANY ({CLIENT_CASES})",
    "case_party": f"case_id = ANY ({CLIENT_CASES})",
    "movement": f"source = 'COURT' AND case_id = ANY ({CLIENT_CASES})",
    "document": f"source = 'COURT' AND case_id = ANY ({CLIENT_CASES})",
    "person": "id = ANY (ARRAY(SELECT causa_client_persons()))",
    # their own account, and the lawyers responsible for their folders
    "account": "id = ANY (array_append(ARRAY(SELECT causa_client_lawyers()), causa_account()))",
    "auth_session": "account_id = causa_account()",
    "refresh_token": f"session_id = ANY ({OWN_SESSIONS})",
    "invitation": "account_id = causa_account()",
}
# What a client's transaction may SELECT: its policies' tables, those it must find
# empty (task, outbox_message: no policy, so no row), and the office.
CLIENT_TABLES = (*CLIENT_POLICIES, "task", "outbox_message", "office")
CLIENT_FUNCTIONS = ("causa_client_cases()", "causa_client_persons()", "causa_client_lawyers()")
RUNTIME_FUNCTIONS = (
    "causa_client_lawyers()",
    "causa_login_candidates(text, text)",
    "causa_session_account(uuid, uuid)",
    "causa_refresh_account(uuid, bytea)",
    "causa_invitation_account(uuid, bytea)",
    "causa_viewer(uuid, uuid, uuid)",
)

ROLES = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{STAFF}') THEN
    CREATE ROLE {STAFF} NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{CLIENT}') THEN
    CREATE ROLE {CLIENT} NOLOGIN;
  END IF;
  IF NOT pg_has_role('{RUNTIME}', '{STAFF}', 'MEMBER') THEN
    GRANT {STAFF} TO {RUNTIME};
  END IF;
  IF NOT pg_has_role('{RUNTIME}', '{CLIENT}', 'MEMBER') THEN
    GRANT {CLIENT} TO {RUNTIME};
  END IF;
END $$
"""  # noqa: S608  (made of constants, not of input)

# Tables whose rows a GraphQL read can show: each write to them moves the version.
VERSIONED = (
    "person",
    "case",
    "case_party",
    "movement",
    "document",
    "task",
    "account",
    "outbox_message",
)
# (event, transition table): a trigger with a transition table takes one event.
EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))

BUMP = """
CREATE FUNCTION causa_bump_data_version() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
BEGIN
  -- in a fixed order, so that two statements over the same offices cannot deadlock
  INSERT INTO office_data_version AS v (office_id, version)
    SELECT DISTINCT office_id, 2 FROM changed ORDER BY office_id
    ON CONFLICT (office_id) DO UPDATE SET version = v.version + 1;
  RETURN NULL;
END $$
"""

# The session check of every request: the viewer of a live session, the transaction
# scoped to them, and the office's data version, in one statement.
VIEWER = """
CREATE FUNCTION causa_viewer(in_office uuid, in_session uuid, in_account uuid)
  RETURNS TABLE (email varchar, name varchar, role varchar, person_id uuid,
                 data_version bigint)
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
  RETURN QUERY SELECT live.email, live.name, live.role, live.person_id,
    coalesce((SELECT v.version FROM office_data_version v WHERE v.office_id = in_office), 1);
END $$
"""

# 0006's, restored by the downgrade.
VIEWER_0006 = """
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
"""

VIEWER_SIGNATURE = "causa_viewer(uuid, uuid, uuid)"


def _replace_viewer(definition: str) -> None:
    op.execute(f"DROP FUNCTION {VIEWER_SIGNATURE}")
    op.execute(definition)
    op.execute(f"REVOKE ALL ON FUNCTION {VIEWER_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {VIEWER_SIGNATURE} TO {RUNTIME}")


def upgrade() -> None:
    op.create_table(
        "office_data_version",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id"),
    )
    # 0003's default privileges gave it to the runtime role: it is the owner's alone.
    op.execute(f"REVOKE ALL ON office_data_version FROM {RUNTIME}")
    op.execute("INSERT INTO office_data_version (office_id, version) SELECT id, 1 FROM office")
    op.execute(BUMP)
    op.execute("REVOKE ALL ON FUNCTION causa_bump_data_version() FROM PUBLIC")
    for table in VERSIONED:
        for event, rows in EVENTS:
            op.execute(
                f'CREATE TRIGGER data_version_{event.lower()} AFTER {event} ON "{table}" '
                f"REFERENCING {rows} TABLE AS changed "
                "FOR EACH STATEMENT EXECUTE FUNCTION causa_bump_data_version()"
            )
    _replace_viewer(VIEWER)

    op.execute(ROLES)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {STAFF}, {CLIENT}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {STAFF}")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {STAFF}")
    op.execute(f"REVOKE ALL ON office_data_version FROM {STAFF}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {STAFF}"
    )
    for function in RUNTIME_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {STAFF}")
    for table in CLIENT_TABLES:
        op.execute(f'GRANT SELECT ON "{table}" TO {CLIENT}')
    for function in CLIENT_FUNCTIONS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {CLIENT}")

    for table, names in RUNTIME_POLICIES.items():
        for name in names:
            op.execute(f'ALTER POLICY {name} ON "{table}" TO {RUNTIME}')
    for table, scope in STAFF_POLICIES.items():
        op.execute(
            f'CREATE POLICY for_staff ON "{table}" FOR ALL TO {STAFF} USING ({OFFICE} AND {scope})'
        )
    for table, scope in CLIENT_POLICIES.items():
        op.execute(
            f'CREATE POLICY for_client ON "{table}" FOR SELECT TO {CLIENT} '
            f"USING ({OFFICE} AND {scope})"
        )


def downgrade() -> None:
    for table in CLIENT_POLICIES:
        op.execute(f'DROP POLICY for_client ON "{table}"')
    for table in STAFF_POLICIES:
        op.execute(f'DROP POLICY for_staff ON "{table}"')
    for table, names in RUNTIME_POLICIES.items():
        for name in names:
            op.execute(f'ALTER POLICY {name} ON "{table}" TO PUBLIC')

    # The roles may serve other databases of the server: they stay, granted nothing here.
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {STAFF}"
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {STAFF}, {CLIENT}")
    op.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {STAFF}, {CLIENT}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {STAFF}, {CLIENT}")

    _replace_viewer(VIEWER_0006)
    for table in VERSIONED:
        for event, _ in EVENTS:
            op.execute(f'DROP TRIGGER data_version_{event.lower()} ON "{table}"')
    op.execute("DROP FUNCTION causa_bump_data_version()")
    op.drop_table("office_data_version")
