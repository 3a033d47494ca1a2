"""The plain-Python reading of a condition tree.

It is the reference the durable-rules engine is tested against, and it shares
the semantics stated in docs/rule-format.md: a test on an absent fact is false
(`not` was already pushed down to the tests), except `exists: false`.
"""
from __future__ import annotations

import operator
from typing import Any

from .facts import engine_value, get_path
from .model import All, Any_, Condition, FactRef, RuleEvaluationError, Test, negate, paths_read

_ABSENT = object()

COMPARE = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
    "gt": operator.gt, "gte": operator.ge,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
}


def holds(cond: Condition, values: dict[str, Any]) -> bool:
    """Whether `cond` holds for the prepared values (path -> engine value, absent left out)."""
    if isinstance(cond, All):
        return all(holds(c, values) for c in cond.items)
    if isinstance(cond, Any_):
        return any(holds(c, values) for c in cond.items)
    return _test(cond, values)


def _test(test: Test, values: dict[str, Any]) -> bool:
    actual = values.get(test.path, _ABSENT)
    if test.op == "exists":
        return (actual is not _ABSENT) == test.value
    if actual is _ABSENT:
        return False
    expected = test.value
    if isinstance(expected, FactRef):
        expected = values.get(expected.path, _ABSENT)
        if expected is _ABSENT:
            return False
    return COMPARE[test.op](actual, expected)


def evaluate_condition(when: dict, facts: dict) -> bool:
    """A raw `when:` mapping (as in a flow file) read against nested facts, with the semantics of
    rule files but without type checks; flow files are checked by their own loader.
    `{options: ...}` needs pick-lists and is not supported here."""
    cond = _untyped(when)
    values = {}
    for path in paths_read(cond):
        value = get_path(facts, path)
        if value is not None:
            values[path] = engine_value(value)
    return holds(cond, values)


def _untyped(node: Any) -> Condition:
    if not isinstance(node, dict):
        raise RuleEvaluationError(f"a condition must be a mapping, got {node!r}")
    if "all" in node or "any" in node:
        key = "all" if "all" in node else "any"
        items = tuple(_untyped(c) for c in node[key])
        return All(items) if key == "all" else Any_(items)
    if "not" in node:
        return negate(_untyped(node["not"]))
    ops = [k for k in node if k != "fact"]
    if "fact" not in node or len(ops) != 1 or ops[0] not in COMPARE and ops[0] != "exists":
        raise RuleEvaluationError(f"not a test {{fact: PATH, OP: VALUE}}: {node!r}")
    op, value = ops[0], node[ops[0]]
    if isinstance(value, dict) and set(value) == {"fact"}:
        value = FactRef(value["fact"])
    elif op in ("in", "not_in"):
        if not isinstance(value, list):
            raise RuleEvaluationError(f"{op} takes a list here: {node!r}")
        value = tuple(engine_value(v) for v in value)
    elif op != "exists":
        value = engine_value(value)
    return Test(node["fact"], op, value)
