"""Social insurance registry simulator (社保 registry), fed by the demo personas.

Keeps its state in memory: a cleanup cancels cards and an accepted submission adds a
pending application until the server restarts (drafts themselves are in the database).
An ssn the registry does not know has an empty record (no applications, no cards,
no photo): a minor entered by a guardian may not be in the registry yet.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from typing import Iterable

from .interfaces import CANCELLED, Card, Person, RegistryRecord, ServiceError
from .personas import Persona
from .portraits import portrait_jpeg


class RegistrySimulator:
    def __init__(self, personas: Iterable[Persona]):
        personas = list(personas)
        self._people = {p.id: p.person for p in personas}
        self._by_ssn = {p.person.ssn: p.person for p in personas}
        self._base_pending = {p.person.ssn: p.pending_applications for p in personas}
        self._applications: dict[str, set[str]] = {}
        self._cards = {p.person.ssn: list(p.cards) for p in personas}
        self._insurance = {p.person.ssn: p.insurance_types for p in personas}
        # portraits are drawn once at start-up (deterministic bytes)
        self._photos = {p.person.ssn: portrait_jpeg(p.initials) for p in personas if p.system_photo}
        self._cleanups = itertools.count(1)
        self._cleanup_keys: dict[str, str] = {}
        self._lock = threading.Lock()

    def person(self, person_id: str) -> Person | None:
        return self._people.get(person_id)

    def person_by_ssn(self, ssn: str) -> Person | None:
        return self._by_ssn.get(ssn)

    def record(self, ssn: str) -> RegistryRecord:
        with self._lock:
            pending = self._base_pending.get(ssn, 0) + len(self._applications.get(ssn, ()))
            cards = tuple(c for c in self._cards.get(ssn, ()) if c.status != CANCELLED)
        return RegistryRecord(pending, cards, ssn in self._photos, self._insurance.get(ssn, ()))

    def cleanup(self, ssn: str, card_numbers: list[str], idempotency_key: str | None = None) -> str:
        """Cancel the given cleanable cards (one person, one card); returns a reference.

        Refuses (ServiceError) an empty selection, an unknown or already cancelled
        card, or a card that may not be cleaned; nothing changes then. A retry with the key
        of a cleanup already done returns its reference (nothing is cancelled twice).
        """
        wanted = list(dict.fromkeys(card_numbers or []))
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._cleanup_keys:
                return self._cleanup_keys[idempotency_key]
            cards = self._cards.get(ssn, [])
            live = {c.card_number: c for c in cards if c.status != CANCELLED}
            if not wanted:
                raise ServiceError("registry.no_cards_selected")
            unknown = [n for n in wanted if n not in live]
            if unknown:
                raise ServiceError("registry.unknown_card", ", ".join(unknown))
            if not all(live[n].cleanable for n in wanted):
                raise ServiceError("registry.card_not_cleanable")
            self._cards[ssn] = [replace(c, status=CANCELLED, cleanable=False) if c.card_number in wanted else c
                                for c in cards]
            reference = f"QL{next(self._cleanups):08d}"
            if idempotency_key is not None:
                self._cleanup_keys[idempotency_key] = reference
            return reference

    def register_application(self, ssn: str, reference: str) -> None:
        """Note an accepted application; calling twice with one reference counts once."""
        with self._lock:
            self._applications.setdefault(ssn, set()).add(reference)

    def system_photo(self, ssn: str) -> bytes | None:
        return self._photos.get(ssn)

    def all_cards(self, ssn: str) -> tuple[Card, ...]:
        """Every card including cancelled ones (for the developer page)."""
        with self._lock:
            return tuple(self._cards.get(ssn, ()))
