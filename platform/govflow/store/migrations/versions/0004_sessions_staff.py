"""Drafts belong to the verified person; staff audit events; rate-limit counters; the demo account flagged.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

- `applications.person_key`: keyed hash (HMAC-SHA256 with the store secret) of the ID number of the
  person who passed face verification for the draft, so "继续办理" finds that person's drafts after a new
  face check, whatever browser or session they come back with. Never the ID number itself.
- `staff_events`: the staff audit trail (login, logout, reveal, export ...), without personal data.
- `throttle_events`: one row per counted attempt (failed staff logins, applications created, SMS codes
  sent) keyed by a scope and a keyed hash, so every worker shares the limits.
- `staff_users.demo`: the simulator's demo account, disabled as soon as a real account exists.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("person_key", sa.String(64), nullable=True))
        batch.create_index("ix_applications_person_key", ["person_key"])
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "staff_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("client", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_events_at", "staff_events", ["at"])
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_throttle_events_lookup", "throttle_events", ["scope", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_throttle_events_lookup", table_name="throttle_events")
    op.drop_table("throttle_events")
    op.drop_index("ix_staff_events_at", table_name="staff_events")
    op.drop_table("staff_events")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("demo")
    # not a batch (SQLite would rebuild `applications`, which other tables' foreign keys point at):
    # ALTER TABLE ... DROP COLUMN, SQLite 3.35 and later
    op.drop_index("ix_applications_person_key", table_name="applications")
    op.drop_column("applications", "person_key")
