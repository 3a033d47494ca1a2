"""Face verification simulator (渠道人脸核验) as a hand-off.

The real service sends the browser to the channel's face page and back. The simulator
page (`/sim/face/<token>`, served by govflow.web) lets a developer pick a persona and
pass or fail; the platform then reads and consumes the result once. Tokens expire after
ttl seconds (10 minutes by default) and are single use.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from .interfaces import FaceResult, Handoff, ServiceError

URL_PREFIX = "/sim/face/"


@dataclass
class _Check:
    role: str
    return_to: str
    started: float
    status: str = "pending"
    person_id: str | None = None


class FaceSimulator:
    def __init__(self, known_people: Iterable[str], ttl_seconds: float = 600,
                 clock: Callable[[], float] = time.monotonic):
        self._people = frozenset(known_people)
        self._ttl = ttl_seconds
        self._clock = clock
        self._checks: dict[str, _Check] = {}
        self._lock = threading.Lock()

    def start(self, role: str, return_to: str) -> Handoff:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._drop_expired()
            self._checks[token] = _Check(role, return_to, self._clock())
        return Handoff(token, URL_PREFIX + token)

    def complete(self, token: str, persona_id: str, passed: bool) -> None:
        """Record the outcome chosen on the simulator page (once per token)."""
        with self._lock:
            check = self._live(token)
            if check is None:
                raise ServiceError("face.unknown_token", "token unknown, expired or used")
            if check.status != "pending":
                raise ServiceError("face.already_completed")
            if persona_id not in self._people:
                raise ServiceError("face.unknown_person", f"no persona '{persona_id}'")
            check.status = "passed" if passed else "failed"
            check.person_id = persona_id

    def result(self, token: str) -> FaceResult:
        with self._lock:
            return self._as_result(self._live(token))

    def consume(self, token: str) -> FaceResult:
        """Read a finished result and forget the token (a pending check is left alone)."""
        with self._lock:
            check = self._live(token)
            if check is not None and check.status != "pending":
                del self._checks[token]
            return self._as_result(check)

    def _live(self, token: str) -> _Check | None:
        check = self._checks.get(token)
        if check is not None and self._clock() - check.started > self._ttl:
            del self._checks[token]
            return None
        return check

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, c in self._checks.items() if now - c.started > self._ttl]:
            del self._checks[token]

    @staticmethod
    def _as_result(check: _Check | None) -> FaceResult:
        if check is None:
            return FaceResult("unknown")
        person = check.person_id if check.status == "passed" else None
        return FaceResult(check.status, person, check.role, check.return_to)
