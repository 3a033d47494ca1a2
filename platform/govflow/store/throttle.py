"""Rate limits counted in the database (every worker shares them): one row per counted attempt.

A limit is (scope, key, how many, within how long). Keys are keyed hashes (HMAC-SHA256 with the
store secret) of what is limited — a client address, an application id, an account name — so the
table holds no address or name in clear. `wait()` answers how long the caller must wait before
the next attempt is allowed (zero: go on); `hit()` counts an attempt. Rows older than a day are
deleted by `purge()`.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text

from .models import ThrottleRow
from .records import as_utc

KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    window: timedelta


def keyed(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode("utf-8"), hashlib.sha256).hexdigest()


class Throttle:
    def __init__(self, store, secret: bytes):
        self._store = store
        self._secret = bytes(secret)

    def key(self, value: str) -> str:
        return keyed(self._secret, "throttle|" + value)

    def lock(self, db, scope: str, key: str) -> None:
        """PostgreSQL: serialise the counters of one key until the transaction ends (SQLite's write
        lock already does)."""
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"throttle:{scope}:{key}"})

    def times(self, scope: str, value: str, since: datetime, db=None) -> list[datetime]:
        """When the attempts of (scope, value) since `since` were counted, newest first."""
        stmt = (select(ThrottleRow.at).where(ThrottleRow.scope == scope, ThrottleRow.key == self.key(value),
                                             ThrottleRow.at > since).order_by(ThrottleRow.at.desc()))
        if db is not None:
            return list(db.scalars(stmt))
        with self._store.reading() as session:
            return list(session.scalars(stmt))

    def wait(self, limit: Limit, value: str, now=None, db=None) -> int:
        """Seconds before one more attempt of `value` is within `limit` (0: allowed now)."""
        moment = as_utc(now or self._store.now())
        times = self.times(limit.scope, value, moment - limit.window, db)
        if len(times) < limit.count:
            return 0
        return max(1, math.ceil((times[limit.count - 1] + limit.window - moment).total_seconds()))

    def hit(self, scope: str, value: str, now=None, db=None) -> None:
        moment = as_utc(now or self._store.now())
        row = ThrottleRow(scope=scope, key=self.key(value), at=moment)
        if db is not None:
            db.add(row)
            db.flush()
            return
        with self._store.session() as session:
            session.add(row)

    def check_and_hit(self, limits: list[tuple[Limit, str]], now=None) -> int:
        """Count one attempt against every (limit, value) unless one of them is exhausted: the
        longest wait (seconds) when refused, 0 when counted. One transaction, serialised per key."""
        moment = as_utc(now or self._store.now())
        with self._store.savepoint() as db:
            for limit, value in limits:
                self.lock(db, limit.scope, self.key(value))
            longest = max((self.wait(limit, value, moment, db) for limit, value in limits), default=0)
            if longest:
                return longest
            for limit, value in limits:
                self.hit(limit.scope, value, moment, db)
        return 0

    def purge(self, now=None) -> int:
        moment = as_utc(now or self._store.now())
        with self._store.session() as db:
            return db.execute(delete(ThrottleRow).where(ThrottleRow.at < moment - KEEP)).rowcount
