"""Alembic's environment: the store's tables (models.Base) on the connection govflow hands over.

govflow.store.schema passes its own connection, inside a transaction it has begun and locked, in
`config.attributes["connection"]`. Run by the alembic command itself (developers making a new
revision, see alembic.ini here), it connects to `sqlalchemy.url` or DATABASE_URL, with the keyring
the server would use (store/crypto.py load_keyring: migration 0003 seals rows with it).
"""
from __future__ import annotations

import os
from pathlib import Path

from alembic import context

from govflow.store.crypto import attach, load_keyring
from govflow.store.database import database_url, make_engine
from govflow.store.models import Base, Sealed, UTCDateTime


def _render_item(kind, obj, autogen_context):
    """Autogenerate writes UTCDateTime as the plain DateTime it stores (a migration must not
    import the models, which change after it)."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if kind == "type" and isinstance(obj, Sealed):
        return "sa.JSON()"
    return False


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True,
                      render_as_batch=True,       # SQLite alters tables by copying them
                      render_item=_render_item)
    with context.begin_transaction():           # joins govflow's transaction when there is one
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or database_url())
    attach(engine, load_keyring(var=Path(os.environ.get("GOVFLOW_VAR") or Path(__file__).parents[4] / "var")))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()
