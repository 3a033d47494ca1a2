"""办件进度 as the store keeps it: one row per accepted application (models.ProgressRow).

`start` is called inside the delivery's transaction (the application is accepted: 已提交, no
SMS sent yet); `locked` gives the row under a lock for the rest of the open transaction
(PostgreSQL: SELECT ... FOR UPDATE; SQLite: the write transaction is BEGIN IMMEDIATE, so writers
queue anyway), which is how two workers never send one SMS twice; `due` lists what the poll
round should ask about.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from .models import ProgressRow


@dataclass(frozen=True)
class Progress:
    application_id: str
    operation: str
    status: str
    notified: str | None
    report: dict
    final: bool
    accepted_at: datetime
    checked_at: datetime
    changed_at: datetime


def _record(row: ProgressRow) -> Progress:
    return Progress(row.application_id, row.operation, row.status, row.notified, dict(row.report or {}),
                    bool(row.final), row.accepted_at, row.checked_at, row.changed_at)


class ProgressStore:
    def __init__(self, store):
        self._store = store

    def start(self, application_id: str, operation: str, status: str, final: bool = False) -> None:
        """The application was accepted (in the delivery's transaction); nothing if already known."""
        now = self._store.now()
        with self._store.session() as db:
            if db.get(ProgressRow, application_id) is None:
                db.add(ProgressRow(application_id=application_id, operation=operation, status=status,
                                   notified=None, report={}, final=final, accepted_at=now, checked_at=now,
                                   changed_at=now))
                db.flush()

    def get(self, application_id: str) -> Progress | None:
        with self._store.reading() as db:
            row = db.get(ProgressRow, application_id)
            return _record(row) if row is not None else None

    def for_applications(self, application_ids: list[str]) -> dict[str, Progress]:
        if not application_ids:
            return {}
        with self._store.reading() as db:
            rows = db.scalars(select(ProgressRow).where(ProgressRow.application_id.in_(application_ids))).all()
            return {r.application_id: _record(r) for r in rows}

    def locked(self, application_id: str) -> ProgressRow | None:
        """The row itself, locked until the open transaction ends (change it in place)."""
        with self._store.session() as db:
            return db.scalars(select(ProgressRow).where(ProgressRow.application_id == application_id)
                              .with_for_update()).first()

    def due(self, every: timedelta, limit: int = 50) -> list[str]:
        """Applications not final whose status was last asked `every` ago or longer, or whose SMS is owed."""
        before = self._store.now() - every
        stmt = (select(ProgressRow.application_id)
                .where(ProgressRow.final.is_(False), ProgressRow.checked_at <= before)
                .order_by(ProgressRow.checked_at).limit(limit))
        owed = (select(ProgressRow.application_id)
                .where((ProgressRow.notified.is_(None)) | (ProgressRow.notified != ProgressRow.status)).limit(limit))
        with self._store.reading() as db:
            found = list(db.scalars(stmt)) + list(db.scalars(owed))
        return list(dict.fromkeys(found))
