"""What the platform expects from the outside systems it always needs (渠道人脸核验, the people
directory, photo receipts, branches, SMS, the virus scanner); the others are connectors/*.yaml.

The engine and web layer depend only on these Protocols and value types; the local
simulators implement them and a real adapter would too. Values are small frozen
dataclasses so they can be passed around and compared safely.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


class ServiceError(Exception):
    """An outside system refused a call (e.g. cleanup of a card it does not know).

    `code` is stable (tests and callers branch on it); the message is for developers.
    """

    def __init__(self, code: str, message: str = ""):
        self.code = code
        super().__init__(f"{code}: {message}" if message else code)


class ServiceConfigError(ValueError):
    """The configuration names services that do not exist."""


# ---- face verification (a hand-off to another page and back) -------------------------

@dataclass(frozen=True)
class Handoff:
    token: str
    url_path: str            # where to send the browser, e.g. /sim/face/<ticket>: never the token itself


@dataclass(frozen=True)
class FaceResult:
    status: str              # 'pending' | 'passed' | 'failed' | 'unknown' (unknown/expired/used token)
    person_id: str | None = None
    role: str | None = None  # what the check was for, e.g. 'applicant' / 'guardian'
    return_to: str | None = None


class FaceVerification(Protocol):
    def start(self, role: str, return_to: str) -> Handoff: ...
    def complete(self, token: str, persona_id: str, passed: bool) -> None: ...
    def result(self, token: str) -> FaceResult: ...
    def consume(self, token: str) -> FaceResult: ...


# ---- social insurance registry ---------------------------------------------------------

@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    ssn: str                 # 社会保障号码
    id_type: str             # see docs/internals.md (resident_id_card, hk_macao_permit ...)
    id_number: str
    residency: str           # mainland | hk | macau | taiwan | overseas_chinese | foreign
    birth_date: date
    sex: str                 # male | female
    phone: str


@dataclass(frozen=True)
class Guardianship:
    """One legal guardian of a person, as the registry knows it (民法典 第二十七条、第三十一条)."""

    holder_ssn: str          # the guardian's 社会保障号码
    relationship: str        # GB/T 4761 code of the guardian to the person (51 父亲, 62 祖母 ...)
    basis: str               # household_register 户籍 | birth_medical_certificate 出生医学证明 |
    #                          guardianship_record 监护关系证明


# relation.* facts: how the verified person stands to the person applied for (journey/identity.relation_facts)
RELATION_FACTS = ("applicant_is_subject", "applicant_is_guardian", "applicant_relationship", "guardianship_basis")


def supplied_facts() -> dict[str, frozenset[str]]:
    """Every fact path the engine itself puts into a request's facts besides `form.*` and the
    connectors' look-up facts, by source: what rules/facts.yaml may declare (`rule.fact_not_supplied`
    otherwise). `identity.*` is the verified person (Person), `relation.*` how they stand to the
    person applied for, and `today`."""
    from dataclasses import fields
    return {"identity": frozenset(f"identity.{f.name}" for f in fields(Person)),
            "relation": frozenset(f"relation.{n}" for n in RELATION_FACTS),
            "": frozenset({"today"})}


class Registry(Protocol):
    """The people directory: who is who, who is whose guardian, the system photo."""

    def person(self, person_id: str) -> Person | None: ...
    def person_by_ssn(self, ssn: str) -> Person | None: ...
    def guardianship(self, ssn: str, holder_ssn: str | None) -> Guardianship | None: ...
    def system_photo(self, ssn: str) -> bytes | None: ...


# ---- photo receipts (相片回执号) -------------------------------------------------------

@dataclass(frozen=True)
class Photo:
    receipt_number: str
    jpeg: bytes
    ssn: str = ""            # whose photo it is (the studio records the person's number with the receipt)


class PhotoReceipts(Protocol):
    def lookup(self, receipt_number: str) -> Photo | None: ...


# ---- branch directory (受理网点) --------------------------------------------------------

@dataclass(frozen=True)
class Branch:
    id: str
    name: str
    city_code: str
    county_code: str | None  # None for a city-level outlet and in 东莞/中山 (no county level)
    address: str
    phone: str
    hours: str


class BranchDirectory(Protocol):
    def search(self, area_code: str | None = None, keyword: str | None = None,
               limit: int = 50) -> list[Branch]: ...
    def get(self, branch_id: str) -> Branch | None: ...


# ---- SMS gateway ----------------------------------------------------------------------

@dataclass(frozen=True)
class SentSms:
    time: float              # epoch seconds
    phone: str
    text: str


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


# ---- virus scanning of uploads (clamd) -------------------------------------------------

@dataclass(frozen=True)
class ScanVerdict:
    clean: bool
    signature: str | None = None     # the scanner's name for what it found (no personal data)


class VirusScanner(Protocol):
    """Scans bytes before an upload is accepted. Raises ServiceError("scanner.unavailable")
    when it cannot answer (not running, timed out, answered nonsense): nothing is then stored."""

    name: str

    def scan(self, data: bytes) -> ScanVerdict: ...
