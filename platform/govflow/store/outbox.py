"""The transactional outbox: what must be handed to an outside system, written in the same
transaction as the step that decided it, and delivered afterwards by whoever claims it.

One entry per application and operation: its key (`<application id>:<operation>`) is unique,
so a double click or ten concurrent 【确认提交】 can never write a second one, and the key is the
idempotency key the outside system sees on every try — also on 【重新提交】, which puts the
same entry back in the queue. Delivery is at-least-once towards the outside system (a
deliverer that dies between the call and the record is retried after its lease runs out),
and exactly-once in effect because the outside system deduplicates by the key.

Statuses: pending (due at `next_attempt_at`), delivering (claimed until `lease_until`),
delivered, rejected (the outside system said no: final, the citizen may resubmit), failed
(gave up after the last try: for staff attention).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from .models import OutboxRow
from .records import as_utc

PENDING, DELIVERING, DELIVERED, REJECTED, FAILED = "pending", "delivering", "delivered", "rejected", "failed"
OPEN = (PENDING, DELIVERING)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    application_id: str
    operation: str
    key: str
    payload: dict
    route: dict              # where the citizen goes on each outcome (pages of the flow)
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    last_error: str | None
    result: dict | None

    @property
    def open(self) -> bool:
        return self.status in OPEN


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(row.id, row.application_id, row.operation, row.key, dict(row.payload or {}),
                       dict(row.route or {}), row.status, row.attempts, row.next_attempt_at, row.lease_until,
                       row.last_error, dict(row.result) if row.result is not None else None)


class Outbox:
    def __init__(self, store):
        self._store = store

    def enqueue(self, application_id: str, operation: str, payload: dict, route: dict, now=None) -> OutboxEntry:
        """Queue the operation for the application (inside the step's transaction). An entry
        that is still open is left as it is; a finished one is queued again under its key."""
        moment = as_utc(now or self._store.now())
        key = f"{application_id}:{operation}"
        with self._store.session() as db:
            row = db.scalars(select(OutboxRow).where(OutboxRow.key == key).with_for_update()).first()
            if row is None:
                row = OutboxRow(application_id=application_id, operation=operation, key=key, payload=payload,
                                route=route, status=PENDING, attempts=0, next_attempt_at=moment,
                                created_at=moment, updated_at=moment)
                db.add(row)
            elif row.status not in OPEN:
                row.payload, row.route, row.status, row.attempts = payload, route, PENDING, 0
                row.next_attempt_at, row.lease_until, row.last_error, row.result = moment, None, None, None
                row.updated_at = moment
            db.flush()
            return _entry(row)

    def get(self, entry_id: int) -> OutboxEntry | None:
        with self._store.reading() as db:
            row = db.get(OutboxRow, entry_id)
            return _entry(row) if row is not None else None

    def for_application(self, application_id: str) -> list[OutboxEntry]:
        with self._store.reading() as db:
            rows = db.scalars(select(OutboxRow).where(OutboxRow.application_id == application_id)
                              .order_by(OutboxRow.id)).all()
            return [_entry(r) for r in rows]

    def due(self, limit: int = 20, now=None) -> list[int]:
        """Entries a deliverer may claim now: pending and due, or claimed by one whose lease ran out."""
        moment = as_utc(now or self._store.now())
        with self._store.reading() as db:
            stmt = (select(OutboxRow.id).where(self._claimable(moment))
                    .order_by(OutboxRow.next_attempt_at).limit(limit))
            return list(db.scalars(stmt))

    def claim(self, entry_id: int, lease: timedelta, now=None) -> OutboxEntry | None:
        """Take the entry for one delivery attempt (its own transaction): exactly one caller
        wins, in every worker; the others get None. The attempt is counted at the claim."""
        moment = as_utc(now or self._store.now())
        with self._store.session() as db:
            row = db.scalars(select(OutboxRow).where(OutboxRow.id == entry_id, self._claimable(moment))
                             .with_for_update(skip_locked=True)).first()
            if row is None:
                return None
            won = db.execute(update(OutboxRow)
                             .where(OutboxRow.id == entry_id, OutboxRow.attempts == row.attempts,
                                    self._claimable(moment))
                             .values(status=DELIVERING, lease_until=moment + lease, attempts=row.attempts + 1,
                                     updated_at=moment)
                             .execution_options(synchronize_session=False)).rowcount
            if won != 1:
                return None
            db.expire(row)
            return _entry(db.get_one(OutboxRow, entry_id))

    def finish(self, entry: OutboxEntry, status: str, *, result: dict | None = None, error: str | None = None,
               retry_at: datetime | None = None, now=None) -> bool:
        """Record the outcome of the attempt `entry` was claimed for (inside the transaction
        that also updates the application); False if the claim was lost meanwhile (the lease
        ran out and another deliverer took it)."""
        moment = as_utc(now or self._store.now())
        values: dict = {"status": status, "lease_until": None, "last_error": error, "updated_at": moment}
        if result is not None:
            values["result"] = result
        if retry_at is not None:
            values["next_attempt_at"] = as_utc(retry_at)
        with self._store.session() as db:
            done = db.execute(update(OutboxRow)
                              .where(OutboxRow.id == entry.id, OutboxRow.status == DELIVERING,
                                     OutboxRow.attempts == entry.attempts)
                              .values(**values).execution_options(synchronize_session=False)).rowcount
            return done == 1

    @staticmethod
    def _claimable(moment: datetime):
        return or_(and_(OutboxRow.status == PENDING, OutboxRow.next_attempt_at <= moment),
                   and_(OutboxRow.status == DELIVERING, OutboxRow.lease_until < moment))
