"""address throttle: failed sign-ins per address in a sliding window

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00

Sign-ins per client address were counted like those per e-mail: failures in a row,
forgotten only after a day, and locking the address. Behind an office's NAT one
person's typos accumulated and locked out the whole office. ``address_throttle``
keeps, per address, counts of failures and successes that fade out over a window;
the per-e-mail rows stay in ``login_throttle``, where the address rows left behind
are no longer read and are forgotten after a day like any other.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "address_throttle",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("failures", sa.Float(), nullable=False),
        sa.Column("successes", sa.Float(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_address_throttle_counted_at"), "address_throttle", ["counted_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_address_throttle_counted_at"), table_name="address_throttle")
    op.drop_table("address_throttle")
