"""removals recorded for staff; an archived case closed to its clients

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 10:00:00

``removal`` records each row that staff removed (a movement, a document, a task, a case,
a person): its GraphQL type and key, a short label, the case it belonged to, who removed
it and when. Staff read and write their office's, as they do its cases (0003/0007: the
un-switched runtime role through ``reads`` and ``writes``, ``causa_staff`` through
``for_staff``); a client's role is granted nothing on it. Writing it moves the office's
data version (0007), like every table a read can show.

An archived case is put away by the office: ``causa_client_cases()`` no longer lists it,
so a client's transaction reads neither the case nor its parties, movements or documents
(the policies of 0007 all go through that function), as db/scope.py reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNTIME, STAFF = "causa_runtime", "causa_staff"
OFFICE = "office_id = causa_office()"
EVENTS = (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))

CLIENT_CASES = """
CREATE OR REPLACE FUNCTION causa_client_cases() RETURNS SETOF uuid LANGUAGE sql STABLE
  SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT p.case_id FROM case_party p
        JOIN "case" c ON c.office_id = p.office_id AND c.id = p.case_id
        WHERE p.office_id = causa_office() AND p.person_id = causa_person() AND p.is_client
          AND c.status <> 'ARCHIVED' $$
"""
CLIENT_CASES_0003 = """
CREATE OR REPLACE FUNCTION causa_client_cases() RETURNS SETOF uuid LANGUAGE sql STABLE
  SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT case_id FROM case_party
        WHERE office_id = causa_office() AND person_id = causa_person() AND is_client $$
"""


def upgrade() -> None:
    op.create_table(
        "removal",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("type_name", sa.String(length=40), nullable=False),
        sa.Column("object_key", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("removed_by_id", sa.Uuid(), nullable=False),
        sa.Column(
            "removed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["office_id", "removed_by_id"], ["account.office_id", "account.id"]
        ),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    op.create_index("ix_removal_newest", "removal", ["office_id", sa.text("removed_at DESC"), "id"])
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON removal TO {RUNTIME}, {STAFF}")
    op.execute("ALTER TABLE removal ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY reads ON removal FOR SELECT TO {RUNTIME} "
        f"USING ({OFFICE} AND causa_is_staff())"
    )
    op.execute(
        f"CREATE POLICY writes ON removal TO {RUNTIME} USING ({OFFICE} AND causa_is_staff())"
    )
    op.execute(
        f"CREATE POLICY for_staff ON removal FOR ALL TO {STAFF} "
        f"USING ({OFFICE} AND causa_is_staff())"
    )
    for event, rows in EVENTS:
        op.execute(
            f"CREATE TRIGGER data_version_{event.lower()} AFTER {event} ON removal "
            f"REFERENCING {rows} TABLE AS changed "
            "FOR EACH STATEMENT EXECUTE FUNCTION causa_bump_data_version()"
        )
    op.execute(CLIENT_CASES)


def downgrade() -> None:
    op.execute(CLIENT_CASES_0003)
    op.drop_index("ix_removal_newest", table_name="removal")
    op.drop_table("removal")
