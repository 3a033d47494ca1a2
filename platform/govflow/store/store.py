"""The Store: one object that owns the database and hands out the repositories.

Built by open_store() at application start (never at import time); the web layer keeps one
per app. `Store.transaction()` is the unit of work of one citizen step: every repository
call made inside it (loading the draft, decision rows, upload bookkeeping, the save) joins
the same database transaction, which commits once at the end or rolls back as a whole. It
takes the write lock first (SQLite: BEGIN IMMEDIATE, waiting up to the busy timeout;
PostgreSQL: the application row is locked FOR UPDATE when loaded), so two saves of one draft
run one after the other. Outside a transaction each repository call is its own transaction;
pure reads (`reading()`) never commit.
"""
from __future__ import annotations

import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import JSON, Engine, column, select, table
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from . import schema
from .applications import ApplicationRepo
from .codes import VerificationCodes
from .crypto import KeyMissing, Keyring, Tampered, attach
from .database import IMMEDIATE, make_engine
from .decisions import DecisionLog, RuleInputs
from .events import StaffEvents
from .imaging import Limits
from .outbox import Outbox
from .progress import ProgressStore
from .publishing import Drafts, Publications
from .records import as_utc, utcnow
from .sessions import SessionStore
from .steps import CaseSteps
from .throttle import Throttle, keyed
from .uploads import UploadStore
from .versions import DefinitionArchive


def normal_name(name: str) -> str:
    """A name as searched: NFKC (full-width letters as half-width), no spaces or middle dots, lower case."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "·•・.").lower()


class _ReadSession:
    """Reads that change nothing: a Core connection, with an ORM Session on it made only when a
    repository uses ORM queries (most hot reads are prebuilt Core statements)."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._conn = None
        self._orm: Session | None = None

    def connection(self):
        if self._conn is None:
            self._conn = self._engine.connect()
        return self._conn

    def __getattr__(self, name):
        if self._orm is None:
            self._orm = Session(bind=self.connection(), expire_on_commit=False)
        return getattr(self._orm, name)

    def close(self) -> None:
        if self._orm is not None:
            self._orm.close()
        if self._conn is not None:
            self._conn.rollback()
            self._conn.close()


class _WriteSession:
    """The unit of work of one step: a Core connection in its transaction (begun with the
    engine's IMMEDIATE option: BEGIN IMMEDIATE on SQLite), and an ORM Session joined to that
    transaction made only when a repository uses the ORM (the hot statements of a step are
    prebuilt Core ones: loading and saving the application). One commit, of the connection."""

    def __init__(self, engine: Engine):
        self._conn = engine.connect()
        self._orm: Session | None = None
        try:
            self._conn.begin()
        except BaseException:
            self._conn.close()
            raise

    def connection(self):
        return self._conn

    def loaded(self, cls, key):
        """The ORM object of `cls` with primary key `key` this unit holds, or None."""
        return None if self._orm is None else self._orm.identity_map.get(self._orm.identity_key(cls, key))

    def __getattr__(self, name):
        if self._orm is None:     # joins the connection's transaction; never commits it itself
            self._orm = Session(bind=self._conn, expire_on_commit=False)
        return getattr(self._orm, name)

    def commit(self) -> None:
        if self._orm is not None:
            self._orm.flush()
        self._conn.commit()

    def close(self) -> None:
        """Ends the unit; a transaction still open (not committed) is rolled back."""
        try:
            if self._orm is not None:
                self._orm.close()
        finally:
            self._conn.close()


@dataclass
class _Unit:
    session: Session
    readonly: bool = False
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    on_rollback: list[Callable[[], None]] = field(default_factory=list)


