"""What a connector declaration (connectors/<id>.yaml) says, once read and checked.

A connector is one outside system a procedure talks to. It offers look-ups (the facts it
answers about a person, with their types and titles) and accepts operations (a request made
of the answers and facts, a response, the failures it may answer). Both implementations, the
simulator (simulator.py) and the HTTP/JSON adapter (http.py), follow this declaration; the
engine calls look-ups and operations by name and knows no procedure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..rules.model import FactType

ACCEPTED, REFUSED, RETRY = "accepted", "refused", "retry"     # what one call of an operation got


@dataclass(frozen=True)
class Source:
    """Where one request or look-up input comes from, in the application.

    `path` is one of: `subject` (the ID number of the person applied for), `applicant` (the
    verified person's), `identity.<f>`, `form.<field>`, a look-up fact (`<prefix>.<fact>`),
    `flow.id`, `flow.version`, `answers` (every answer, as a mapping) or `application.id`.
    `value` instead: a constant. For a list fact, `where` keeps the records whose fields equal
    the given values and `pick` takes one field of each (e.g. the numbers of the cleanable cards).
    """

    path: str | None = None
    value: object = None
    where: tuple = ()            # ((record field, value), ...)
    pick: str | None = None
    line: int | None = None      # where it is written (the connector's file, or the flow's)
    file: str | None = None


@dataclass(frozen=True)
class RequestField:
    name: str
    type: str                    # string integer number boolean date array object
    title: str
    source: Source | None        # the operation's default; a flow's `submit: {request: ...}` may set it
    required: bool = True
    line: int | None = None


@dataclass(frozen=True)
class Endpoint:
    """The HTTP adapter's call: `path` may hold `{name}` of an input or request field."""

    method: str                  # GET POST PUT PATCH DELETE
    path: str


@dataclass(frozen=True)
class Lookup:
    connector: str
    name: str
    title: str
    prefix: str                  # the facts it answers are `<prefix>.<name>` (e.g. registry.cards)
    inputs: dict[str, Source | None]   # None: a source that did not read (reported at load)
    returns: dict[str, FactType]
    http: Endpoint | None = None
    line: int | None = None

    def fact_types(self) -> dict[str, FactType]:
        return {f"{self.prefix}.{name}": t for name, t in self.returns.items()}


@dataclass(frozen=True)
class Failure:
    code: str
    title: str                   # Chinese: what the citizen is told on 提交失败
    transient: bool = False      # the system could not answer now: try again later (the outbox does)


@dataclass(frozen=True)
class Status:
    """One status a status operation may report (`statuses:`): its Chinese title; `final`: no
    status follows (the application is no longer asked about)."""

    code: str
    title: str
    final: bool = False


@dataclass(frozen=True)
class Operation:
    connector: str
    name: str                    # unique over every connector: a flow's `submit:` names it
    title: str
    request: dict[str, RequestField]
    response: dict[str, FactType]
    failures: dict[str, Failure]
    http: Endpoint | None = None
    simulator: dict = field(default_factory=dict)    # how the simulator behaves (simulator.py)
    line: int | None = None
    # a status operation (docs/connectors.md "Status operations"): what it reports on, its
    # statuses, and the SMS on acceptance and each change (to the first phone of `notify_to`)
    reports_on: tuple[str, ...] = ()
    statuses: dict[str, Status] = field(default_factory=dict)
    notify_to: tuple[Source, ...] = ()
    notify_texts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpSettings:
    base_url_setting: str        # the configuration key holding the base URL (e.g. REGISTRY_URL)
    timeout_seconds: float = 5.0
    retries: int = 2             # further tries of one call on a transient failure, before RETRY


@dataclass(frozen=True)
class Connector:
    id: str
    title: str
    file: str                    # e.g. connectors/registry.yaml
    lookups: dict[str, Lookup]
    operations: dict[str, Operation]
    http: HttpSettings | None = None
    world: str | None = None     # simulator: the key of a persona's block holding this system's records
    version: str = ""


@dataclass(frozen=True)
class Answer:
    """What one call of an operation got: accepted (`response` holds the declared response
    fields, e.g. the reference), refused (final: `code` is one of the declared failures, the
    citizen may resubmit) or retry (the system could not answer now)."""

    kind: str
    response: dict = field(default_factory=dict)
    code: str | None = None
    reason: str | None = None


class LookupFailed(Exception):
    """A look-up could not be answered (the system is down, or answered what was not declared)."""

    def __init__(self, code: str, message: str = ""):
        self.code = code
        super().__init__(f"{code}: {message}" if message else code)


class Implementation(Protocol):
    """One way of reaching the connectors: the simulator, or the HTTP adapter."""

    def lookup(self, lookup: Lookup, inputs: dict) -> dict: ...
    def call(self, operation: Operation, application_id: str, request: dict, idempotency_key: str) -> Answer: ...


@dataclass
class Catalog:
    """Every connector of a project, and its look-ups and operations by name."""

    connectors: dict[str, Connector] = field(default_factory=dict)

    @property
    def operations(self) -> dict[str, Operation]:
        return {name: op for c in self.connectors.values() for name, op in c.operations.items()}

    def status_operation(self, accepted_by: str) -> Operation | None:
        """The status operation that reports on applications accepted by operation `accepted_by`."""
        return next((op for op in self.operations.values() if accepted_by in op.reports_on), None)

    @property
    def lookups(self) -> list[Lookup]:
        return [lk for c in self.connectors.values() for lk in c.lookups.values()]

    def fact_types(self) -> dict[str, FactType]:
        """Every fact a look-up answers, by path (what rules and flows may read)."""
        out: dict[str, FactType] = {}
        for lookup in self.lookups:
            out.update(lookup.fact_types())
        return out
