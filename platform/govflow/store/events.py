"""The staff audit trail: who did what, when and from where (login, logout, reveal, export ...).

Events never hold a citizen's personal data: `detail` is for codes and short reasons (a field
name, why a value was revealed), and callers must not put ID numbers, phones or names in it; as a
last guard `record` masks anything that looks like one (a run of 7 or more digits, e.g. an ID or
phone number typed into a free-text reason) before it is stored.
"""
from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from .models import StaffEventRow
from .records import as_utc

_PERSONAL = re.compile(r"\d{7,}")       # an ID, phone or card number


@dataclass(frozen=True)
class EventQuery:
    """The audit log's filters: all optional; dates are Beijing dates, both included."""
    actor: str | None = None
    action: str | None = None
    application_id: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class StaffEvent:
    at: datetime
    actor: str
    action: str
    application_id: str | None
    detail: dict | None
    client: str | None


def _masked(value):
    if isinstance(value, dict):
        return {_masked(k): _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    if isinstance(value, str):
        return _PERSONAL.sub(lambda m: "*" * len(m.group(0)), value)
    return value


class StaffEvents:
    def __init__(self, store):
        self._store = store

    def record(self, actor: str, action: str, application_id: str | None = None,
               detail: dict | None = None, client: str | None = None, now=None) -> None:
        row = StaffEventRow(at=as_utc(now or self._store.now()), actor=actor[:64], action=action[:40],
                            application_id=application_id, detail=_masked(dict(detail)) if detail else None,
                            client=(client or None) and client[:64])
        with self._store.session() as db:
            db.add(row)

    def list(self, limit: int = 100) -> list[StaffEvent]:
        """Newest first."""
        stmt = select(StaffEventRow).order_by(StaffEventRow.at.desc(), StaffEventRow.id.desc()).limit(limit)
        with self._store.reading() as db:
            return [_event(r) for r in db.scalars(stmt)]

    def find(self, query: EventQuery, offset: int = 0, limit: int = 50) -> tuple[builtins.list[StaffEvent], int]:
        """The events the query finds, newest first, from `offset`, at most `limit`; and how many in all."""
        from .dashboard import Period
        e = StaffEventRow
        where = ([e.actor == query.actor] if query.actor else []) + ([e.action == query.action] if query.action else [])
        where += [e.application_id == query.application_id] if query.application_id else []
        where += Period(query.start, query.end).where(e.at)
        stmt = select(e).where(*where).order_by(e.at.desc(), e.id.desc()).offset(offset).limit(limit)
        with self._store.snapshot(), self._store.reading() as db:
            total = db.scalar(select(func.count()).select_from(e).where(*where)) or 0
            return [_event(r) for r in db.scalars(stmt)], int(total)

    def actions(self) -> builtins.list[str]:
        """The actions recorded so far (for the filter's choices)."""
        with self._store.reading() as db:
            return sorted(db.scalars(select(StaffEventRow.action).distinct()))


def _event(r: StaffEventRow) -> StaffEvent:
    return StaffEvent(r.at, r.actor, r.action, r.application_id, r.detail, r.client)
