"""Personal data encrypted at rest: rows written in clear are sealed; SMS codes keep a blind index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The sealed columns (models.Sealed: applications.answers/context/last_outcome, web_sessions.data,
outbox.payload/result) stay JSON columns; each value becomes one JSON string, the sealed text
(store/crypto.py). Rows already there are sealed here, with the keyring of the engine that
migrates (open_store attaches it), so no plain row survives the upgrade and the reader never has
to accept plain JSON (which would let anyone with write access to the database slip unsigned
data in). `sms_codes.phone` becomes `phone_index`: the phone's blind index, computed here for the
rows kept for the rate limits. Downgrade opens the values again; SMS codes are dropped then
(a blind index cannot be turned back into a phone, and codes live minutes).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from govflow.store.crypto import TEXT_PREFIX, keyring_of

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# table -> (key column, sealed columns); a migration keeps its own copy of the names (models change)
SEALED = {
    "applications": ("id", ("answers", "context", "last_outcome")),
    "web_sessions": ("sid_hash", ("data",)),
    "outbox": ("id", ("payload", "result")),
}


def _table(name: str) -> sa.TableClause:
    key, columns = SEALED[name]
    return sa.table(name, sa.column(key), *(sa.column(c, sa.JSON(none_as_null=True)) for c in columns))


def _rewrite(change) -> None:
    """Every sealed value through `change(value, purpose)`, row by row (None stays None)."""
    conn = op.get_bind()
    for name, (key, columns) in SEALED.items():
        table = _table(name)
        for row in conn.execute(sa.select(table)).mappings().all():
            values = {c: change(row[c], f"{name}.{c}") for c in columns if row[c] is not None}
            if values:
                conn.execute(sa.update(table).where(table.c[key] == row[key]).values(values))


def upgrade() -> None:
    keyring = None

    def seal(value, purpose):
        nonlocal keyring
        if isinstance(value, str) and value.startswith(TEXT_PREFIX):
            return value                                   # sealed already
        keyring = keyring or keyring_of(op.get_bind().dialect)
        return keyring.seal_json(value, purpose)

    _rewrite(seal)

    op.drop_index("ix_sms_codes_target", table_name="sms_codes")
    op.drop_index("ix_sms_codes_phone_time", table_name="sms_codes")
    with op.batch_alter_table("sms_codes") as batch:
        batch.alter_column("phone", new_column_name="phone_index", type_=sa.String(64),
                           existing_type=sa.String(32), existing_nullable=False)
    codes = sa.table("sms_codes", sa.column("id"), sa.column("phone_index"))
    conn = op.get_bind()
    for row in conn.execute(sa.select(codes)).all():
        keyring = keyring or keyring_of(conn.dialect)
        conn.execute(sa.update(codes).where(codes.c.id == row.id)
                     .values(phone_index=keyring.blind(row.phone_index, "phone")))
    op.create_index("ix_sms_codes_target", "sms_codes", ["application_id", "phone_index", "purpose"])
    op.create_index("ix_sms_codes_phone_time", "sms_codes", ["phone_index", "created_at"])


def downgrade() -> None:
    def unseal(value, purpose):
        if not (isinstance(value, str) and value.startswith(TEXT_PREFIX)):
            return value
        return keyring_of(op.get_bind().dialect).unseal_json(value, purpose)

    _rewrite(unseal)

    op.execute("DELETE FROM sms_codes")
    op.drop_index("ix_sms_codes_target", table_name="sms_codes")
    op.drop_index("ix_sms_codes_phone_time", table_name="sms_codes")
    with op.batch_alter_table("sms_codes") as batch:
        batch.alter_column("phone_index", new_column_name="phone", type_=sa.String(32),
                           existing_type=sa.String(64), existing_nullable=False)
    op.create_index("ix_sms_codes_target", "sms_codes", ["application_id", "phone", "purpose"])
    op.create_index("ix_sms_codes_phone_time", "sms_codes", ["phone", "created_at"])
