"""portal access, invitations, outbox, login throttling

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 14:20:17.459677
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at",
        sa.DateTime(timezone=True),
        server_default=sa.text("clock_timestamp()"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        op.f("ix_login_throttle_last_failure_at"), "login_throttle", ["last_failure_at"]
    )
    op.create_table(
        "outbox_message",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("admin_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("QUEUED", "SENT", "FAILED", name="outboxstatus", native_enum=False, length=16),
            server_default="QUEUED",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        _created_at(),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    op.create_index(
        "ix_outbox_message_created",
        "outbox_message",
        ["office_id", sa.literal_column("created_at DESC"), "id"],
    )
    op.create_table(
        "invitation",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["office_id", "account_id"], ["account.office_id", "account.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("office_id", "token_hash"),
    )
    op.create_index("ix_invitation_account", "invitation", ["office_id", "account_id"])
    op.add_column("account", sa.Column("granted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_account_person",
        "account",
        ["office_id", "person_id"],
        unique=True,
        postgresql_where=sa.text("person_id IS NOT NULL"),
    )
    op.create_check_constraint(
        "ck_account_client_person", "account", "(role = 'CLIENT') = (person_id IS NOT NULL)"
    )
    op.execute("UPDATE account SET email = lower(email) WHERE email <> lower(email)")
    op.create_check_constraint("ck_account_email_lower", "account", "email = lower(email)")


def downgrade() -> None:
    op.drop_constraint("ck_account_email_lower", "account", type_="check")
    op.drop_constraint("ck_account_client_person", "account", type_="check")
    op.drop_index("uq_account_person", table_name="account")
    op.drop_column("account", "granted_at")
    op.drop_index("ix_invitation_account", table_name="invitation")
    op.drop_table("invitation")
    op.drop_index("ix_outbox_message_created", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index(op.f("ix_login_throttle_last_failure_at"), table_name="login_throttle")
    op.drop_table("login_throttle")
