"""The transactional outbox replaces the unused submission claims.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

`outbox` holds what must be handed to an outside system (store/outbox.py): one row per
application and operation (unique key). `submission_claims` was never written by any version.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("route", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_outbox_application_id", "outbox", ["application_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.drop_table("submission_claims")


def downgrade() -> None:
    op.create_table(
        "submission_claims",
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("application_id", "key"),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
    )
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_index("ix_outbox_application_id", table_name="outbox")
    op.drop_table("outbox")
