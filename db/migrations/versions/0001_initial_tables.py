"""initial tables

Revision ID: 0001
Revises:
Create Date: 2026-11-24 05:49:52.155534
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.Column("last_folder_number", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "person",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("NATURAL", "LEGAL", name="personkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("tax_id", sa.String(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    op.create_index("ix_person_name", "person", ["office_id", "name"], unique=False)
    op.create_index(
        "uq_person_tax_id",
        "person",
        ["office_id", "tax_id"],
        unique=True,
        postgresql_where=sa.text("tax_id IS NOT NULL"),
    )
    op.create_table(
        "account",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("ADMIN", "LAWYER", "CLIENT", name="role", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "person_id"],
            ["person.office_id", "person.id"],
        ),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id", "id"),
        sa.UniqueConstraint("office_id", "email"),
    )
    op.create_table(
        "auth_session",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("user_agent", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id", "account_id"], ["account.office_id", "account.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    op.create_index(
        op.f("ix_auth_session_account_id"), "auth_session", ["account_id"], unique=False
    )
    op.create_table(
        "case",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("cnj_number", sa.String(), nullable=True),
        sa.Column("court", sa.String(), nullable=True),
        sa.Column("court_division", sa.String(), nullable=True),
        sa.Column("district", sa.String(), nullable=True),
        sa.Column("instance", sa.String(), nullable=True),
        sa.Column("case_class", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("claim_value", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "SUSPENDED",
                "CLOSED",
                "ARCHIVED",
                name="casestatus",
                native_enum=False,
                length=16,
            ),
            server_default="ACTIVE",
            nullable=False,
        ),
        sa.Column("phase", sa.String(), nullable=True),
        sa.Column("responsible_lawyer_id", sa.Uuid(), nullable=True),
        sa.Column("internal_notes", sa.String(), nullable=True),
        sa.Column(
            "loss_risk",
            sa.Enum(
                "REMOTE", "POSSIBLE", "PROBABLE", name="lossrisk", native_enum=False, length=16
            ),
            nullable=True,
        ),
        sa.Column("fee_agreement", sa.String(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "responsible_lawyer_id"],
            ["account.office_id", "account.id"],
        ),
        sa.ForeignKeyConstraint(["office_id"], ["office.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("office_id", "id"),
        sa.UniqueConstraint("office_id", "folder"),
    )
    op.create_index("ix_case_cnj_number", "case", ["office_id", "cnj_number"], unique=False)
    op.create_index(
        "ix_case_created",
        "case",
        ["office_id", sa.literal_column("created_at DESC"), "id"],
        unique=False,
    )
    op.create_table(
        "case_party",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "PLAINTIFF",
                "DEFENDANT",
                "THIRD_PARTY",
                "ASSISTANT",
                "OTHER",
                name="partyrole",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("is_client", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "case_id"], ["case.office_id", "case.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "person_id"],
            ["person.office_id", "person.id"],
        ),
        sa.PrimaryKeyConstraint("office_id", "case_id", "person_id"),
    )
    op.create_index("ix_case_party_person", "case_party", ["office_id", "person_id"], unique=False)
    op.create_table(
        "document",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("storage_key", sa.String(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column(
            "source",
            sa.Enum("COURT", "INTERNAL", name="source", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "case_id"], ["case.office_id", "case.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "uploaded_by_id"],
            ["account.office_id", "account.id"],
        ),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    op.create_index(
        "ix_document_case",
        "document",
        ["office_id", "case_id", sa.literal_column("created_at DESC"), "id"],
        unique=False,
    )
    op.create_table(
        "movement",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column(
            "source",
            sa.Enum("COURT", "INTERNAL", name="source", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "case_id"], ["case.office_id", "case.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "created_by_id"],
            ["account.office_id", "account.id"],
        ),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    op.create_index(
        "ix_movement_case",
        "movement",
        ["office_id", "case_id", sa.literal_column("occurred_at DESC"), "id"],
        unique=False,
    )
    op.create_table(
        "refresh_token",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "session_id"],
            ["auth_session.office_id", "auth_session.id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", "token_hash"),
    )
    op.create_index(
        op.f("ix_refresh_token_session_id"), "refresh_token", ["session_id"], unique=False
    )
    op.create_table(
        "task",
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "assignee_id"],
            ["account.office_id", "account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["office_id", "case_id"], ["case.office_id", "case.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("office_id", "id"),
    )
    op.create_index("ix_task_case", "task", ["office_id", "case_id"], unique=False)
    # Substring search on names and titles (ILIKE '%...%') needs trigram indexes.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_person_name_trgm ON person USING gin (name gin_trgm_ops)")
    op.execute('CREATE INDEX ix_case_title_trgm ON "case" USING gin (title gin_trgm_ops)')


def downgrade() -> None:
    op.drop_index("ix_task_case", table_name="task")
    op.drop_table("task")
    op.drop_index(op.f("ix_refresh_token_session_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index("ix_movement_case", table_name="movement")
    op.drop_table("movement")
    op.drop_index("ix_document_case", table_name="document")
    op.drop_table("document")
    op.drop_index("ix_case_party_person", table_name="case_party")
    op.drop_table("case_party")
    op.drop_index("ix_case_created", table_name="case")
    op.drop_index("ix_case_cnj_number", table_name="case")
    op.drop_table("case")
    op.drop_index(op.f("ix_auth_session_account_id"), table_name="auth_session")
    op.drop_table("auth_session")
    op.drop_table("account")
    op.drop_index(
        "uq_person_tax_id", table_name="person", postgresql_where=sa.text("tax_id IS NOT NULL")
    )
    op.drop_index("ix_person_name", table_name="person")
    op.drop_table("person")
    op.drop_table("office")
