"""durable-rules behind a small interface (see /work/shared/notes/durable-rules.md).

One DurableRuleset per rule set, owned by the RuleBook (never built at import time):
its own Host with the background dispatcher disabled, a lock around each
evaluation, assert_fact + retract_fact of one guarded fact on a constant sid,
one action per rule that only records which rule fired. The rule set is compiled
to patterns and packed into durable-rules rulesets that stay within the engine's
fixed limits (durable_network.py): usually one, more for large rule sets.
"""
from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

from durable.engine import Host, MessageNotHandledException

from ..say import say
from .durable_network import ordered, patterns, shards
from .model import All, Any_, Condition, FactRef, RuleEvaluationError, Test

GUARD = "govflow_fact"       # only our facts carry it: the engine's own state never matches
SID = "0"


EXPRESSION_LIMIT = 30      # durable-rules: 32 "expressions" per rule ($and/$or count 2, $m 1)


def compile_rule(cond: Condition) -> dict:
    """Our condition tree -> one durable-rules pattern, guarded, through a whitelist of operators."""
    return {"$and": [{GUARD: 1}] + _items(cond)}


def expression_count(expr: Any) -> int:
    """How many of durable-rules' per-rule expression slots a pattern uses (limit: EXPRESSION_LIMIT)."""
    if isinstance(expr, list):
        return sum(expression_count(e) for e in expr)
    if not isinstance(expr, dict):
        return 0
    count = 0
    for key, value in expr.items():
        if key in ("$and", "$or"):
            count += 2
        elif key == "$m":
            count += 1
        count += expression_count(value)
    return count


def _items(cond: Condition) -> list[dict]:
    """The pattern as a list of conjuncts; nested `all` is flattened to save expression slots."""
    if isinstance(cond, All):
        return [item for c in cond.items for item in _items(c)]
    if isinstance(cond, Any_):
        return [{"$or": [_one(c) for c in cond.items]}]
    return _test(cond)


def _one(cond: Condition) -> dict:
    items = _items(cond)
    return items[0] if len(items) == 1 else {"$and": items}


def _test(test: Test) -> list[dict]:
    """One test. Measured: a `$m` comparison with an absent field matches for every operator,
    so both facts are required to exist; constant comparisons on an absent field never match."""
    path, op, value = test.path, test.op, test.value
    if op == "exists":
        return [{"$ex" if value else "$nex": {path: 1}}]
    if isinstance(value, FactRef):
        return [{"$ex": {path: 1}}, {"$ex": {value.path: 1}}, _compare(path, op, {"$m": value.path})]
    if op == "in":
        alternatives = [{path: v} for v in value]
        return alternatives if len(alternatives) == 1 else [{"$or": alternatives}]
    if op == "not_in":
        return [{"$neq": {path: v}} for v in value]
    return [_compare(path, op, value)]


def _compare(path: str, op: str, value: Any) -> dict:
    if op == "eq":
        return {path: value}
    if op == "ne":
        return {"$neq": {path: value}}
    if op in ("lt", "lte", "gt", "gte"):
        return {f"${op}": {path: value}}
    raise RuleEvaluationError(say("rules.engine.no_operator", op=op))   # unreachable: checked at load


class _QuietHost(Host):
    """A Host without the background timer threads (they crash under concurrent use)."""

    def _run(self) -> None:
        return None


def nested(values: dict[str, Any]) -> dict:
    """Flat path -> value back into the nested dict durable-rules reads with dotted paths."""
    out: dict = {}
    for path, value in values.items():
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


_MISSING = object()


def fact_plan(paths) -> tuple:
    """The paths a rule set reads, split once (at load): (path, parents, leaf) in order."""
    out = []
    for path in dict.fromkeys(paths):
        *parents, leaf = path.split(".")
        out.append((path, tuple(parents), leaf))
    return tuple(out)


def guarded_fact(plan: tuple, get) -> dict:
    """The guarded fact durable-rules is given: nested(values) of the present values (`get(path,
    default)`), plus the guard and the sid, built in one pass over a `fact_plan`."""
    fact: dict = {}
    for path, parents, leaf in plan:
        value = get(path, _MISSING)
        if value is _MISSING:
            continue
        node = fact
        for part in parents:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        node[leaf] = value
    fact[GUARD] = 1
    fact["sid"] = SID
    return fact


class DurableRuleset:
    """One rule set compiled into a durable-rules host of its own.
    `fire(values)` -> indexes of the rules that fired."""

    def __init__(self, name: str, conditions: list[Condition]):
        self.base_name = name
        self.conditions = list(conditions)
        self._lock = threading.Lock()
        self._fired: list[int] = []
        self.builds = 0                    # how often the engine was compiled (once, unless it failed)
        self._build()

    def _build(self) -> None:
        base = f"{self.base_name}_{uuid.uuid4().hex[:12]}"
        compiled = [(index, p) for index, cond in enumerate(self.conditions)
                    for p in patterns(cond, _test, _items)]
        guarded = [(index, {"$and": [{GUARD: 1}] + p})
                   for (index, _), p in zip(compiled, ordered([p for _, p in compiled]), strict=True)]
        definitions = {}
        for number, shard in enumerate(shards(guarded)):
            definitions[f"{base}_{number}"] = {
                f"r{index}_{j}": {"all": [{"m": pattern}], "run": self._recorder(index)}
                for j, (index, pattern) in enumerate(shard)}
        self.names = list(definitions)                     # at least one (empty for an empty rule set)
        self.name = self.names[0]
        self.definition = copy.deepcopy(definitions)       # set_rulesets mutates what it is given
        self._host = _QuietHost()
        self.builds += 1
        self._host.set_rulesets(definitions)

    def _recorder(self, index: int):
        def record(_closure) -> None:
            self._fired.append(index)
        return record

    def fire(self, values: dict[str, Any]) -> list[int]:
        fact = nested(values)
        fact[GUARD] = 1
        fact["sid"] = SID
        return self.fire_fact(fact)

    def fire_fact(self, fact: dict) -> list[int]:
        """`fact` already nested and guarded (guarded_fact)."""
        with self._lock:
            self._fired.clear()
            try:
                for name in self.names:
                    try:
                        self._host.assert_fact(name, fact)
                    except MessageNotHandledException:
                        continue                          # no rule matched: nothing fired, nothing to retract
                    try:
                        self._host.retract_fact(name, fact)
                    except MessageNotHandledException:
                        pass
            except Exception as exc:                      # engine state unknown: start afresh
                fired_before = list(self._fired)
                self._build()
                raise RuleEvaluationError(say("rules.engine.failed", ruleset=self.base_name,
                                              error=f"{type(exc).__name__}: {exc}", fired=fired_before)) from exc
            fired = self._fired
            return sorted(set(fired)) if len(fired) > 1 else list(fired)
