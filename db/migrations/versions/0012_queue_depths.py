"""The depths of the outbox and of the job queue, across offices, for /metrics.

Revision ID: 0012
Revises: 0011

Row-level security keeps the runtime role to one office's outbox at a time; an operator's
scrape counts every office's messages by status, and nothing else, through this function.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNTIME = "causa_runtime"


def upgrade() -> None:
    op.execute(
        """
CREATE FUNCTION causa_queue_depths() RETURNS TABLE (queue text, status text, items bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
    SELECT 'outbox', status::text, count(*) FROM outbox_message GROUP BY status
    UNION ALL
    SELECT 'jobs', status::text, count(*) FROM procrastinate_jobs GROUP BY status
  $$
"""
    )
    op.execute("REVOKE ALL ON FUNCTION causa_queue_depths() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION causa_queue_depths() TO {RUNTIME}")


def downgrade() -> None:
    op.execute("DROP FUNCTION causa_queue_depths()")
