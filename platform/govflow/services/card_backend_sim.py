"""Card-issuing back end simulator: accepts or rejects a submitted application.

Exactly-once submission: a key that was accepted always gets the same acceptance, and an
application that was accepted is never accepted a second time (a new key returns the
first acceptance). A refusal is not remembered: the platform sends one key per application
and operation, and 【重新提交】 after a refusal asks again under the same key. Rejections: the first attempt
of a persona with reject_first_submit, an ssn that already has a pending application,
and random outages at `failure_rate` (rng injectable for tests).

What it decided is stored in the simulator database (simstate.py), one transaction per
submit: the acceptance per key (primary key), the accepted applications (unique per
application; the autoincrement id is the reference number, so two worker processes never
hand out the same one), the used-up reject_first_submit per person, and, when bound to the
registry simulator, the registry's new pending application in the same transaction.
"""
from __future__ import annotations

import random

from sqlalchemy import Connection, func, select, update

from .interfaces import SubmitResult
from .registry_sim import RegistrySimulator
from .simstate import (
    SimState,
    backend_accepted,
    backend_calls,
    backend_rejected_once,
    backend_submissions,
    insert_id,
)

# the payload key that carries the social security number of the person applied for
SSN_KEYS = ("ssn",)

_accepted = backend_accepted.c
_answers = backend_submissions.c


class CardBackendSimulator:
    def __init__(self, messages: dict[str, str], reject_first: set[str] | frozenset[str] = frozenset(),
                 failure_rate: float = 0.0, rng: random.Random | None = None,
                 registry: RegistrySimulator | None = None, reference_prefix: str = "SQ",
                 state: SimState | None = None):
        """`registry`: its pending applications refuse a second application and an acceptance
        is registered there (both in the simulator database `state`, the registry's by default)."""
        if not 0.0 <= float(failure_rate) <= 1.0:
            raise ValueError("CARD_BACKEND_FAILURE_RATE must be between 0 and 1")
        if registry is not None and state is not None and registry.state is not state:
            raise ValueError("the card back end and the registry must share one simulator database")
        self._messages = dict(messages)
        self._reject_first = frozenset(reject_first)
        self._failure_rate = float(failure_rate)
        self._rng = rng or random.Random()
        self._registry = registry
        self._prefix = reference_prefix
        self._state = state or (registry.state if registry is not None else SimState.open())
        self.calls = 0                  # every submit() this process received (for the exactly-once tests)

    def submit(self, application_id: str, payload: dict, idempotency_key: str) -> SubmitResult:
        self.calls += 1

        def answer(conn: Connection) -> SubmitResult:
            known = conn.execute(select(_answers.reference).where(_answers.idempotency_key == idempotency_key)).first()
            if known is not None:
                return SubmitResult(True, known.reference)
            result = self._accepted_in(conn, application_id) or self._decide(conn, application_id, payload)
            if result.accepted:
                conn.execute(backend_submissions.insert().values(
                    idempotency_key=idempotency_key, application_id=application_id, reference=result.reference))
            conn.execute(backend_calls.insert().values(application_id=str(application_id),
                                                       idempotency_key=str(idempotency_key), accepted=result.accepted))
            return result
        return self._state.write(answer)

    def calls_by_application(self) -> dict[str, int]:
        """How many submit() calls each application got, from every worker (for tests and bench_load)."""
        with self._state.read() as conn:
            rows = conn.execute(select(backend_calls.c.application_id, func.count())
                                .group_by(backend_calls.c.application_id)).all()
        return {app: n for app, n in rows}

    def _accepted_in(self, conn: Connection, application_id: str) -> SubmitResult | None:
        reference = conn.execute(select(_accepted.reference).where(_accepted.application_id == application_id)).first()
        return SubmitResult(True, reference[0]) if reference is not None else None

    def _decide(self, conn: Connection, application_id: str, payload: dict) -> SubmitResult:
        ssn = _ssn(payload)
        if not application_id or ssn is None:
            return self._reject("backend.invalid_payload")
        if ssn in self._reject_first and conn.execute(
                select(backend_rejected_once).where(backend_rejected_once.c.ssn == ssn)).first() is None:
            conn.execute(backend_rejected_once.insert().values(ssn=ssn))
            return self._reject("backend.rejected")
        if self._failure_rate and self._rng.random() < self._failure_rate:
            return self._reject("backend.unavailable")
        if self._registry is not None and self._registry.pending_in(conn, ssn) > 0:
            return self._reject("backend.duplicate_application")
        number = insert_id(conn, backend_accepted.insert().values(application_id=application_id))
        reference = f"{self._prefix}{number:010d}"
        conn.execute(update(backend_accepted).where(_accepted.id == number).values(reference=reference))
        if self._registry is not None:
            self._registry.register_in(conn, ssn, reference)
        return SubmitResult(True, reference)

    def _reject(self, code: str) -> SubmitResult:
        return SubmitResult(False, None, code, self._messages.get(code, code))


def _ssn(payload) -> str | None:
    if not isinstance(payload, dict):
        return None
    for key in SSN_KEYS:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().upper()
    return None
