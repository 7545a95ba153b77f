"""the portal's access log

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12 10:00:00

``portal_activity`` records what a client did: signed in, listed their folders, read
one, downloaded a document (db/activity.py), with the address and user agent, as Marco
Civil da Internet art. 15 asks an application to keep for at least six months.

Row-level security: only the un-switched runtime role inserts: sign-in, acting for the
account that signs in, and the process's recorder, which writes the records of many
accounts and offices in one batch (db/activity.py). A viewer's transaction, switched to
``causa_staff`` or ``causa_client``, has no INSERT, and nobody updates or deletes a
row but the purge below. Staff read their office's rows; a client reads their own.
``causa_purge_portal_activity`` deletes what is older than the days it is given, never
fewer than 183 (six months), for every office: only the runtime role may call it.

Writes here do not move the office's data version (0007): no compiled read shows these
rows, and every client read writes one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNTIME, STAFF, CLIENT = "causa_runtime", "causa_staff", "causa_client"
OFFICE = "office_id = causa_office()"
MIN_KEEP_DAYS = 183  # settings.py refuses a shorter retention too

PURGE_SIGNATURE = "causa_purge_portal_activity(integer)"
PURGE = f"""
CREATE FUNCTION causa_purge_portal_activity(in_keep_days integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
DECLARE
  purged bigint;
BEGIN
  IF in_keep_days IS NULL OR in_keep_days < {MIN_KEEP_DAYS} THEN
    RAISE EXCEPTION 'the access log is kept at least {MIN_KEEP_DAYS} days (Marco Civil, art. 15)'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM portal_activity WHERE occurred_at < now() - make_interval(days => in_keep_days);
  GET DIAGNOSTICS purged = ROW_COUNT;
  RETURN purged;
END $$
"""  # noqa: S608  (made of constants, not of input)


def upgrade() -> None:
    op.create_table(
        "portal_activity",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    for name, column in (("person", "person_id"), ("account", "account_id")):
        op.create_index(
            f"ix_portal_activity_{name}",
            "portal_activity",
            ["office_id", column, sa.text("occurred_at DESC"), sa.text("id DESC")],
        )
    op.create_index("ix_portal_activity_occurred", "portal_activity", ["occurred_at"])

    # 0003's and 0007's default privileges gave the runtime and staff roles everything.
    op.execute(f"REVOKE ALL ON portal_activity FROM {RUNTIME}, {STAFF}, {CLIENT}")
    op.execute(f"GRANT INSERT ON portal_activity TO {RUNTIME}")
    op.execute(f"GRANT SELECT ON portal_activity TO {STAFF}, {CLIENT}")
    op.execute("ALTER TABLE portal_activity ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY records ON portal_activity FOR INSERT TO {RUNTIME} WITH CHECK (true)"
    )
    op.execute(
        f"CREATE POLICY for_staff ON portal_activity FOR SELECT TO {STAFF} "
        f"USING ({OFFICE} AND causa_is_staff())"
    )
    op.execute(
        f"CREATE POLICY for_client ON portal_activity FOR SELECT TO {CLIENT} "
        f"USING ({OFFICE} AND account_id = causa_account())"
    )
    op.execute(PURGE)
    op.execute(f"REVOKE ALL ON FUNCTION {PURGE_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {PURGE_SIGNATURE} TO {RUNTIME}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {PURGE_SIGNATURE}")
    op.drop_table("portal_activity")
