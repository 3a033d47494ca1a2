"""Published definition versions, drafts of them and their history; staff roles.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

- `publications`: which definition bundle is live from when (publishing/live.py); a roll-back is a
  new row. A database that served definitions before has none: the first start publishes the
  files on disk as the seed, as it served them before.
- `definition_drafts`, `definition_draft_events`: drafts edited by staff and every step of their
  review (publishing/drafts.py).
- `rule_inputs`: the rule sets a step evaluated (fired or not) with the facts each read, sealed, one row per step,
  for replaying a draft's rules on past decisions before publishing (publishing/impact.py).
- `staff_users.roles`: editor, reviewer, publisher, auditor. Accounts made before roles existed
  become auditors (read only); `govflow staff-add USER --roles ...` gives more.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("roles", sa.JSON(), nullable=True))
    op.execute("UPDATE staff_users SET roles = '[\"auditor\"]'")
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("effective_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_publications_effective", "publications", ["effective_at", "id"])
    op.create_table(
        "definition_drafts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("base_version", sa.String(100), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=True),
        sa.Column("publish_at", sa.DateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_definition_drafts_status", "definition_drafts", ["status"])
    op.create_table(
        "definition_draft_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("draft_id", sa.Integer(), sa.ForeignKey("definition_drafts.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_definition_draft_events_draft_id", "definition_draft_events", ["draft_id"])


    op.create_table(
        "rule_inputs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(32), sa.ForeignKey("applications.id"), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("evaluations", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rule_inputs_application_id", "rule_inputs", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_rule_inputs_application_id", table_name="rule_inputs")
    op.drop_table("rule_inputs")
    op.drop_index("ix_definition_draft_events_draft_id", table_name="definition_draft_events")
    op.drop_table("definition_draft_events")
    op.drop_index("ix_definition_drafts_status", table_name="definition_drafts")
    op.drop_table("definition_drafts")
    op.drop_index("ix_publications_effective", table_name="publications")
    op.drop_table("publications")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("roles")
