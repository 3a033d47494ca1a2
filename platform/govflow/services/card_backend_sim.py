"""Card-issuing back end simulator: accepts or rejects a submitted application.

Exactly-once submission: a key that was accepted always gets the same acceptance, and an
application that was accepted is never accepted a second time (a new key returns the
first acceptance). A refusal is not remembered: the platform sends one key per application
and operation, and 【重新提交】 after a refusal asks again under the same key. Rejections: the first attempt
of a persona with reject_first_submit, an ssn that already has a pending application,
and random outages at `failure_rate` (rng injectable for tests).
"""
from __future__ import annotations

import itertools
import random
import threading
from typing import Callable

from .interfaces import SubmitResult

# the payload key that carries the social security number of the person applied for
SSN_KEYS = ("ssn",)


class CardBackendSimulator:
    def __init__(self, messages: dict[str, str], reject_first: set[str] | frozenset[str] = frozenset(),
                 failure_rate: float = 0.0, rng: random.Random | None = None,
                 pending_count: Callable[[str], int] | None = None,
                 on_accept: Callable[[str, str], None] | None = None,
                 reference_prefix: str = "SQ"):
        if not 0.0 <= float(failure_rate) <= 1.0:
            raise ValueError("CARD_BACKEND_FAILURE_RATE must be between 0 and 1")
        self._messages = dict(messages)
        self._reject_first = set(reject_first)
        self._failure_rate = float(failure_rate)
        self._rng = rng or random.Random()
        self._pending_count = pending_count
        self._on_accept = on_accept
        self._prefix = reference_prefix
        self._by_key: dict[str, SubmitResult] = {}
        self._accepted: dict[str, SubmitResult] = {}
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.calls = 0                  # every submit() received (for the exactly-once tests)

    def submit(self, application_id: str, payload: dict, idempotency_key: str) -> SubmitResult:
        with self._lock:
            self.calls += 1
            if idempotency_key in self._by_key:
                return self._by_key[idempotency_key]
            result = self._accepted.get(application_id) or self._decide(application_id, payload)
            if result.accepted:
                self._by_key[idempotency_key] = result
        return result

    def _decide(self, application_id: str, payload: dict) -> SubmitResult:
        ssn = _ssn(payload)
        if not application_id or ssn is None:
            return self._reject("backend.invalid_payload")
        if ssn in self._reject_first:
            self._reject_first.discard(ssn)
            return self._reject("backend.rejected")
        if self._failure_rate and self._rng.random() < self._failure_rate:
            return self._reject("backend.unavailable")
        if self._pending_count is not None and self._pending_count(ssn) > 0:
            return self._reject("backend.duplicate_application")
        reference = f"{self._prefix}{next(self._counter):010d}"
        result = SubmitResult(True, reference)
        self._accepted[application_id] = result
        if self._on_accept is not None:
            self._on_accept(ssn, reference)
        return result

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
