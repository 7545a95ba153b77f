"""the job queue (procrastinate) and the e-mails about court news

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-13 10:00:00

**The job queue.** procrastinate's own schema (its tables, types and functions, as the
pinned release ships it), so that deferred work (e-mail delivery, the news below,
purges) lives in this database and runs on any replica's worker. The runtime role and
the staff role may queue and run jobs; a client's role may not. A later procrastinate
release that changes its schema comes with a migration of ours that applies its
migration files.

**Court news.** ``court_news`` holds, for each client with portal access, the COURT
movements and documents added to their folders that they are to hear of by e-mail.
Triggers on ``movement`` and ``document`` write it, whatever adds the item (a mutation,
an import, SQL by hand): on insert, and on an update that makes an item COURT. They run
as the owner (SECURITY DEFINER) and read only the office of the rows changed. Staff read
and write their office's rows; a client's role is granted nothing on it. It moves no data
version: no read shows it.

``account.court_news_off_at`` is when a client turned those e-mails off;
``outbox_message.unsubscribe_url`` is the link sent in the e-mail's List-Unsubscribe.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNTIME, STAFF = "causa_runtime", "causa_staff"
OFFICE = "office_id = causa_office()"

# An updated row is news when it was not COURT before.
MADE_COURT = "AND NOT EXISTS (SELECT 1 FROM before b WHERE b.id = a.id AND b.source = 'COURT')"
# The clients of the rows' cases who can sign in and have not turned the e-mails off.
NEWS = """
CREATE FUNCTION causa_court_news_{item}_{event}() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
BEGIN
  INSERT INTO court_news (office_id, person_id, case_id, {item}_id)
    SELECT a.office_id, p.person_id, a.case_id, a.id
    FROM added a
    JOIN case_party p ON p.office_id = a.office_id AND p.case_id = a.case_id AND p.is_client
    JOIN account c ON c.office_id = p.office_id AND c.person_id = p.person_id
      AND c.disabled_at IS NULL AND c.password_hash IS NOT NULL AND c.court_news_off_at IS NULL
    WHERE a.source = 'COURT' {made_court};
  RETURN NULL;
END $$
"""


# procrastinate's tables and sequences, to the roles that queue and run jobs.
QUEUE_GRANTS = f"""
DO $$
DECLARE
  object record;
BEGIN
  FOR object IN SELECT relname, relkind FROM pg_class
      WHERE relname LIKE 'procrastinate\\_%' AND relkind IN ('r', 'S')
      AND relnamespace = 'public'::regnamespace LOOP
    IF object.relkind = 'r' THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO {RUNTIME}, {STAFF}',
                     object.relname);
    ELSE
      EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I TO {RUNTIME}, {STAFF}', object.relname);
    END IF;
  END LOOP;
END $$
"""  # noqa: S608  (role names, which are constants)
# procrastinate's functions and types, for a downgrade (its tables go with the types).
QUEUE_DROP = """
DO $$
DECLARE
  object record;
BEGIN
  FOR object IN SELECT oid::regprocedure AS name FROM pg_proc
      WHERE proname LIKE 'procrastinate\\_%' AND pronamespace = 'public'::regnamespace LOOP
    EXECUTE format('DROP FUNCTION %s CASCADE', object.name);
  END LOOP;
  DROP TABLE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
  FOR object IN SELECT typname AS name FROM pg_type
      WHERE typname LIKE 'procrastinate\\_%' AND typtype IN ('e', 'c')
      AND typnamespace = 'public'::regnamespace LOOP
    EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', object.name);
  END LOOP;
END $$
"""


def _procrastinate_schema() -> None:
    schema = SchemaManager.get_schema()

    async def apply(connection: Any) -> None:
        await connection.execute(schema)  # asyncpg: a script of many statements

    op.get_bind().connection.dbapi_connection.run_async(apply)  # type: ignore[union-attr]


def upgrade() -> None:
    _procrastinate_schema()
    op.execute(QUEUE_GRANTS)

    op.add_column(
        "account", sa.Column("court_news_off_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("outbox_message", sa.Column("unsubscribe_url", sa.String(), nullable=True))
    op.create_table(
        "court_news",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("movement_id", sa.Uuid(), nullable=True),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(movement_id IS NULL) <> (document_id IS NULL)", name="ck_court_news_one_item"
        ),
        *(
            sa.ForeignKeyConstraint(
                ["office_id", f"{target}_id"],
                [f"{table}.office_id", f"{table}.id"],
                ondelete="CASCADE",
            )
            for target, table in (
                ("person", "person"),
                ("case", "case"),
                ("movement", "movement"),
                ("document", "document"),
            )
        ),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    op.create_index(
        "ix_court_news_client", "court_news", ["office_id", "person_id", "case_id", "sent_at"]
    )
    op.create_index(
        "ix_court_news_due",
        "court_news",
        ["office_id"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON court_news TO {RUNTIME}, {STAFF}")
    op.execute("ALTER TABLE court_news ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY for_office ON court_news TO {RUNTIME} USING ({OFFICE} AND causa_is_staff())"
    )
    op.execute(
        f"CREATE POLICY for_staff ON court_news TO {STAFF} USING ({OFFICE} AND causa_is_staff())"
    )
    for item in ("movement", "document"):
        for event, tables, made_court in (
            ("insert", "NEW TABLE AS added", ""),
            ("update", "OLD TABLE AS before NEW TABLE AS added", MADE_COURT),
        ):
            op.execute(NEWS.format(item=item, event=event, made_court=made_court))
            op.execute(
                f"CREATE TRIGGER court_news_{event} AFTER {event.upper()} ON {item} "
                f"REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION causa_court_news_{item}_{event}()"
            )
    # Which offices have news to send, across offices: for the worker's sweep.
    op.execute(
        """
CREATE FUNCTION causa_offices_with_court_news() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT office_id FROM court_news WHERE sent_at IS NULL $$
"""
    )
    op.execute("REVOKE ALL ON FUNCTION causa_offices_with_court_news() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION causa_offices_with_court_news() TO {RUNTIME}")


def downgrade() -> None:
    op.execute("DROP FUNCTION causa_offices_with_court_news()")
    for item in ("movement", "document"):
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER court_news_{event} ON {item}")
            op.execute(f"DROP FUNCTION causa_court_news_{item}_{event}()")
    op.drop_table("court_news")
    op.drop_column("outbox_message", "unsubscribe_url")
    op.drop_column("account", "court_news_off_at")
    op.execute(QUEUE_DROP)
