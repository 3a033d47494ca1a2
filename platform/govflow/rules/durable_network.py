"""The shape of the durable-rules network a rule set compiles to, kept inside the engine's limits.

durable-rules (src/rules/rete.c, events.c of 2.0.28) builds one alpha network per ruleset: each
pattern `{"$and": [t1, t2, ...]}` is a chain of test nodes, shared between patterns with the same
prefix; an `$or` adds an unshared "forward" node that every alternative points to and that is
always visited when an alternative matches. Its fixed-size tables set hard limits:

- a node has at most 511 test children (NEXT_BUCKET_LENGTH 512) and 128 `$nex`/forward children
  (NEXT_LIST_LENGTH); at most 256 patterns end at one node (BETA_LIST_LENGTH); 4,096 rules per ruleset;
- evaluating a fact walks the network depth first with a stack of 64 nodes (MAX_STACK_SIZE): every
  matching child is pushed at once, so a node with many children that match the same fact (rule
  after rule starting with `in: [...]`, i.e. an `$or`) makes the evaluation fail ("error code: 303").

So the compiler here (1) writes `in`/`any` as several patterns (one per alternative, all recording
the same rule) instead of `$or`, up to DNF_LIMIT patterns per rule; (2) orders each pattern's tests by
how few different tests the rule set has on that fact (so that patterns share their first nodes and
the wide fan-out comes last, where equality tests exclude each other); and (3) packs the patterns
into as few durable-rules rulesets ("shards") as the limits allow, simulating the network as
durable-rules builds it. One shard is usual; each extra shard costs one more assert per evaluation.
"""
from __future__ import annotations

import itertools
import json
from collections import Counter

from .model import Any_, Condition, Test

DNF_LIMIT = 16           # patterns one rule may become; beyond that its `$or`s stay, placed last
LIMITS = {"tests": 480, "others": 120, "ends": 240, "stack": 56, "patterns": 4000}


def patterns(cond: Condition, test, items) -> list[list[dict]]:
    """The rule as a list of patterns (each a list of conjuncts, without the guard): one per
    alternative of its `in`/`any`, or, above DNF_LIMIT, `items(cond)` as one pattern.
    `test(Test)` and `items(cond)` are the adapter's compilers of one test and of a whole tree."""
    found = _dnf(cond, test)
    return found if found is not None else [items(cond)]


def _dnf(cond: Condition, test) -> list[list[dict]] | None:
    if isinstance(cond, Test):
        if cond.op == "in" and isinstance(cond.value, tuple):
            return [[{cond.path: v}] for v in cond.value] if len(cond.value) <= DNF_LIMIT else None
        return [test(cond)]
    parts: list[list[list[dict]]] = []
    for item in cond.items:
        found = _dnf(item, test)
        if found is None:
            return None
        parts.append(found)
    if isinstance(cond, Any_):
        out = [conj for p in parts for conj in p]
        return out if len(out) <= DNF_LIMIT else None
    size = 1
    for p in parts:
        size *= len(p)
    if size > DNF_LIMIT:
        return None
    return [[c for conj in combo for c in conj] for combo in itertools.product(*parts)]


def _key(conjunct: dict) -> str:
    return json.dumps(conjunct, sort_keys=True, default=str)


def _path(conjunct: dict) -> str | None:
    """The fact a test reads (None for `$and` / `$or`)."""
    (op, body), = conjunct.items()
    if op in ("$and", "$or"):
        return None
    if op.startswith("$") and isinstance(body, dict) and len(body) == 1:
        return next(iter(body))
    return op


def ordered(all_patterns: list[list[dict]]) -> list[list[dict]]:
    """Each pattern's conjuncts, duplicates dropped, the facts with fewest different tests first
    (ties by fact name), groups (`$or` / `$and`) last: the same order for every pattern of the set."""
    keyed = [[(_key(c), c) for c in p] for p in all_patterns]
    distinct: Counter = Counter()
    for conjunct in {k: c for p in keyed for k, c in p}.values():
        distinct[_path(conjunct)] += 1

    def rank(item):
        key, conjunct = item
        path = _path(conjunct)
        return (path is None, distinct[path], path or "", key)

    return [[c for _, c in sorted(dict(p).items(), key=rank)] for p in keyed]


class _Node:
    __slots__ = ("children", "eq_paths", "eqs", "tests", "others", "ends", "below", "stack")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.eq_paths: set[str] = set()     # facts with equality children: at most one of them matches
        self.eqs = 0                        # equality children
        self.tests = 0                      # children in the hash set (tests other than $nex)
        self.others = 0                     # $nex and forward children: pushed whenever visited
        self.ends = 0                       # patterns ending here
        self.below = 0                      # the most any child needs on the stack
        self.stack = 0


def _matching(node: _Node) -> int:
    """How many children one fact can push at once (equalities on one fact exclude each other)."""
    return len(node.eq_paths) + node.tests - node.eqs + node.others


class Network:
    """A simulation of one durable-rules ruleset's alpha network, pattern by pattern."""

    def __init__(self) -> None:
        self.root = _Node()
        self.patterns = 0

    def add(self, pattern: dict) -> bool:
        """Add `pattern` (a guarded `{"$and": [...]}`); whether the network is still within LIMITS."""
        edges: list[tuple[_Node, _Node]] = []
        end = self._add(self.root, pattern, edges)
        end.ends += 1
        self.patterns += 1
        ok = end.ends <= LIMITS["ends"] and self.patterns <= LIMITS["patterns"]
        for parent, child in reversed(edges):
            child.stack = _matching(child) + child.below
            parent.below = max(parent.below, child.stack)
            ok = ok and parent.tests <= LIMITS["tests"] and parent.others <= LIMITS["others"]
        self.root.stack = _matching(self.root) + self.root.below
        return ok and self.root.stack <= LIMITS["stack"]

    def _add(self, parent: _Node, expr: dict, edges: list) -> _Node:
        (op, body), = expr.items()
        if op == "$and":
            node = parent
            for item in body:
                node = self._add(node, item, edges)
            return node
        if op == "$or":
            forward = _Node()
            for alternative in body:
                end = self._add(parent, alternative, edges)
                end.others += 1
                edges.append((end, forward))
            return forward
        key = _key(expr)
        child = parent.children.get(key)
        if child is None:
            child = parent.children[key] = _Node()
            if op == "$nex":
                parent.others += 1
            else:
                parent.tests += 1
                if not op.startswith("$") and not isinstance(body, dict):     # {path: constant}
                    parent.eq_paths.add(op)
                    parent.eqs += 1
        edges.append((parent, child))
        return child


def shards(guarded: list[tuple[int, dict]]) -> list[list[tuple[int, dict]]]:
    """(rule index, guarded pattern) packed in order into shards that each fit LIMITS."""
    out: list[list[tuple[int, dict]]] = [[]]
    network = Network()
    for item in guarded:
        if network.add(item[1]) or not out[-1]:
            out[-1].append(item)
            continue
        out.append([item])                 # the shard is full: this pattern starts the next one
        network = Network()
        network.add(item[1])
    return out
