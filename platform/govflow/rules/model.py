"""Value types of the rules subsystem: fact types, the condition tree, rules and results.

Kept free of loading and engine code so that every other module (loader,
durable-rules adapter, plain reader) shares one vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

FACT_TYPES = ("string", "integer", "number", "boolean", "date")


@dataclass(frozen=True)
class FactType:
    """Type of one fact path; `enum` lists the allowed values when there is such a list."""

    type: str
    enum: tuple | None = None
    title: str | None = None
    labels: tuple = ()          # ((value, what policy staff call it), ...) for the checker's messages
    items: "FactType | None" = None   # type "array": the type of each element (a scalar or an "object")
    fields: tuple = ()          # type "object": ((name, FactType), ...) of each record (e.g. one card)
    unit: str | None = None     # "months": an age in months, compared with {years: Y, months: M}
    picklist: str | None = None  # the pick-list whose codes the fact holds (a form field's `options:`)

    def field(self, name: str) -> "FactType | None":
        return next((t for n, t in self.fields if n == name), None)

    def label(self, value) -> str:
        return next((text for v, text in self.labels if v == value), str(value))


# -- the condition tree, after `not` has been pushed down to the tests ------------------

@dataclass(frozen=True)
class FactRef:
    """The value of another fact of the same type (`{fact: PATH}` as a value)."""

    path: str


@dataclass(frozen=True)
class Test:
    """One comparison. `value`: a constant, a FactRef, a tuple (in / not_in) or a bool (exists)."""

    path: str
    op: str
    value: Any


@dataclass(frozen=True)
class All:
    items: tuple


@dataclass(frozen=True)
class Any_:
    items: tuple


Condition = Union[Test, All, Any_]

NEGATED_OP = {"eq": "ne", "ne": "eq", "lt": "gte", "gte": "lt", "lte": "gt", "gt": "lte",
              "in": "not_in", "not_in": "in"}


def negate(cond: Condition) -> Condition:
    """De Morgan push-down: the result never contains a `not` node."""
    if isinstance(cond, All):
        return Any_(tuple(negate(c) for c in cond.items))
    if isinstance(cond, Any_):
        return All(tuple(negate(c) for c in cond.items))
    if cond.op == "exists":
        return Test(cond.path, "exists", not cond.value)
    return Test(cond.path, NEGATED_OP[cond.op], cond.value)


def facts_read(cond: Condition | None) -> list[str]:
    """Fact paths a condition reads, in order of first appearance (the one walker of the tree:
    rules, flow `when:`s, the checker and the journey's re-checks all use it)."""
    out: list[str] = []

    def walk(c: Condition) -> None:
        if isinstance(c, (All, Any_)):
            for item in c.items:
                walk(item)
            return
        for p in (c.path, c.value.path if isinstance(c.value, FactRef) else None):
            if p and p not in out:
                out.append(p)

    if cond is not None:
        walk(cond)
    return out


# -- rules, rulesets and results ---------------------------------------------------------

class FrozenDict(dict):
    """A rule's `then:` as loaded: shared by every evaluation, so it cannot be changed
    (a copy, `copy.deepcopy(x)`, is an ordinary dict). JSON sees a plain object."""

    def _refuse(self, *args, **kwargs):
        from ..say import say
        raise TypeError(say("rules.model.read_only"))

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse

    def __deepcopy__(self, memo):
        return thaw(self)

    def __hash__(self):
        return id(self)


def freeze(value):
    """Dicts become FrozenDicts and lists tuples, all the way down."""
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value):
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Example:
    given: dict
    fires: tuple
    line: int


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    basis: str
    when: Condition
    then: dict
    examples: tuple
    file: str
    line: int
    facts_read: tuple = ()
    why: str = ""          # the basis in plain words for the citizen (“为什么？”); `basis` when empty


@dataclass
class Ruleset:
    name: str
    title: str
    file: str
    version: str
    rules: list = field(default_factory=list)

    @property
    def restricts(self) -> bool:
        """Whether a rule of the set limits a field's options (the page shows them limited)."""
        return any("restrict" in rule.then for rule in self.rules)

    @property
    def facts_read(self) -> tuple[str, ...]:
        """Every fact path one of its rules reads (derived facts' inputs included), in order."""
        cached = self.__dict__.get("_facts_read")
        if cached is None:
            cached = tuple(dict.fromkeys(p for rule in self.rules for p in rule.facts_read))
            self.__dict__["_facts_read"] = cached
        return cached


@dataclass(frozen=True)
class Fired:
    rule_id: str
    title: str
    basis: str
    outcome: dict          # the rule's `then:` as loaded: shared, never to be changed
    facts_used: dict
    why: str = ""

    @property
    def citizen_basis(self) -> str:
        """The basis as the citizen reads it under “为什么？” (rules/citizen_text.py checks it)."""
        return self.why or self.basis


@dataclass(frozen=True)
class Evaluation:
    ruleset: str
    version: str
    fired: list

    def ids(self) -> list[str]:
        return [f.rule_id for f in self.fired]


class RuleEvaluationError(Exception):
    """Facts that do not fit the declared types, an unknown ruleset, or an engine failure."""


def file_label(path: Path) -> str:
    """Short file name used in problems (rules/precheck.yaml rather than an absolute path)."""
    return f"{path.parent.name}/{path.name}"
