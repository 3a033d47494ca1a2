"""Social insurance registry simulator (社保 registry), fed by the demo personas.

The base data (people, cards, pending applications, photos) are the demo personas; only the
changes are stored, in the simulator database (simstate.py): the cards a cleanup cancelled
and the applications the card back end accepted. Every worker process sees them and a
restart keeps them (drafts themselves are in govflow's database).
An ssn the registry does not know has an empty record (no applications, no cards,
no photo, no guardians): a minor entered by a guardian may not be in the registry yet.
Guardians are the demo world's 户籍/出生医学证明 records (parents) and guardianship records
(监护关系证明: e.g. a grandparent appointed guardian), `registry.guardians` of each persona.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from sqlalchemy import Connection, bindparam, func, select

from ..store.prepared import PreparedRead
from .interfaces import CANCELLED, Card, Guardianship, Person, RegistryRecord, ServiceError
from .personas import Persona
from .portraits import portrait_jpeg
from .simstate import SimState, insert_id, registry_applications, registry_cancelled, registry_cleanups

_apps = registry_applications.c
_cancelled = registry_cancelled.c
_cleanups = registry_cleanups.c
# the two reads of every record(), built once (building a statement costs as much as running it)
_PENDING = PreparedRead(select(func.count().label("n")).select_from(registry_applications)
                        .where(_apps.ssn == bindparam("ssn")))
_CANCELLED = select(_cancelled.card_number).where(_cancelled.ssn == bindparam("ssn"))


class RegistrySimulator:
    def __init__(self, personas: Iterable[Persona], state: SimState | None = None):
        personas = list(personas)
        self._people = {p.id: p.person for p in personas}
        self._by_ssn = {p.person.ssn: p.person for p in personas}
        self._base_pending = {p.person.ssn: p.pending_applications for p in personas}
        self._cards = {p.person.ssn: tuple(p.cards) for p in personas}
        self._insurance = {p.person.ssn: p.insurance_types for p in personas}
        ssn_of = {p.id: p.person.ssn for p in personas}
        self._guardians = {p.person.ssn: tuple(Guardianship(ssn_of[g], rel, basis) for g, rel, basis in p.guardians)
                           for p in personas if p.guardians}
        # portraits are drawn once at start-up (deterministic bytes)
        self._photos = {p.person.ssn: portrait_jpeg(p.initials) for p in personas if p.system_photo}
        self.state = state or SimState.open()

    def person(self, person_id: str) -> Person | None:
        return self._people.get(person_id)

    def person_by_ssn(self, ssn: str) -> Person | None:
        return self._by_ssn.get(ssn)

    def record(self, ssn: str) -> RegistryRecord:
        with self.state.read() as conn:
            pending = self.pending_in(conn, ssn)
            cards = tuple(c for c in self._cards_in(conn, ssn) if c.status != CANCELLED)
        return RegistryRecord(pending, cards, ssn in self._photos, self._insurance.get(ssn, ()),
                              self._guardians.get(ssn, ()))

    def cleanup(self, ssn: str, card_numbers: list[str], idempotency_key: str | None = None) -> str:
        """Cancel the given cleanable cards (one person, one card); returns a reference.

        Refuses (ServiceError) an empty selection, an unknown or already cancelled
        card, or a card that may not be cleaned; nothing changes then. A retry with the key
        of a cleanup already done returns its reference (nothing is cancelled twice).
        """
        wanted = list(dict.fromkeys(card_numbers or []))

        def cancel(conn: Connection) -> str:
            if idempotency_key is not None:
                done = conn.execute(select(_cleanups.id).where(_cleanups.idempotency_key == idempotency_key)).first()
                if done is not None:
                    return _cleanup_reference(done.id)
            live = {c.card_number: c for c in self._cards_in(conn, ssn) if c.status != CANCELLED}
            if not wanted:
                raise ServiceError("registry.no_cards_selected")
            unknown = [n for n in wanted if n not in live]
            if unknown:
                raise ServiceError("registry.unknown_card", ", ".join(unknown))
            if not all(live[n].cleanable for n in wanted):
                raise ServiceError("registry.card_not_cleanable")
            number = insert_id(conn, registry_cleanups.insert().values(ssn=ssn, idempotency_key=idempotency_key))
            conn.execute(registry_cancelled.insert(), [{"ssn": ssn, "card_number": n, "cleanup_id": number}
                                                       for n in wanted])
            return _cleanup_reference(number)
        return self.state.write(cancel)

    def register_application(self, ssn: str, reference: str) -> None:
        """Note an accepted application; calling twice with one reference counts once."""
        self.state.write(lambda conn: self.register_in(conn, ssn, reference))

    def guardianship(self, ssn: str, holder_ssn: str | None) -> Guardianship | None:
        """The guardianship `holder_ssn` holds over `ssn`, if the registry records one."""
        return next((g for g in self._guardians.get(ssn, ()) if holder_ssn and g.holder_ssn == holder_ssn), None)

    def system_photo(self, ssn: str) -> bytes | None:
        return self._photos.get(ssn)

    def all_cards(self, ssn: str) -> tuple[Card, ...]:
        """Every card including cancelled ones (for the developer page)."""
        with self.state.read() as conn:
            return self._cards_in(conn, ssn)

    # ---- inside a transaction of the simulator database (the card back end's, too) ----------

    def pending_in(self, conn: Connection, ssn: str) -> int:
        added = _PENDING.first(conn, {"ssn": ssn}).n
        return self._base_pending.get(ssn, 0) + int(added)

    def register_in(self, conn: Connection, ssn: str, reference: str) -> None:
        known = conn.execute(select(_apps.reference).where(_apps.ssn == ssn, _apps.reference == reference)).first()
        if known is None:
            conn.execute(registry_applications.insert().values(ssn=ssn, reference=reference))

    def _cards_in(self, conn: Connection, ssn: str) -> tuple[Card, ...]:
        cards = self._cards.get(ssn, ())
        if not cards:
            return ()
        cancelled = set(conn.execute(_CANCELLED, {"ssn": ssn}).scalars())
        return tuple(replace(c, status=CANCELLED, cleanable=False) if c.card_number in cancelled else c
                     for c in cards)


def _cleanup_reference(number: int) -> str:
    return f"QL{number:08d}"
