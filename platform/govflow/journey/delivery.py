"""Delivering the outbox: one attempt at a time, each claimed by exactly one deliverer.

`Deliverer.deliver(entry_id)` claims the entry (its own short transaction), calls the outside
system with no database lock held, then records the answer on the entry and on the
application in one transaction: accepted (提交成功 with the reference), rejected (提交失败 with
the reason and 【重新提交】), or, when the outside system could not answer, another try after
an exponentially growing delay with jitter — until the last try, after which the entry is
`failed` for staff attention and the citizen sees 提交失败.

The web process delivers a new entry at once after the submitting step has committed (so the
citizen usually sees the outcome straight away); `govflow outbox-worker` (`run_due` in a
loop) retries what is due, also entries whose deliverer died (their lease runs out).
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

from ..connectors.runtime import LookupFailed
from ..store.outbox import DELIVERED, FAILED, PENDING, REJECTED, OutboxEntry
from ..store.retention import purge
from . import identity
from .progress import DEFAULT_POLL_SECONDS, Tracker
from .submission import ACCEPTED, REFUSED, RETRY, Outcome, deliver

log = logging.getLogger(__name__)


@dataclass
class RetryPolicy:
    max_tries: int = 5
    base_seconds: float = 2.0         # the delay after the first failed try (before jitter)
    cap_seconds: float = 300.0
    lease_seconds: float = 60.0       # a deliverer that has not answered by then is presumed dead
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempts: int) -> timedelta:
        """Exponential backoff with "equal jitter": half the step fixed, half random, so
        retries of many entries spread out and each delay is at least the previous one."""
        step = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=step / 2 + self.rng.uniform(0, step / 2))

    @classmethod
    def from_config(cls, config: dict) -> "RetryPolicy":
        return cls(max_tries=int(config.get("OUTBOX_MAX_TRIES", 5)),
                   base_seconds=float(config.get("OUTBOX_RETRY_BASE_SECONDS", 2.0)),
                   cap_seconds=float(config.get("OUTBOX_RETRY_CAP_SECONDS", 300.0)),
                   lease_seconds=float(config.get("OUTBOX_LEASE_SECONDS", 60.0)))


class Deliverer:
    def __init__(self, journey, policy: RetryPolicy | None = None, progress_seconds: float = DEFAULT_POLL_SECONDS):
        self.journey = journey
        self.policy = policy or RetryPolicy()
        self.progress = Tracker(journey, progress_seconds)    # 办件进度 and its SMS (progress.py)

    def deliver(self, entry_id: int) -> OutboxEntry | None:
        """One attempt at the entry, if this deliverer wins the claim; the entry afterwards."""
        store = self.journey.env.store
        entry = store.outbox.claim(entry_id, timedelta(seconds=self.policy.lease_seconds))
        if entry is None:
            return None
        outcome = self._call(entry)
        with store.transaction():
            app = store.applications.get(entry.application_id, lock=True)
            status, retry_at = self._status(entry, outcome)
            if not store.outbox.finish(entry, status, result=outcome.detail, error=outcome.detail.get("reason_code"),
                                       retry_at=retry_at):
                return store.outbox.get(entry_id)        # the lease ran out: another deliverer owns it now
            if app is not None:
                self._record(app, entry, outcome, status)
        if status == DELIVERED:
            self._notify(entry.application_id)
        return store.outbox.get(entry_id)

    def _notify(self, app_id: str) -> None:
        """The SMS of acceptance, after the commit (the poll round sends it if this fails)."""
        try:
            self.progress.notify(app_id)
        except Exception:
            log.exception("progress: the SMS for %s could not be sent now; the poll round tries again", app_id)

    def run_due(self, limit: int = 20) -> int:
        """Deliver what is due now (the outbox worker calls this in a loop); how many were tried."""
        tried = 0
        for entry_id in self.journey.env.store.outbox.due(limit):
            if self.deliver(entry_id) is not None:
                tried += 1
        return tried

    def work(self, poll_seconds: float = 1.0, stop=lambda: False) -> None:
        """The outbox worker's loop: deliver what is due, sleep when nothing is; every
        `retention.every_seconds` also delete what is past its retention period (store/retention.py)."""
        next_purge = next_poll = time.monotonic()
        while not stop():
            if time.monotonic() >= next_purge:
                next_purge = time.monotonic() + self.journey.retention.every_seconds
                self.purge()
            if time.monotonic() >= next_poll:       # 办件进度: ask the outside systems, send the SMS owed
                next_poll = time.monotonic() + self.progress.every.total_seconds()
                self.poll_progress()
            try:
                busy = self.run_due()
            except Exception:                      # a database hiccup must not end the worker
                log.exception("outbox: delivery round failed; trying again")
                busy = 0
            if not busy:
                time.sleep(poll_seconds)

    def poll_progress(self) -> int:
        try:
            return self.progress.poll()
        except Exception:                          # a database hiccup: the next round tries again
            log.exception("progress: poll round failed; trying again later")
            return 0

    def purge(self) -> dict[str, int] | None:
        try:
            counts = purge(self.journey.env.store, self.journey.retention)
        except Exception:                          # next round tries again
            log.exception("retention: purge failed; trying again later")
            return None
        if any(counts.values()):
            log.info("retention: deleted %s", ", ".join(f"{n} {what}" for what, n in counts.items() if n))
        return counts

    # -- one attempt ---------------------------------------------------------------------
    def _call(self, entry: OutboxEntry) -> Outcome:
        try:
            return deliver(self.journey.env, entry)
        except Exception as exc:                   # an adapter's bug or a network error: try again later
            log.exception("outbox: %s for %s raised", entry.operation, entry.application_id)
            return Outcome(RETRY, {"reason_code": "outbox.delivery_error", "reason": type(exc).__name__})

    def _status(self, entry: OutboxEntry, outcome: Outcome):
        if outcome.kind == ACCEPTED:
            return DELIVERED, None
        if outcome.kind == RETRY and entry.attempts < self.policy.max_tries:
            return PENDING, self.journey.env.store.now() + self.policy.delay(entry.attempts)
        return (REJECTED if outcome.kind == REFUSED else FAILED), None

    def _record(self, app, entry: OutboxEntry, outcome: Outcome, status: str) -> None:
        """The application learns the answer (and the audit trail every attempt)."""
        draft = self.journey.draft(app)
        env = draft.env
        env.store.decisions.record(application_id=app.id, ruleset=f"submit:{entry.operation}", ruleset_version="-",
                                   flow_id=draft.flow.id, flow_version=draft.flow.version, rule_ids=[],
                                   outcome={"attempt": entry.attempts, "status": status, **outcome.detail}, facts={})
        if status == PENDING:
            return                                     # still 正在办理: the next try is scheduled
        if app.status != "processing":
            log.warning("outbox: %s answered for %s in status %s", entry.key, app.id, app.status)
        if status == DELIVERED:
            app.status = "submitted"
            app.reference = outcome.detail.get("reference")
            app.last_outcome = {"accepted": True, **outcome.detail, "attempts": entry.attempts}
            draft.mark_done(entry.route.get("from", draft.current))
            self.progress.accepted(app, entry.operation)     # 已提交, its SMS owed (sent after the commit)
            try:
                identity.refresh_subject(env, draft)
            except LookupFailed:                   # the next step asks again
                log.warning("outbox: the look-ups after %s could not be answered", entry.key)
            draft.move_to(entry.route.get("accepted", draft.current))
        else:
            app.status = "draft"
            app.last_outcome = {"accepted": False, **outcome.detail, "attempts": entry.attempts,
                                "gave_up": status == FAILED}
            draft.move_to(entry.route.get("rejected", draft.current))
        draft.changed()
        draft.journey.save(draft)
