"""The back office: cases found by keyed hashes, and the path a citizen took.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

- `applications.subject_key`, `name_key`, `subject_name_key`: keyed hashes (HMAC-SHA256 with the store
  secret, like `person_key`) of the subject's number, the verified person's name and the subject's name,
  so staff find a case by them without any of them stored in clear (store/cases.py). Set on every save:
  a case saved before this revision is found by them once it is saved again (by its ID number at once,
  through `person_key`).
- `case_steps`: one row per step a citizen took (page, button, result, next page, time), for the case
  view's path.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEYS = ("subject_key", "name_key", "subject_name_key")


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for name in KEYS:
            batch.add_column(sa.Column(name, sa.String(64), nullable=True))
            batch.create_index(f"ix_applications_{name}", [name])
    op.create_index("ix_applications_created_at", "applications", ["created_at"])
    op.create_table(
        "case_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("page", sa.String(100), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("to_page", sa.String(100), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_steps_application_id", "case_steps", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_case_steps_application_id", table_name="case_steps")
    op.drop_table("case_steps")
    op.drop_index("ix_applications_created_at", table_name="applications")
    # not a batch (SQLite would rebuild `applications`, which other tables' foreign keys point at):
    # ALTER TABLE ... DROP COLUMN, SQLite 3.35 and later
    for name in KEYS:
        op.drop_index(f"ix_applications_{name}", table_name="applications")
        op.drop_column("applications", name)
