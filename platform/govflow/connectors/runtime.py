"""Running look-ups and operations by name: the engine's one door to the outside systems.

`Connectors` holds the catalog and one implementation (the simulator, or the HTTP adapter).
Sources (model.Source) are resolved against `Values`, what an application knows at that
moment: the person applied for and the verified person, the answers, the look-up facts, the
flow. Nothing here knows a procedure: look-ups and operations are names from connectors/*.yaml.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from .model import ACCEPTED, REFUSED, RETRY, Answer, Catalog, Implementation, Lookup, LookupFailed, Operation, Source
from .wire import json_ready

log = logging.getLogger(__name__)

__all__ = ["ACCEPTED", "REFUSED", "RETRY", "Answer", "Connectors", "LookupFailed", "Values", "UnknownOperation"]


class UnknownOperation(LookupError):
    """A submitted operation no connector declares (the checker refuses such a flow)."""


@dataclass
class Values:
    """What a source may read, for one application at one moment."""

    subject: str | None = None
    applicant: str | None = None
    identity: dict = field(default_factory=dict)
    answers: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)          # look-up facts by prefix: {prefix: {name: value}}
    flow_id: str | None = None
    flow_version: str | None = None
    application_id: str | None = None
    reference: str | None = None                       # the reference the submission was accepted under

    def get(self, source: Source):
        if source.path is None:
            return source.value
        value = self._plain(source.path)
        if source.where or source.pick:
            records = [r for r in (value or []) if isinstance(r, dict)
                       and all(r.get(k) == v for k, v in source.where)]
            return [r.get(source.pick) for r in records] if source.pick else records
        return value

    def _plain(self, path: str):
        fixed = {"subject": self.subject, "applicant": self.applicant, "answers": dict(self.answers),
                 "flow.id": self.flow_id, "flow.version": self.flow_version,
                 "application.id": self.application_id, "application.reference": self.reference}
        if path in fixed:
            return fixed[path]
        head, _, rest = path.partition(".")
        if head == "form":
            return self.answers.get(rest)
        if head == "identity":
            return self.identity.get(rest)
        return (self.facts.get(head) or {}).get(rest)


class Connectors:
    def __init__(self, catalog: Catalog, implementation: Implementation):
        self.catalog = catalog
        self.implementation = implementation
        self._operations = catalog.operations
        self._subject_lookups = [lk for lk in catalog.lookups if lk.inputs and all(
            s is not None and s.path in ("subject", "applicant") for s in lk.inputs.values())]
        self.subject_prefixes = tuple(lk.prefix for lk in self._subject_lookups)

    def operation(self, name: str) -> Operation:
        operation = self._operations.get(name)
        if operation is None:
            raise UnknownOperation(name)
        return operation

    def subject_lookups(self) -> list[Lookup]:
        """The look-ups answered for the person applied for (every input is theirs or the
        verified person's): run whenever the journey learns who that is."""
        return self._subject_lookups

    def look_up(self, lookup: Lookup, values: Values) -> dict:
        """The look-up's facts (raises LookupFailed when the system cannot answer)."""
        inputs = {name: values.get(source) for name, source in lookup.inputs.items() if source is not None}
        return self.implementation.lookup(lookup, json_ready(inputs))

    def request(self, name: str, values: Values, given: dict | None = None) -> dict:
        """The request of operation `name`: each field from the flow's source (`given`, field ->
        model.Source) or the operation's own; a field without a value is left out."""
        operation = self.operation(name)
        out = {}
        for key, request_field in operation.request.items():
            source = (given or {}).get(key) or request_field.source
            if source is None:
                continue
            value = values.get(source)
            if value is not None:
                out[key] = value
        return json_ready(out)

    def call(self, name: str, application_id: str, request: dict, idempotency_key: str) -> Answer:
        """One call of operation `name`. A refusal's reason is the declared failure's title."""
        operation = self.operation(name)
        answer = self.implementation.call(operation, application_id, request, idempotency_key)
        if answer.kind != ACCEPTED and answer.code in operation.failures:
            failure = operation.failures[answer.code]
            kind = RETRY if failure.transient else answer.kind
            return Answer(kind, answer.response, answer.code, answer.reason or failure.title)
        return answer
