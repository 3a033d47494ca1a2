"""The plain-Python reading of a condition tree.

It is the reference the durable-rules engine is tested against, and it shares
the semantics stated in docs/rule-format.md: a test on an absent fact is false
(`not` was already pushed down to the tests), except `exists: false`.
"""
from __future__ import annotations

import operator
from typing import Any

from .model import All, Any_, Condition, FactRef, Test

_ABSENT = object()

COMPARE = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
    "gt": operator.gt, "gte": operator.ge,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
}


def holds(cond: Condition | None, values) -> bool:
    """Whether `cond` holds for the prepared values (a FactView, or a mapping path -> engine
    value with absent facts left out). No condition always holds."""
    if cond is None:
        return True
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
