"""Server-side web sessions: the cookie carries only a random id.

The table is keyed by the SHA-256 of that id, so a copy of the database does
not hand out live sessions. A session ends when idle longer than `idle`
(default 15 min, SESSION_IDLE_MINUTES) or older than `absolute` (default 4 h,
SESSION_ABSOLUTE_MINUTES); every get() that
finds it alive extends the idle window (written at most once a minute). The web layer adapts this class to
Flask's session interface.
"""
from __future__ import annotations

import copy
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete, or_, select, update

from .models import SessionRow
from .prepared import PreparedRead
from .records import as_utc

_LOAD = PreparedRead(select(SessionRow.__table__.c.data, SessionRow.__table__.c.created_at,
                            SessionRow.__table__.c.last_seen)
                     .where(SessionRow.__table__.c.sid_hash == bindparam("key")))


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


class SessionStore:
    def __init__(self, store, idle: timedelta = timedelta(minutes=15),
                 absolute: timedelta = timedelta(hours=4)):
        self._store = store
        self.idle = idle
        self.absolute = absolute
        self.touch = min(timedelta(minutes=1), idle / 10)

    def create(self, data: dict, now=None, began=None) -> str:
        """A new session; `began` (default now) is when the absolute limit is counted from."""
        sid = secrets.token_urlsafe(32)
        moment = as_utc(now or self._store.now())
        with self._store.session() as db:
            db.add(SessionRow(sid_hash=_key(sid), data=copy.deepcopy(data),
                              created_at=as_utc(began) if began else moment, last_seen=moment))
        return sid

    def get(self, sid: str | None, now=None) -> dict | None:
        """The session's data, or None if unknown or expired (an expired one is deleted).
        Finding it alive extends the idle window; the row is only written for that when the
        last extension is older than `touch` (so most requests do not write the session)."""
        found = self.get_with_expiry(sid, now)
        return found[0] if found else None

    def get_with_expiry(self, sid: str | None, now=None) -> tuple[dict, int] | None:
        """Like get(), with the seconds left before the session ends unless used again (the
        idle window, or less when the absolute limit comes first): the page's expiry warning."""
        if not sid:
            return None
        moment = as_utc(now or self._store.now())
        with self._store.reading() as db:
            row = _LOAD.first(db.connection(), {"key": _key(sid)})
            if row is None:
                return None
            expired = self._expired(row, moment)
            stale = moment - row.last_seen > self.touch
            data = row.data                    # freshly decoded JSON: nobody else holds it
        if expired:
            self.delete(sid)
            return None
        if stale:
            with self._store.session() as db:
                db.execute(update(SessionRow).where(SessionRow.sid_hash == _key(sid)).values(last_seen=moment))
        left = min(self.idle, row.created_at + self.absolute - moment)
        return data, max(0, int(left.total_seconds()))

    def save(self, sid: str, data: dict, now=None) -> bool:
        """Replace the data; False if the session no longer exists."""
        moment = as_utc(now or self._store.now())
        stmt = (update(SessionRow).where(SessionRow.sid_hash == _key(sid))
                .values(data=copy.deepcopy(data), last_seen=moment))
        with self._store.session() as db:
            return db.execute(stmt).rowcount == 1

    def rotate(self, sid: str, data: dict | None = None, now=None) -> str | None:
        """A new id for the same session (on sign-in and verification, against session fixation):
        the old id is deleted; `data` replaces the data; the absolute limit still counts from
        when the session began. None if the session no longer exists."""
        with self._store.session() as db:
            row = db.get(SessionRow, _key(sid))
            if row is None:
                return None
            began, kept = row.created_at, row.data
            db.delete(row)
        return self.create(kept if data is None else data, now, began=began)

    def delete(self, sid: str) -> None:
        with self._store.session() as db:
            db.execute(delete(SessionRow).where(SessionRow.sid_hash == _key(sid)))

    def purge_expired(self, now=None) -> int:
        moment = as_utc(now or self._store.now())
        stmt = delete(SessionRow).where(or_(SessionRow.last_seen < moment - self.idle,
                                            SessionRow.created_at < moment - self.absolute))
        with self._store.session() as db:
            return db.execute(stmt).rowcount

    def _expired(self, row, moment) -> bool:
        return moment - row.last_seen > self.idle or moment - row.created_at > self.absolute
