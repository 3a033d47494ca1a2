"""The fact catalogue (rules/facts.yaml): declared facts, derived facts and value checks.

Rules may only read facts whose type is known, so that every comparison is
type-checked at load time and both evaluators see the same normalised values.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from ..say import say
from .model import RuleEvaluationError
from .wording import type_name

# durable-rules identity fields, our guard, and the hidden facts of list and region tests
RESERVED_TOP = ("id", "sid", "govflow_fact", "govflow_list", "govflow_within")


# -- derived-fact functions: each small, whitelisted, dispatched from a table -------------

def years_between(start: dt.date, end: dt.date) -> int:
    """Full years (周岁) from start to end; negative when end is before start."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def months_between(start: dt.date, end: dt.date) -> int:
    """Full months from start to end (age in months, for bands with a tolerance)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return months


def days_between(start: dt.date, end: dt.date) -> int:
    return (end - start).days


def is_anniversary(start: dt.date, end: dt.date) -> bool:
    """True when end falls on the same month and day as start (29 Feb -> 28 Feb or 1 Mar)."""
    if (start.month, start.day) == (end.month, end.day):
        return True
    if (start.month, start.day) == (2, 29):
        return (end.month, end.day) in ((2, 28), (3, 1))
    return False


def id_birth_date(number: str) -> dt.date | None:
    """Birth date inside an 18-digit 公民身份号码 (GB 11643); None when it is not a real date."""
    from ..formats import birth_date_from_id
    return birth_date_from_id(number)


@dataclass(frozen=True)
class Function:
    args: tuple          # argument types
    result: str          # result type
    call: Callable


FUNCTIONS: dict[str, Function] = {
    "years_between": Function(("date", "date"), "integer", years_between),
    "months_between": Function(("date", "date"), "integer", months_between),
    "days_between": Function(("date", "date"), "integer", days_between),
    "is_anniversary": Function(("date", "date"), "boolean", is_anniversary),
    "id_birth_date": Function(("string",), "date", id_birth_date),
}


@dataclass(frozen=True)
class Derived:
    path: str
    function: str
    args: tuple          # fact paths (for the list functions: the list, then the facts `where` reads)
    spec: Any = None     # list functions: lists.ListSpec (the list's type, `where`, what to compute)


@dataclass
class Catalogue:
    """Every fact a rule may read: its type, and for derived facts how it is computed."""

    types: dict          # path -> FactType (declared, form and derived)
    derived: list        # Derived, in dependency order
    version: str = ""
    declared: dict = field(default_factory=dict)   # path -> (file, line) of facts.yaml's declarations

    @property
    def derived_by_path(self) -> dict:
        index = self.__dict__.get("_derived_index")
        if index is None or len(index) != len(self.derived):
            index = {d.path: d for d in self.derived}
            self.__dict__["_derived_index"] = index
        return index

    def input_paths(self, paths) -> tuple[str, ...]:
        """The facts (not derived) that the values at `paths` come from: what a replay needs."""
        key = tuple(paths)
        cache = self.__dict__.setdefault("_input_paths", {})
        found = cache.get(key)
        if found is None:
            derived = self.derived_by_path
            found = cache[key] = tuple(dict.fromkeys(
                p for path in key for p in self.inputs_of(path) if p not in derived))
        return found

    def inputs_of(self, path: str) -> list[str]:
        """The path itself, and for a derived fact the facts it is computed from."""
        out = [path]
        for d in self.derived:
            if d.path == path:
                for arg in d.args:
                    out += [p for p in self.inputs_of(arg) if p not in out]
        return out


# -- values ---------------------------------------------------------------------------------

def coerce(ftype: str, value: Any) -> tuple[bool, Any]:
    """(ok, value normalised for comparison). Dates become `datetime.date`."""
    if ftype == "string":
        return isinstance(value, str), value
    if ftype == "boolean":
        return isinstance(value, bool), value
    if ftype == "integer":
        return isinstance(value, int) and not isinstance(value, bool), value
    if ftype == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool), value
    if ftype == "date":
        if isinstance(value, dt.datetime):
            return True, value.date()
        if isinstance(value, dt.date):
            return True, value
        if isinstance(value, str):
            try:
                return True, dt.date.fromisoformat(value)
            except ValueError:
                return False, value
        return False, value
    return False, value


def coerce_typed(ftype, value: Any) -> tuple[bool, Any]:
    """coerce() for a FactType, lists (type "array") and records (type "object") included:
    a list's items and a record's declared fields are checked and normalised; a field a record
    does not have is left out, fields not declared are dropped."""
    if ftype.type == "array":
        if not isinstance(value, (list, tuple)) or ftype.items is None:
            return False, value
        out = []
        for item in value:
            ok, normal = coerce_typed(ftype.items, item)
            if not ok:
                return False, value
            out.append(normal)
        return True, tuple(out)
    if ftype.type == "object":
        if not isinstance(value, dict):
            return False, value
        record = {}
        for name, field_type in ftype.fields:
            if value.get(name) is not None:
                ok, normal = coerce_typed(field_type, value[name])
                if not ok:
                    return False, value
                record[name] = normal
        return True, record
    return coerce(ftype.type, value)


def engine_value(value: Any) -> Any:
    """What both evaluators compare: dates as YYYYMMDD integers (durable-rules has no dates)."""
    if isinstance(value, dt.date):
        return value.year * 10000 + value.month * 100 + value.day
    return value


def get_path(facts: dict, path: str) -> Any:
    """Value at a dotted path of the nested facts, or None when any part is absent."""
    node: Any = facts
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class FactView:
    """The facts of one request, prepared once for every rule set and `when:` that reads them.

    Built from the nested facts (identity.*, registry.*, today, form.*). Each path is looked up,
    type-checked and normalised on first use and then kept: `seen(path)` is the normalised Python
    value (for auditors), `get(path)` the engine value both evaluators compare (dates as YYYYMMDD).
    Derived facts are computed from their inputs. A fact of the wrong type raises
    RuleEvaluationError naming it; absent facts are left out.
    """

    __slots__ = ("catalogue", "facts", "_seen", "_values")

    def __init__(self, catalogue: Catalogue, facts: dict):
        if not isinstance(facts, dict):
            raise RuleEvaluationError(say("rules.book.facts_not_mapping"))
        self.catalogue = catalogue
        self.facts = facts
        self._seen: dict = {}
        self._values: dict = {}

    def seen(self, path: str) -> Any:
        """The normalised value at `path`, or None when absent."""
        if path in self._values:
            return self._seen.get(path)
        derived = self.catalogue.derived_by_path.get(path)
        if derived is not None and derived.spec is not None:
            value = derived.spec.value(self, derived)      # list functions, region tests
        elif derived is not None:
            args = [self.seen(a) for a in derived.args]
            value = None if any(a is None for a in args) else FUNCTIONS[derived.function].call(*args)
        else:
            value = get_path(self.facts, path)
            if value is not None:
                declared = self.catalogue.types.get(path)
                if declared is not None:
                    ok, value = coerce_typed(declared, value)
                    if not ok:
                        raise RuleEvaluationError(say("rules.book.fact_wrong_type", path=path,
                                                      type=type_name(declared.type), value=repr(value)))
        if value is None:
            self._values[path] = _ABSENT
        else:
            self._seen[path] = value
            self._values[path] = engine_value(value)
        return value

    def get(self, path: str, default: Any = None) -> Any:
        """The engine value at `path` (what conditions compare), or `default` when absent."""
        value = self._values.get(path, _UNSEEN)
        if value is _UNSEEN:
            self.seen(path)
            value = self._values[path]
        return default if value is _ABSENT else value

    def engine_values(self, paths) -> dict:
        """path -> engine value for the present ones of `paths` (what durable-rules is given)."""
        out = {}
        for path in paths:
            value = self.get(path, _ABSENT)
            if value is not _ABSENT:
                out[path] = value
        return out

    def used(self, paths) -> dict:
        """path -> normalised value of the present ones of `paths` (for the decision trail)."""
        return {p: self._seen[p] for p in paths if self.get(p, _ABSENT) is not _ABSENT}


_ABSENT = object()
_UNSEEN = object()


def flatten(facts: dict, prefix: str = "") -> dict:
    """Nested facts as path -> value (leaves only), to compare two states of a draft."""
    out: dict = {}
    _flatten_into(out, facts, prefix)
    return out


def _flatten_into(out: dict, facts: dict, prefix: str) -> None:
    for key, value in facts.items():
        if isinstance(value, dict):
            _flatten_into(out, value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
