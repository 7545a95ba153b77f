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

Both tables count the attempts still being checked (``pending``) apart from the
failures, so that right passwords arriving together are not refused as failures;
``pending_since`` lets a reservation left by a process that died stop counting.
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
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_address_throttle_counted_at"), "address_throttle", ["counted_at"])
    op.add_column(
        "login_throttle",
        sa.Column("pending", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.alter_column("login_throttle", "pending", server_default=None)
    op.add_column(
        "login_throttle", sa.Column("pending_since", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("login_throttle", "pending_since")
    op.drop_column("login_throttle", "pending")
    op.drop_index(op.f("ix_address_throttle_counted_at"), table_name="address_throttle")
    op.drop_table("address_throttle")
