"""The Store: one object that owns the engine and hands out the repositories.

Built by open_store() at application start (never at import time); the web
layer keeps one per app. Every repository method runs in its own transaction
through Store.session(), so each citizen step is saved atomically.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .applications import ApplicationRepo
from .codes import VerificationCodes
from .decisions import DecisionLog
from .engine import make_engine
from .imaging import Limits
from .messages import Messages
from .models import Base
from .records import as_utc, utcnow
from .sessions import SessionStore
from .submissions import SubmissionGuard
from .uploads import UploadStore
from .versions import DefinitionArchive


class Store:
    def __init__(self, engine: Engine, upload_dir: Path, secret: bytes, *,
                 upload_limits: Limits | None = None,
                 session_idle: timedelta = timedelta(minutes=30),
                 session_absolute: timedelta = timedelta(hours=12),
                 clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._clock = clock
        self.messages = Messages.load()
        self.applications = ApplicationRepo(self)
        self.decisions = DecisionLog(self)
        self.uploads = UploadStore(self, Path(upload_dir), upload_limits or Limits())
        self.codes = VerificationCodes(self, secret)
        self.sessions = SessionStore(self, idle=session_idle, absolute=session_absolute)
        self.versions = DefinitionArchive(self)
        self.submissions = SubmissionGuard(self)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commit on normal exit, rollback on exception."""
        with self._sessions.begin() as db:
            yield db

    def now(self) -> datetime:
        return as_utc(self._clock())

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, upload_dir: Path, secret: bytes, **options) -> Store:
    """Connect to `url` (SQLite file, in-memory SQLite or PostgreSQL), create missing
    tables and the upload folder. `options` are Store's keyword arguments."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    Path(upload_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    return Store(engine, Path(upload_dir), secret, **options)
