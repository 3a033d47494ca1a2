"""办件进度: how far each accepted application has got, and which status its SMS last told.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

- `application_progress`: one row per accepted application (journey/progress.py), written in the
  delivery's transaction; the outbox worker's poll round updates `status` from the connectors'
  status operation and sends the SMS while holding the row's lock (`notified`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application_progress",
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(100), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("notified", sa.String(40), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.PrimaryKeyConstraint("application_id"),
    )
    op.create_index("ix_application_progress_due", "application_progress", ["final", "checked_at"])


def downgrade() -> None:
    op.drop_index("ix_application_progress_due", table_name="application_progress")
    op.drop_table("application_progress")
