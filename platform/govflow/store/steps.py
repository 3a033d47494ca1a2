"""The path a citizen took through an application: one row per step (store/models.py CaseStepRow).

Append-only, written on the step's own unit of work (one Core insert), read by the back office's
case view in time order.
"""
from __future__ import annotations

from sqlalchemy import insert, select

from .models import CaseStepRow
from .records import CaseStep

_INSERT = insert(CaseStepRow.__table__)     # type: ignore[arg-type]


class CaseSteps:
    def __init__(self, store):
        self._store = store

    def record(self, application_id: str, page: str, action: str, status: str, to_page: str | None) -> None:
        row = {"application_id": application_id, "page": page[:100], "action": action[:100],
               "status": status[:20], "to_page": to_page[:100] if to_page else None, "at": self._store.now()}
        with self._store.session() as db:
            db.connection().execute(_INSERT, row)

    def for_application(self, app_id: str) -> list[CaseStep]:
        """In time order (ties in insertion order)."""
        stmt = (select(CaseStepRow).where(CaseStepRow.application_id == app_id)
                .order_by(CaseStepRow.at, CaseStepRow.id))
        with self._store.reading() as db:
            return [CaseStep(r.at, r.page, r.action, r.status, r.to_page) for r in db.scalars(stmt)]
