"""The hot statements of every request (a session by its key, an application by its id, the
application's save) prepared: on SQLite the statement is compiled once and run on the
connection's own DBAPI cursor, each parameter and column through the same bind and result
processor SQLAlchemy would apply (its type's, for the dialect: JSON, sealed JSON, UTC
datetimes). SQLAlchemy's per-statement work (cache key, execution context, result object)
costs several times the query itself there.

The statement runs inside the Connection's transaction (begun first if it is not yet, with the
engine's `begin` event: BEGIN, or BEGIN IMMEDIATE in a step), so it sees and joins exactly
what `conn.execute(stmt)` would. On other databases it is `conn.execute(stmt, params).first()`.
"""
from __future__ import annotations

from collections import namedtuple
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import Connection, Executable, Select


class PreparedRead:
    """`first(conn, params)`: the first row of `stmt` (attributes by column name), or None."""

    def __init__(self, stmt: Select):
        self.stmt = stmt
        self._plans: dict[int, tuple] = {}          # id(dialect) -> (dialect, sql, binds, processors, Row)

    def first(self, conn: Connection, params: dict[str, Any]):
        dialect = conn.dialect
        if dialect.name != "sqlite":
            return conn.execute(self.stmt, params).first()
        plan = self._plans.get(id(dialect))
        if plan is None or plan[0] is not dialect:
            plan = self._plans[id(dialect)] = self._plan(dialect)
        _, sql, binds, processors, row = plan
        with _cursor(conn, sql, binds, params) as cursor:
            raw = cursor.fetchone()
        if raw is None:
            return None
        return row._make([value if process is None else process(value)
                          for process, value in zip(processors, raw, strict=True)])

    def _plan(self, dialect) -> tuple:
        sql, binds = _compiled(self.stmt, dialect)
        columns = list(self.stmt.selected_columns)
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        return dialect, sql, binds, processors, namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]


class PreparedWrite:
    """`rowcount(conn, params)`: run the INSERT, UPDATE or DELETE `stmt`; the rows it matched."""

    def __init__(self, stmt: Executable):
        self.stmt = stmt
        self._plans: dict[int, tuple] = {}          # id(dialect) -> (dialect, sql, binds)

    def rowcount(self, conn: Connection, params: dict[str, Any]) -> int:
        dialect = conn.dialect
        if dialect.name != "sqlite":
            return conn.execute(self.stmt, params).rowcount
        plan = self._plans.get(id(dialect))
        if plan is None or plan[0] is not dialect:
            plan = self._plans[id(dialect)] = (dialect, *_compiled(self.stmt, dialect))
        with _cursor(conn, plan[1], plan[2], params) as cursor:
            return cursor.rowcount


def _compiled(stmt, dialect) -> tuple[str, list]:
    """The SQL text (positional parameters) and, in order, each parameter's name and bind processor."""
    compiled = stmt.compile(dialect=dialect)
    binds = [(name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
             for name in compiled.positiontup or []]
    return compiled.string, binds


@contextmanager
def _cursor(conn: Connection, sql: str, binds: list, params: dict[str, Any]) -> Iterator:
    """A DBAPI cursor of `conn` that has run `sql` inside the connection's transaction."""
    if not conn.in_transaction():
        conn.begin()
    cursor = conn.connection.driver_connection.cursor()   # type: ignore[union-attr]
    try:
        cursor.execute(sql, [params[name] if bind is None else bind(params[name]) for name, bind in binds])
        yield cursor
    finally:
        cursor.close()
