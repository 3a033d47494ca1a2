"""办件进度 and its SMS: how far an accepted application has got in the outside system.

The connectors declare it (docs/connectors.md "Status operations"): a status operation
`reports_on` the operations whose accepted applications it can answer for, names its
`statuses` (code -> Chinese title) and the SMS of each (`notify`). Here, with no procedure known:

- `accepted(app, operation)`: in the delivery's transaction the application gets a progress row
  at the first declared status (已提交) with no SMS sent yet: the SMS owed is written with the
  acceptance, and sent after the commit (`notify`) or, if that fails, by the next poll round.
- `poll()`: the outbox worker's round (every PROGRESS_POLL_SECONDS, default 60): each
  application not final whose status was last asked that long ago is asked again; a new status
  is stored and its SMS sent.
- `notify(app_id)`: the SMS of the current status if the citizen has not had it, under the
  row's lock (store/progress.py) and checked again there, so several workers never send it
  twice; the phone is the first of `notify.to` the application holds.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from ..connectors.runtime import ACCEPTED
from .submission import values_of

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 60.0


class _Blank(dict):
    def __missing__(self, key):
        return ""


class Tracker:
    def __init__(self, journey, every_seconds: float = DEFAULT_POLL_SECONDS):
        self.journey = journey
        self.every = timedelta(seconds=float(every_seconds))

    @property
    def env(self):
        return self.journey.env

    def status_operation(self, operation: str):
        return self.env.connectors.catalog.status_operation(operation) if self.env.connectors else None

    # -- in the delivery's transaction -----------------------------------------------------
    def accepted(self, app, operation: str) -> None:
        status_op = self.status_operation(operation)
        if status_op is None:
            return
        first = next(iter(status_op.statuses.values()))
        self.env.store.progress.start(app.id, status_op.name, first.code, first.final)

    # -- the poll round --------------------------------------------------------------------
    def poll(self, limit: int = 50) -> int:
        """Ask about what is due and send what is owed; how many applications were looked at."""
        store = self.env.store
        seen = 0
        for app_id in store.progress.due(self.every, limit):
            seen += 1
            try:
                known = store.progress.get(app_id)
                if known is not None and not known.final and known.checked_at <= store.now() - self.every:
                    self.refresh(app_id)
                self.notify(app_id)
            except Exception:                  # one application's trouble must not stop the round
                log.exception("progress: %s could not be brought up to date", app_id)
        return seen

    def refresh(self, app_id: str) -> str | None:
        """Ask the status operation once; the status afterwards."""
        store = self.env.store
        app, known = store.applications.get(app_id), store.progress.get(app_id)
        if app is None or known is None:
            return None
        operation = self.env.connectors.operation(known.operation)
        values = values_of(self.journey.draft(app))
        values.reference = app.reference
        request = self.env.connectors.request(operation.name, values)
        answer = self.env.connectors.call(operation.name, app.id, request, f"{app.id}:{operation.name}")
        reported = answer.response.get("status") if answer.kind == ACCEPTED else None
        with store.transaction():
            row = store.progress.locked(app_id)
            if row is None:
                return None
            row.checked_at = store.now()
            if reported in operation.statuses and reported != row.status:
                row.status = reported
                row.final = operation.statuses[reported].final
                row.report = {k: v for k, v in answer.response.items() if k != "status" and v not in (None, "")}
                row.changed_at = store.now()
            elif answer.kind != ACCEPTED:
                log.warning("progress: %s for %s: %s", operation.name, app_id, answer.code)
            return row.status

    def notify(self, app_id: str) -> bool:
        """Send the SMS of the current status, once; whether one was sent."""
        store = self.env.store
        with store.transaction():
            row = store.progress.locked(app_id)
            if row is None or row.notified == row.status:
                return False
            app = store.applications.get(app_id)
            operation = self.env.connectors.catalog.operations.get(row.operation)
            text = operation.notify_texts.get(row.status) if operation is not None else None
            phone = self._phone(app, operation) if text and app is not None else None
            if text and phone:
                words = _Blank({**self.shown(row.report), "reference": app.reference or "",
                                "title": operation.statuses[row.status].title})
                self.env.services.sms_gateway.send(phone, text.format_map(words))   # raises: rolled back
            row.notified = row.status
            return bool(text and phone)

    def shown(self, report: dict) -> dict:
        """The reported values as the citizen reads them: a branch of the directory by its name."""
        out = {}
        for name, value in (report or {}).items():
            branch = self.env.services.branches.get(str(value)) if isinstance(value, str) else None
            out[name] = branch.name if branch is not None else value
        return out

    def _phone(self, app, operation) -> str | None:
        values = values_of(self.journey.draft(app))
        for source in operation.notify_to:
            value = values.get(source)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None
