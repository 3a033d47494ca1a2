"""The schema's version: Alembic migrations (store/migrations/versions/), applied when a store opens.

`upgrade(engine)` brings the database to the newest revision in one transaction, taken under a
lock so that several workers starting at once migrate it once (SQLite: BEGIN IMMEDIATE;
PostgreSQL: an advisory lock; PostgreSQL's DDL is transactional, so a failed migration leaves
the database as it was). A database made before migrations existed (tables, no alembic_version)
is adopted by the baseline revision. Opening a database that is already at head costs one query.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from .database import IMMEDIATE

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
_LOCK = 0x676F76666C6F77          # "govflow": the advisory lock key of migrations
log = logging.getLogger(__name__)


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision shipped with this version of govflow."""
    found = ScriptDirectory.from_config(config()).get_current_head()
    if found is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS / 'versions'}")
    return found


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(config()).get_revision(revision) is not None
    except Exception:           # alembic.util.CommandError / ResolutionError
        return False


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to head; (revision before, revision after). None before: a new (or pre-migration) database."""
    with engine.execution_options(**IMMEDIATE).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        before = current(conn)
        if before == head():
            return before, before
        if before is not None and not _known(before):
            raise RuntimeError(f"the database is at schema revision {before}, which this version of govflow "
                               f"does not know (its newest is {head()}): it was migrated by a newer govflow")
        if before is None and inspect(conn).has_table("applications"):
            log.warning("database made before migrations: adopting it at the baseline revision %s", BASELINE)
        command.upgrade(config(conn), "head")
        after = current(conn)
    log.info("database migrated from %s to %s", before or "nothing", after)
    return before, after or head()
