"""The database connection: the one place that knows SQLite's and PostgreSQL's quirks."""
from __future__ import annotations

import os
import sqlite3
import time

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///govflow.db"
IMMEDIATE = {"govflow_begin": "IMMEDIATE"}     # execution option: SQLite takes the write lock at BEGIN


def database_url(environ: dict | None = None, default: str = DEFAULT_URL) -> str:
    """The URL from DATABASE_URL (for the web layer's config), else `default`."""
    env = os.environ if environ is None else environ
    return env.get("DATABASE_URL") or default


def _wal(cur) -> None:
    """Switch a new database file to WAL. The switch needs the file to itself, and SQLite answers
    "database is locked" at once (no busy wait) when another connection is opening it at the same
    moment (several workers starting on a new file): try again for a while."""
    for attempt in range(50):
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05 + 0.01 * attempt)


def make_engine(url: str) -> Engine:
    """SQLite gets foreign keys, WAL, a busy timeout so several workers can share one file, and
    transactions begun by us (BEGIN, or BEGIN IMMEDIATE for a step's unit of work, so that two
    steps never both read and then fail to write); an in-memory SQLite database is kept on one
    connection so every session sees it."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
    if memory:
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if not memory:
            _wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")     # WAL: durable at checkpoints, never corrupt
        cur.close()
        dbapi_conn.isolation_level = None                # pysqlite must not BEGIN on its own

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        mode = conn.get_execution_options().get("govflow_begin")
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    return engine
