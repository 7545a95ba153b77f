"""row-level security: the fourth lock

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 15:20:00

Every read and write of the case data is bound to the transaction's settings
``causa.office_id``, ``causa.role`` and ``causa.person_id`` (set by Causa from the
viewer): staff read and write their office; a client reads the cases where a party
with their person carries the client tag, and of those only what came from the
court, and writes nothing. The policies bind
``causa_runtime``, the role the API works as; the owner, who migrates, is not bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Array membership over a subquery (an InitPlan, run once per statement) lets
# PostgreSQL use the indexes; `IN (subquery)` scanned every case.
CLIENT_CASES = "ARRAY(SELECT causa_client_cases())"
POLICIES = {
    "case": f"causa_is_staff() OR id = ANY ({CLIENT_CASES})",
    "case_party": f"causa_is_staff() OR case_id = ANY ({CLIENT_CASES})",
    "movement": f"causa_is_staff() OR (source = 'COURT' AND case_id = ANY ({CLIENT_CASES}))",
    "document": f"causa_is_staff() OR (source = 'COURT' AND case_id = ANY ({CLIENT_CASES}))",
    "task": "causa_is_staff()",
    "person": "causa_is_staff() OR id = ANY (ARRAY(SELECT causa_client_persons()))",
}

FUNCTIONS = [
    """
CREATE FUNCTION causa_office() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('causa.office_id', true), '')::uuid $$
""",
    """
CREATE FUNCTION causa_person() RETURNS uuid LANGUAGE sql STABLE
  AS $$ SELECT NULLIF(current_setting('causa.person_id', true), '')::uuid $$
""",
    """
CREATE FUNCTION causa_is_staff() RETURNS boolean LANGUAGE sql STABLE
  AS $$ SELECT coalesce(current_setting('causa.role', true), '') IN ('ADMIN', 'LAWYER') $$
""",
    # SECURITY DEFINER: these read case_party as its owner, whom the policies do not
    # bind, so that case_party's own policy can use them without recursing.
    """
CREATE FUNCTION causa_client_cases() RETURNS SETOF uuid LANGUAGE sql STABLE
  SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT case_id FROM case_party
        WHERE office_id = causa_office() AND person_id = causa_person() AND is_client $$
""",
    """
CREATE FUNCTION causa_client_persons() RETURNS SETOF uuid LANGUAGE sql STABLE
  SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT person_id FROM case_party
        WHERE office_id = causa_office()
          AND case_id = ANY (ARRAY(SELECT causa_client_cases())) $$
""",
]

GRANTS = [
    """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'causa_runtime') THEN
    CREATE ROLE causa_runtime NOLOGIN;
  END IF;
END $$
""",
    "GRANT USAGE ON SCHEMA public TO causa_runtime",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO causa_runtime",
    "REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM causa_runtime",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO causa_runtime",
]


def upgrade() -> None:
    for statement in [*FUNCTIONS, *GRANTS]:
        op.execute(statement)
    for table, scope in POLICIES.items():
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY reads ON "{table}" FOR SELECT '
            f"USING (office_id = causa_office() AND ({scope}))"
        )
        # A client only reads: every write is staff's, in their own office.
        op.execute(
            f'CREATE POLICY writes ON "{table}" '
            "USING (office_id = causa_office() AND causa_is_staff())"
        )


def downgrade() -> None:
    for table in POLICIES:
        op.execute(f'DROP POLICY writes ON "{table}"')
        op.execute(f'DROP POLICY reads ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM causa_runtime")
    op.execute("REVOKE USAGE ON SCHEMA public FROM causa_runtime")
    for function in (
        "causa_client_persons",
        "causa_client_cases",
        "causa_is_staff",
        "causa_person",
        "causa_office",
    ):
        op.execute(f"DROP FUNCTION {function}()")