class Store:
    def __init__(self, engine: Engine, upload_dir: Path, secret: bytes, *, keyring: Keyring,
                 upload_limits: Limits | None = None,
                 session_idle: timedelta = timedelta(minutes=15),
                 session_absolute: timedelta = timedelta(hours=4),
                 clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.keyring = keyring
        attach(engine, keyring)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._immediate = engine.execution_options(**IMMEDIATE)
        self._writers = sessionmaker(self._immediate, expire_on_commit=False)
        self._unit: ContextVar[_Unit | None] = ContextVar(f"store-unit-{id(self)}", default=None)
        self._clock = clock
        self.applications = ApplicationRepo(self)
        self.decisions = DecisionLog(self)
        self.rule_inputs = RuleInputs(self)
        self.case_steps = CaseSteps(self)
        self.uploads = UploadStore(self, Path(upload_dir), upload_limits or Limits(), keyring)
        self.codes = VerificationCodes(self, secret, keyring)
        self.sessions = SessionStore(self, idle=session_idle, absolute=session_absolute)
        self.versions = DefinitionArchive(self)
        self.publications = Publications(self)
        self.drafts = Drafts(self)
        self.outbox = Outbox(self)
        self.progress = ProgressStore(self)
        self.staff_events = StaffEvents(self)
        self.throttle = Throttle(self, secret)
        self._secret = bytes(secret)

    def person_key(self, id_number: str) -> str:
        """The keyed hash under which a verified person's drafts are found again (never the number)."""
        return keyed(self._secret, "person|" + id_number.strip().upper())

    def name_key(self, name: str) -> str:
        """The keyed hash a name is searched by (NFKC, without spaces and middle dots): never the name."""
        return keyed(self._secret, "name|" + normal_name(name))

    def search_keys(self, app) -> None:
        """Set the application's keys for the back office's search from what it holds: the
        subject's number (the verified person's is `person_key`), the verified person's name and
        the subject's. Called on every create and save (three HMACs), so they follow the context."""
        context = app.context or {}
        subject = context.get("subject")
        name = (context.get("identity") or {}).get("name")
        subject_name = (context.get("subject_person") or {}).get("name")
        app.subject_key = self.person_key(str(subject)) if subject else None
        app.name_key = self.name_key(str(name)) if name else None
        app.subject_name_key = self.name_key(str(subject_name)) if subject_name else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The unit of work of one step: every repository call inside joins it; one commit at
        the end (then the after_commit callbacks run), or one rollback on an exception."""
        outer = self._unit.get()
        if outer is not None and not outer.readonly:
            raise RuntimeError("a store transaction is already open in this context")
        db = _WriteSession(self._immediate)
        unit = _Unit(db)  # type: ignore[arg-type]
        token = self._unit.set(unit)
        try:
            yield db  # type: ignore[misc]
            db.commit()
        except BaseException:
            db.close()                  # rolled back before the undo callbacks run
            for undo in unit.on_rollback:
                undo()
            raise
        finally:
            self._unit.reset(token)
            db.close()
        for callback in unit.after_commit:
            callback()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read-only transaction for the reads of a request that changes nothing (a GET):
        every `reading()` inside joins it (one BEGIN for all of them); writes still get their
        own transaction, and a step's `transaction()` may open inside it."""
        if self._unit.get() is not None or isinstance(self.engine.pool, StaticPool):
            yield                       # (in-memory SQLite: one shared connection, no second transaction)
            return
        db = _ReadSession(self.engine)
        token = self._unit.set(_Unit(db, readonly=True))  # type: ignore[arg-type]
        try:
            yield
        finally:
            self._unit.reset(token)
            db.close()

    def _writable(self) -> _Unit | None:
        unit = self._unit.get()
        return unit if unit is not None and not unit.readonly else None

    @property
    def in_transaction(self) -> bool:
        return self._writable() is not None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The open unit of work's session, or a transaction of its own (commit on normal exit,
        rollback on exception) when none is open."""
        unit = self._writable()
        if unit is not None:
            yield unit.session
            return
        with self._writers.begin() as db:
            yield db

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """For reads: the open unit of work's session, or a read-only one that never commits."""
        unit = self._unit.get()
        if unit is not None:
            yield unit.session
            return
        db = _ReadSession(self.engine)
        try:
            yield db  # type: ignore[misc]
        finally:
            db.close()

    @contextmanager
    def savepoint(self) -> Iterator[Session]:
        """Like session(), but inside a unit of work an exception undoes only what was done in
        this block (SAVEPOINT), so the step's transaction can go on."""
        unit = self._writable()
        if unit is None:
            with self._writers.begin() as db:
                yield db
            return
        with unit.session.begin_nested():
            yield unit.session

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the open unit of work has committed (at once when none is open):
        files are deleted only when the rows that pointed at them are gone for good."""
        unit = self._writable()
        if unit is None:
            callback()
        else:
            unit.after_commit.append(callback)

    def on_rollback(self, callback: Callable[[], None]) -> None:
        """Run `callback` if the open unit of work rolls back (nothing when none is open)."""
        unit = self._writable()
        if unit is not None:
            unit.on_rollback.append(callback)

    def now(self) -> datetime:
        return as_utc(self._clock())

    def close(self) -> None:
        self.engine.dispose()


def check_keys(engine: Engine, keyring: Keyring) -> None:
    """At start-up: the newest application must open with `keyring` (KeyMissing otherwise, with
    what to do), so a lost or wrong key file stops the server at once instead of failing every page."""
    apps = table("applications", column("context", JSON), column("updated_at"))
    with engine.connect() as conn:
        sealed = conn.execute(select(apps.c.context).order_by(apps.c.updated_at.desc()).limit(1)).scalar()
    if sealed is None:
        return
    try:
        keyring.unseal(sealed, "applications.context")
    except KeyMissing as exc:
        raise KeyMissing(f"the database cannot be read with this keyring: {exc}") from None
    except Tampered:
        raise KeyMissing(f"the database cannot be read with this keyring ({keyring!r}): its newest application "
                         f"was sealed with another key of the same id; give GOVFLOW_KEY_FILE / GOVFLOW_KEYS the "
                         f"keys it was written with") from None


def open_store(url: str, upload_dir: Path, secret: bytes, *, keyring: Keyring, **options) -> Store:
    """Connect to `url` (SQLite file, in-memory SQLite or PostgreSQL), bring its schema to the
    newest migration (schema.py; rows written before encryption are sealed with `keyring` there),
    check that `keyring` opens what is stored, and create the upload folder (sealing files left
    in clear by an older version). `options` are Store's other keyword arguments."""
    engine = make_engine(url)
    attach(engine, keyring)
    try:
        schema.upgrade(engine)
        check_keys(engine, keyring)
    except BaseException:
        engine.dispose()
        raise
    Path(upload_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    store = Store(engine, Path(upload_dir), secret, keyring=keyring, **options)
    store.uploads.seal_plain_files()
    return store
