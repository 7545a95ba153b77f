"""court movement key: importing the same court data twice adds nothing

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:05:00

A movement imported from the court (DataJud) carries ``court_key``, the SHA-256 of what
identifies it; the partial unique index lets the import insert with ON CONFLICT DO
NOTHING. Movements typed by staff have no key.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("movement", sa.Column("court_key", sa.LargeBinary(), nullable=True))
    op.create_index(
        "uq_movement_court_key",
        "movement",
        ["office_id", "case_id", "court_key"],
        unique=True,
        postgresql_where=sa.text("court_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_movement_court_key", table_name="movement")
    op.drop_column("movement", "court_key")
