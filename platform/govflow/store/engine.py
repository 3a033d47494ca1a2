"""Engine creation: one place that knows SQLite's and PostgreSQL's quirks."""
from __future__ import annotations

import os

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///govflow.db"


def database_url(environ: dict | None = None, default: str = DEFAULT_URL) -> str:
    """The URL from DATABASE_URL (for the web layer's config), else `default`."""
    env = os.environ if environ is None else environ
    return env.get("DATABASE_URL") or default


def make_engine(url: str) -> Engine:
    """SQLite gets foreign keys, WAL and a busy timeout so several workers can share one file;
    an in-memory SQLite database is kept on one connection so every session sees it."""
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
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    return engine
