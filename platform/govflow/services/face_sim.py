"""Face verification simulator (渠道人脸核验) as a hand-off.

The real service sends the browser to the channel's face page and back. The simulator
page (`/sim/face/<ticket>`, served by govflow.web) lets a developer pick a persona and
pass or fail; the platform then reads and consumes the result once. Tokens expire after
ttl seconds (10 minutes by default) and are single use. The token never travels in a URL
(URLs are logged): the page is named by a ticket of its own, which opens nothing once the
check is done, and the browser comes back to `return_to` without either. The checks are rows of the
simulator database (simstate.py), so a token started by one worker process is completed
and consumed by another; times are wall-clock (time.time), the same in every process.
"""
from __future__ import annotations

import secrets
import time
from typing import Callable, Iterable

from sqlalchemy import Connection, Row, delete, select, update

from .interfaces import FaceResult, Handoff, ServiceError
from .simstate import SimState, face_checks

URL_PREFIX = "/sim/face/"

_t = face_checks.c


class FaceSimulator:
    def __init__(self, known_people: Iterable[str], ttl_seconds: float = 600,
                 clock: Callable[[], float] = time.time, state: SimState | None = None):
        self._people = frozenset(known_people)
        self._ttl = ttl_seconds
        self._clock = clock
        self._state = state or SimState.open()

    def start(self, role: str, return_to: str) -> Handoff:
        token, ticket = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
        now = self._clock()

        def insert(conn: Connection) -> None:
            conn.execute(delete(face_checks).where(_t.started < now - self._ttl))     # expired ones
            conn.execute(face_checks.insert().values(token=token, ticket=ticket, role=role, return_to=return_to,
                                                     started=now, status="pending"))
        self._state.write(insert)
        return Handoff(token, URL_PREFIX + ticket)

    def token_of(self, ticket: str) -> str | None:
        """The token of the check whose simulator page `ticket` names (the page's side only)."""
        with self._state.read() as conn:
            check = conn.execute(select(face_checks).where(_t.ticket == ticket)).first()
        return check.token if check is not None else None

    def complete(self, token: str, persona_id: str, passed: bool) -> None:
        """Record the outcome chosen on the simulator page (once per token)."""
        def record(conn: Connection) -> None:
            check = self._live(conn, token)
            if check is None:
                raise ServiceError("face.unknown_token", "token unknown, expired or used")
            if check.status != "pending":
                raise ServiceError("face.already_completed")
            if persona_id not in self._people:
                raise ServiceError("face.unknown_person", f"no persona '{persona_id}'")
            done = conn.execute(update(face_checks).where(_t.token == token, _t.status == "pending")
                                .values(status="passed" if passed else "failed", person_id=persona_id))
            if done.rowcount != 1:                       # another process completed it meanwhile
                raise ServiceError("face.already_completed")
        self._state.write(record)

    def result(self, token: str) -> FaceResult:
        with self._state.read() as conn:
            return self._as_result(self._live(conn, token))

    def consume(self, token: str) -> FaceResult:
        """Read a finished result and forget the token (a pending check is left alone). Of two
        processes consuming one token, one gets the result and the other 'unknown'."""
        def take(conn: Connection) -> FaceResult:
            check = self._live(conn, token)
            if check is None or check.status == "pending":
                return self._as_result(check)
            gone = conn.execute(delete(face_checks).where(_t.token == token, _t.status != "pending"))
            return self._as_result(check if gone.rowcount == 1 else None)
        return self._state.write(take)

    def _live(self, conn: Connection, token: str) -> Row | None:
        check = conn.execute(select(face_checks).where(_t.token == token)).first()
        if check is not None and self._clock() - check.started > self._ttl:
            return None                                  # expired (start() deletes the row later)
        return check

    @staticmethod
    def _as_result(check: Row | None) -> FaceResult:
        if check is None:
            return FaceResult("unknown")
        person = check.person_id if check.status == "passed" else None
        return FaceResult(check.status, person, check.role, check.return_to)
