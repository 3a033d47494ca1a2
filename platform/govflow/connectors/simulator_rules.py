"""The little language of a connector's `simulator:` block: when an operation is refused
(`refuse: [{code, if: CONDITION}]`) and what an accepted call changes in the record
(`change: [CHANGE ...]`). The format: docs/connectors.md.

Each keyword is one small function in a table (as jsonschema's validators are), so the
evaluator (here), the checker (simulator_check.py) and the oracle of the tests agree on one list:

- CONDITION: a subject and its tests, all of which must hold: `{field: F, OP: V}` (a field of
  the record), `{request: R, OP: V}`, `{request: R, empty: true|false}`,
  `{request: R, not_all_in: PROJECTION}` (a list with an element not in the projection),
  `{request: R, not_in: PROJECTION}`, `{count: SELECTION, OP: N}`; or `{all: [...]}`,
  `{any: [...]}`. OP is one of eq ne gt gte lt lte in.
- SELECTION `{list: L, where: {item field: MATCH}}` keeps the items of list field L that match;
  PROJECTION is a SELECTION with `pick: item field`. MATCH is a constant (equal), `{ne: V}`,
  `{request: R}` (equal to a request field) or `{in_request: R}` (in a list request field).
- CHANGE: `{list: L, where: {...}, set: {f: VALUE}}`, `{list: L, append: {f: VALUE}}`,
  `{field: F, add: N}`, `{field: F, set: VALUE}`; a VALUE is a constant or `{request: R}`.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

from ..rules.model import FactType

Record = dict
Request = dict

# the empty value of each type: a field the record lacks, or a person the system does not know
EMPTY: dict[str, Any] = {"integer": 0, "number": 0, "boolean": False}


def empty_value(fact_type: FactType) -> Any:
    return [] if fact_type.type == "array" else EMPTY.get(fact_type.type)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (list, tuple, dict)) and not value)


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def value_of(spec: Any, request: Request) -> Any:
    """A VALUE: `{request: R}` is that request field, anything else is itself."""
    if isinstance(spec, dict) and set(spec) == {"request"}:
        return request.get(spec["request"])
    return spec


# ---- MATCH: one `where:` entry, against one item's field ----------------------------------

MATCHES: dict[str, Callable[[Any, Any, Request], bool]] = {
    "ne": lambda value, arg, request: value != arg,
    "request": lambda value, arg, request: value == request.get(arg),
    "in_request": lambda value, arg, request: value in as_list(request.get(arg)),
}


def match_kind(match: Any) -> str | None:
    """The MATCHES keyword of a `{kw: arg}` match, None for a constant."""
    if isinstance(match, dict) and len(match) == 1 and next(iter(match)) in MATCHES:
        return next(iter(match))
    return None


def matches(item: dict, where: dict, request: Request) -> bool:
    for name, match in where.items():
        kind = match_kind(match)
        value = item.get(name)
        if kind is None:
            if value != match:
                return False
        elif not MATCHES[kind](value, match[kind], request):
            return False
    return True


def select(record: Record, selection: dict, request: Request) -> list[dict]:
    items = record.get(selection["list"]) or []
    where = selection.get("where") or {}
    return [item for item in items if isinstance(item, dict) and matches(item, where, request)]


def project(record: Record, projection: dict, request: Request) -> list:
    return [item.get(projection["pick"]) for item in select(record, projection, request)]


# ---- CONDITION -----------------------------------------------------------------------------

def _compare(op: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def test(value, arg, record, request) -> bool:
        try:
            return bool(op(value, arg))
        except TypeError:            # e.g. None > 0: a missing value is never greater nor smaller
            return False
    return test


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge,
    "lt": operator.lt, "lte": operator.le, "in": lambda value, arg: value in as_list(arg),
}

# test keyword -> test(value of the subject, the keyword's argument, record, request)
TESTS: dict[str, Callable[[Any, Any, Record, Request], bool]] = {
    **{name: _compare(op) for name, op in COMPARISONS.items()},
    "empty": lambda value, arg, record, request: is_empty(value) == bool(arg),
    "not_all_in": lambda value, arg, record, request: any(
        v not in project(record, arg, request) for v in as_list(value)),
    "not_in": lambda value, arg, record, request: value not in project(record, arg, request),
}

# subject keyword -> the value its tests look at
SUBJECTS: dict[str, Callable[[dict, Record, Request], Any]] = {
    "field": lambda cond, record, request: record.get(cond["field"]),
    "request": lambda cond, record, request: request.get(cond["request"]),
    "count": lambda cond, record, request: len(select(record, cond["count"], request)),
}
# which tests each subject takes (the checker's list)
SUBJECT_TESTS: dict[str, frozenset[str]] = {
    "field": frozenset(COMPARISONS) | {"empty"},
    "request": frozenset(TESTS),
    "count": frozenset(COMPARISONS),
}

COMPOUNDS: dict[str, Callable[[Any], bool]] = {"all": all, "any": any}


def subject_of(cond: dict) -> str | None:
    return next((k for k in (*COMPOUNDS, *SUBJECTS) if k in cond), None)


def holds(cond: dict, record: Record, request: Request) -> bool:
    """Whether CONDITION `cond` (checked by simulator_check.py) holds for the record and request."""
    head = subject_of(cond)
    if head in COMPOUNDS:
        return COMPOUNDS[head](holds(c, record, request) for c in cond[head])
    if head is None:
        raise ValueError(f"not a condition: {cond!r}")
    value = SUBJECTS[head](cond, record, request)
    return all(TESTS[k](value, arg, record, request) for k, arg in cond.items() if k != head)


# ---- CHANGE --------------------------------------------------------------------------------

def _set_items(change: dict, record: Record, request: Request) -> None:
    where = change.get("where") or {}
    for item in record.get(change["list"]) or []:
        if isinstance(item, dict) and matches(item, where, request):
            item.update({k: value_of(v, request) for k, v in change["set"].items()})


def _append(change: dict, record: Record, request: Request) -> None:
    items = record.get(change["list"])
    record[change["list"]] = list(items or []) + [{k: value_of(v, request) for k, v in change["append"].items()}]


def _add(change: dict, record: Record, request: Request) -> None:
    record[change["field"]] = (record.get(change["field"]) or 0) + value_of(change["add"], request)


def _set_field(change: dict, record: Record, request: Request) -> None:
    record[change["field"]] = value_of(change["set"], request)


# (subject, verb) -> the change; the keys each may have (the checker's list)
CHANGES: dict[tuple[str, str], Callable[[dict, Record, Request], None]] = {
    ("list", "set"): _set_items, ("list", "append"): _append,
    ("field", "add"): _add, ("field", "set"): _set_field,
}
CHANGE_KEYS: dict[tuple[str, str], frozenset[str]] = {
    ("list", "set"): frozenset({"list", "where", "set"}), ("list", "append"): frozenset({"list", "append"}),
    ("field", "add"): frozenset({"field", "add"}), ("field", "set"): frozenset({"field", "set"}),
}


def change_kind(change: dict) -> tuple[str, str] | None:
    subject = next((s for s in ("list", "field") if s in change), None)
    verb = next((v for v in ("set", "append", "add") if v in change), None)
    kind = (subject, verb)
    return kind if kind in CHANGES else None


def apply(changes: list, record: Record, request: Request) -> None:
    """Apply the CHANGEs in order to `record` (in place: the caller's copy)."""
    for change in changes:
        kind = change_kind(change)
        if kind is None:
            raise ValueError(f"not a change: {change!r}")
        CHANGES[kind](change, record, request)
