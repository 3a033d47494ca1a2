"""Baseline: the schema of govflow 0.1, as models.py and Base.metadata.create_all made it.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

A database made before migrations existed (create_all, no alembic_version table) is adopted
here: tables it already has are left as they are, tables it lacks (staff_users came later than
the others) are created, and the database is recorded at this revision.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _applications() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("flow_version", sa.String(100), nullable=False),
        sa.Column("rule_versions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("done", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("parent_id", sa.String(32), nullable=True),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("submit_attempts", sa.Integer(), nullable=False),
        sa.Column("last_outcome", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["parent_id"], ["applications.id"]),
    )
    op.create_index("ix_applications_owner", "applications", ["owner"])


def _definition_versions() -> None:
    op.create_table(
        "definition_versions",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", "version"),
    )


def _staff_users() -> None:
    op.create_table(
        "staff_users",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )


def _web_sessions() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("sid_hash", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sid_hash"),
    )
    op.create_index("ix_web_sessions_last_seen", "web_sessions", ["last_seen"])


def _decisions() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("ruleset", sa.String(100), nullable=False),
        sa.Column("ruleset_version", sa.String(100), nullable=False),
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("flow_version", sa.String(100), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
    )
    op.create_index("ix_decisions_application_id", "decisions", ["application_id"])


def _sms_codes() -> None:
    op.create_table(
        "sms_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
    )
    op.create_index("ix_sms_codes_target", "sms_codes", ["application_id", "phone", "purpose"])
    op.create_index("ix_sms_codes_phone_time", "sms_codes", ["phone", "created_at"])
    op.create_index("ix_sms_codes_created_at", "sms_codes", ["created_at"])


def _submission_claims() -> None:
    op.create_table(
        "submission_claims",
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("application_id", "key"),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
    )


def _uploads() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("application_id", sa.String(32), nullable=False),
        sa.Column("slot", sa.String(100), nullable=False),
        sa.Column("stored_name", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.UniqueConstraint("stored_name"),
    )
    op.create_index("ix_uploads_application_id", "uploads", ["application_id"])


# in the order of their foreign keys (applications first)
TABLES: dict[str, Callable[[], None]] = {
    "applications": _applications, "definition_versions": _definition_versions, "staff_users": _staff_users,
    "web_sessions": _web_sessions, "decisions": _decisions, "sms_codes": _sms_codes,
    "submission_claims": _submission_claims, "uploads": _uploads,
}


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in TABLES.items():
        if name not in present:
            create()


def downgrade() -> None:
    for name in reversed(list(TABLES)):
        op.drop_table(name)
