"""SMS gateway simulator: keeps an in-memory outbox instead of sending.

The developer page shows the outbox so a tester can read the verification code. The
gateway never logs message text (it contains codes); it refuses numbers that are not
mainland mobile numbers, as a real gateway would.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from ..formats import check_mobile, normalize_mobile
from .interfaces import SentSms, ServiceError


class SmsSimulator:
    def __init__(self, keep: int = 200, clock: Callable[[], float] = time.time):
        self._outbox: deque[SentSms] = deque(maxlen=keep)
        self._clock = clock
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        number = normalize_mobile(phone)
        if check_mobile(number) is not None:
            raise ServiceError("sms.bad_number")
        with self._lock:
            self._outbox.append(SentSms(self._clock(), number, str(text)))

    def outbox(self) -> list[SentSms]:
        """Messages sent so far, oldest first (at most `keep`)."""
        with self._lock:
            return list(self._outbox)
