"""The people directory simulator, fed by the demo personas: who is who.

It answers the face check's person, a person by social security number, the guardianships the
registry records (户籍/出生医学证明 records of parents and guardianship records, 监护关系证明:
e.g. a grandparent appointed guardian; the personas' `guardians`) and the system photo. What the
outside systems record of a person (and what their operations change) is the connectors'
(connectors/simulator.py, over the personas' other blocks).
"""
from __future__ import annotations

from typing import Iterable

from .interfaces import Guardianship, Person
from .personas import Persona
from .portraits import portrait_jpeg


class RegistrySimulator:
    def __init__(self, personas: Iterable[Persona]):
        personas = list(personas)
        self._people = {p.id: p.person for p in personas}
        self._by_ssn = {p.person.ssn: p.person for p in personas}
        ssn_of = {p.id: p.person.ssn for p in personas}
        self._guardians = {p.person.ssn: tuple(Guardianship(ssn_of[g], rel, basis) for g, rel, basis in p.guardians)
                           for p in personas if p.guardians}
        # portraits are drawn once at start-up (deterministic bytes)
        self._photos = {p.person.ssn: portrait_jpeg(p.initials) for p in personas if p.system_photo}

    def person(self, person_id: str) -> Person | None:
        return self._people.get(person_id)

    def person_by_ssn(self, ssn: str) -> Person | None:
        return self._by_ssn.get(ssn)

    def guardianship(self, ssn: str, holder_ssn: str | None) -> Guardianship | None:
        """The guardianship `holder_ssn` holds over `ssn`, if the registry records one."""
        return next((g for g in self._guardians.get(ssn, ()) if holder_ssn and g.holder_ssn == holder_ssn), None)

    def guardians(self, ssn: str) -> tuple[Guardianship, ...]:
        return self._guardians.get(ssn, ())

    def system_photo(self, ssn: str) -> bytes | None:
        return self._photos.get(ssn)
