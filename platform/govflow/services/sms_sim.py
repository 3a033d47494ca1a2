"""SMS gateway simulator: keeps an outbox instead of sending.

The developer page shows the outbox so a tester can read the verification code. The
outbox is a table of the simulator database (simstate.py): every worker process sees the
messages any of them sent, and a restart keeps them (the newest `keep`). The gateway never
logs message text (it contains codes); it refuses numbers that are not mainland mobile
numbers, as a real gateway would.
"""
from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import Connection, delete, select

from ..formats import check_mobile, normalize_mobile
from .interfaces import SentSms, ServiceError
from .simstate import SimState, insert_id, sms_outbox

_t = sms_outbox.c


class SmsSimulator:
    def __init__(self, keep: int = 200, clock: Callable[[], float] = time.time, state: SimState | None = None):
        self._keep = keep
        self._clock = clock
        self._state = state or SimState.open()

    def send(self, phone: str, text: str) -> None:
        number = normalize_mobile(phone)
        if check_mobile(number) is not None:
            raise ServiceError("sms.bad_number")

        def append(conn: Connection) -> None:
            newest = insert_id(conn, sms_outbox.insert().values(sent_at=self._clock(), phone=number, text=str(text)))
            conn.execute(delete(sms_outbox).where(_t.id <= newest - self._keep))
        self._state.write(append)

    def outbox(self) -> list[SentSms]:
        """Messages sent so far, oldest first (at most `keep`)."""
        with self._state.read() as conn:
            rows = conn.execute(select(_t.sent_at, _t.phone, _t.text).order_by(_t.id.desc()).limit(self._keep)).all()
        return [SentSms(r.sent_at, r.phone, r.text) for r in reversed(rows)]
