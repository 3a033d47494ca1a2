"""Where the simulated outside systems keep what changes: a database of their own.

The simulators stand in for other systems, so their state is not part of govflow's schema:
these are throwaway tables (own MetaData, created with create_all at start, no migrations) in
a separate database, `SIMULATOR_DATABASE_URL` (by default a SQLite file next to the main
database, see `url_beside`). Separate because a simulator is called from inside a citizen's
step, which holds SQLite's write lock on the main database; a write to the same file from a
second connection would wait for it.

Every worker process that opens the same URL sees the same simulated world, and a restart
keeps it. Each simulator call is one short transaction: `read()` (a plain BEGIN, never
commits) or `write()` (SQLite: BEGIN IMMEDIATE, so concurrent writers queue on the busy
timeout instead of failing on a lock upgrade). Counters come from autoincrement ids and
"at most once" from primary keys, so two processes never hand out one reference twice; a
write that loses a race on a key (PostgreSQL) is retried and then sees the winner's row.
`reset()` empties every table (`govflow sim-reset`).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Callable, ContextManager, Iterator, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    make_url,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from ..store.database import IMMEDIATE, make_engine

T = TypeVar("T")

MEMORY_URL = "sqlite://"
WRITE_ATTEMPTS = 3

metadata = MetaData()

face_checks = Table(                                 # (a new name when `ticket` came: no migrations here)
    "sim_face_handoffs", metadata,
    Column("token", String(64), primary_key=True),     # the platform's, never in a URL
    Column("ticket", String(64), nullable=False, unique=True),   # names the simulator's page
    Column("role", String(64), nullable=False),
    Column("return_to", Text, nullable=False),
    Column("started", Float, nullable=False),          # epoch seconds (time.time: the same in every process)
    Column("status", String(16), nullable=False),      # pending | passed | failed
    Column("person_id", String(64)),
)

sms_outbox = Table(
    "sim_sms_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sent_at", Float, nullable=False),
    Column("phone", String(32), nullable=False),
    Column("text", Text, nullable=False),
    sqlite_autoincrement=True,
)

# the generic simulator of the connector declarations (connectors/simulator.py): only the changes;
# the base data are the demo personas' blocks (a persona's `<world>:` is that system's record)
world_records = Table(                               # copy-on-write: the whole changed record
    "sim_world_records", metadata,
    Column("world", String(64), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("record", Text, nullable=False),            # JSON
)

operation_answers = Table(                           # accepted keys only: a refusal is asked again
    "sim_operation_answers", metadata,
    Column("idempotency_key", String(255), primary_key=True),
    Column("operation", String(128), nullable=False),
    Column("application_id", String(128), nullable=False),
    Column("response", Text, nullable=False),          # JSON
)

operation_accepted = Table(                          # `once_per_application`: the first acceptance
    "sim_operation_accepted", metadata,
    Column("operation", String(128), primary_key=True),
    Column("application_id", String(128), primary_key=True),
    Column("response", Text, nullable=False),          # JSON
)

reference_numbers = Table(                           # one counter per prefix; the primary key makes two
    "sim_reference_numbers", metadata,               # workers never hand out one number (the loser retries)
    Column("prefix", String(32), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
)

refused_once = Table(                                # `refuse_first` used up for this operation and record
    "sim_refused_once", metadata,
    Column("operation", String(128), primary_key=True),
    Column("key", String(128), primary_key=True),
)

progress_started = Table(                            # a status operation's `progress:`: when the simulated
    "sim_progress_started", metadata,                # system first heard of the reference (the clock starts)
    Column("operation", String(128), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("started", Float, nullable=False),          # epoch seconds (SIMULATOR_CLOCK)
)

operation_calls = Table(                             # every call received, by any worker (the proof of
    "sim_operation_calls", metadata,                 # exactly-once delivery in tests and bench_load)
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("operation", String(128), nullable=False),
    Column("application_id", String(128), nullable=False, index=True),
    Column("idempotency_key", String(255), nullable=False),
    Column("accepted", Boolean, nullable=False),
    sqlite_autoincrement=True,
)


def insert_id(conn: Connection, statement: Insert) -> int:
    """Run an INSERT of one row and return its autoincrement id."""
    key = conn.execute(statement).inserted_primary_key
    if key is None or key[0] is None:
        raise RuntimeError("the database gave no id for the new row")
    return int(key[0])


def url_beside(database_url: str, fallback_dir: Path) -> str:
    """The default SIMULATOR_DATABASE_URL: `<name>-simulators.db` next to a SQLite main database
    (in memory when it is in memory), else `fallback_dir/simulators.db` (e.g. PostgreSQL)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or "mode=memory" in str(url):
            return MEMORY_URL
        path = Path(database)
        return f"sqlite:///{path.with_name(f'{path.stem}-simulators.db')}"
    return f"sqlite:///{Path(fallback_dir) / 'simulators.db'}"


class SimState:
    """The simulators' database: an engine and short transactions on it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._writer = engine.execution_options(**IMMEDIATE)
        # in-memory SQLite is one shared connection: transactions of two threads must not interleave
        self._shared = threading.Lock() if isinstance(engine.pool, StaticPool) else None
        with self._lock(), self._writer.begin() as conn:     # one process creates, the others wait and see
            metadata.create_all(conn)

    def _lock(self) -> ContextManager:
        return self._shared if self._shared is not None else nullcontext()

    @classmethod
    def open(cls, url: str = MEMORY_URL) -> SimState:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                and "mode=memory" not in url:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return cls(make_engine(url))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (rolled back at the end)."""
        with self._lock(), self.engine.connect() as conn:
            yield conn

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run `work(conn)` in one write transaction and commit. An exception rolls it back; a
        unique-key race lost to another process is run again (it then sees the other's row)."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self._lock(), self._writer.begin() as conn:
                    return work(conn)
            except IntegrityError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def reset(self) -> None:
        """Forget every change: the simulated world as the demo data describe it."""
        def empty(conn: Connection) -> None:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        self.write(empty)

    def close(self) -> None:
        self.engine.dispose()
