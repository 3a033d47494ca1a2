"""Checks of an operation's `simulator:` block (connectors/<id>.yaml), for the connectors' loader.

`check_simulator(connector, operation, catalog)` returns (path, code, message) of each problem:
the path is from the connector file's root (`operations`, name, `simulator`, ...), so the
loader can give it a file and line (yamlsource.Source.problem). Fields and lists must be ones
the world's look-ups return (of every connector in `catalog` with the same `world:`), request
names ones the operation declares, codes its declared failures. The keywords come from the
tables of simulator_rules.py, so the checker and the evaluator know the same language.
"""
from __future__ import annotations

from ..rules.model import FactType
from ..say import names, say
from .model import Catalog, Connector, Operation
from .simulator_rules import CHANGE_KEYS, COMPOUNDS, MATCHES, SUBJECT_TESTS, change_kind, match_kind, subject_of

BLOCK_KEYS = ("key", "reference", "once_per_application", "invalid", "refuse_first", "outage", "refuse", "change",
              "progress")
STEP_KEYS = ("status", "after_minutes", "if", "report")
CODE_KEYS = ("invalid", "refuse_first", "outage")
MAX_DIGITS = 20

Problems = list[tuple[tuple, str, str]]


class _Checker:
    def __init__(self, operation: Operation, world: dict[str, FactType], base: tuple):
        self.operation = operation
        self.world = world
        self.base = base
        self.problems: Problems = []

    def add(self, path: tuple, code: str, message: str) -> None:
        self.problems.append((self.base + path, code, message))

    # ---- names -------------------------------------------------------------------------

    def request(self, path: tuple, name) -> None:
        if name not in self.operation.request:
            self.add(path, "simulator.unknown_request_field", say("simulator.unknown_request_field",
                     name=name, known=names(self.operation.request)))

    def field(self, path: tuple, name) -> None:
        if name not in self.world:
            self.add(path, "simulator.unknown_field",
                     say("simulator.unknown_field", name=name, known=names(self.world)))

    def code(self, path: tuple, code) -> None:
        if code not in self.operation.failures:
            self.add(path, "simulator.unknown_failure", say("simulator.unknown_failure",
                     code=code, known=names(self.operation.failures)))

    def list_items(self, path: tuple, name) -> dict[str, FactType] | None:
        """The item fields of list `name` of the record (None, and a problem, if it is none)."""
        fact = self.world.get(name)
        if fact is None or fact.type != "array" or fact.items is None or fact.items.type != "object":
            self.add(path, "simulator.not_a_list", say("simulator.not_a_list", name=name))
            return None
        return dict(fact.items.fields)

    def value(self, path: tuple, value) -> None:
        if isinstance(value, dict):
            if set(value) == {"request"}:
                self.request(path + ("request",), value["request"])
            else:
                self.add(path, "simulator.value", say("simulator.value"))

    def keys(self, path: tuple, data: dict, known) -> None:
        for k in data:
            if k not in known:
                self.add(path + (k,), "simulator.unknown_key", say("simulator.unknown_key",
                         key=k, known=names(known)))

    # ---- the block -----------------------------------------------------------------------

    def block(self, block) -> None:
        if not isinstance(block, dict):
            self.add((), "simulator.shape", say("simulator.shape.mapping"))
            return
        self.keys((), block, BLOCK_KEYS)
        if "key" in block:
            self.request(("key",), block["key"])
        for name in CODE_KEYS:
            if name in block:
                self.code((name,), block[name])
        outage = self.operation.failures.get(block.get("outage"))   # type: ignore[arg-type]
        if outage is not None and not outage.transient:
            self.add(("outage",), "simulator.outage_not_transient", say("simulator.outage_not_transient",
                     code=outage.code))
        if "reference" in block:
            self.reference(block["reference"])
        if not isinstance(block.get("once_per_application", False), bool):
            self.add(("once_per_application",), "simulator.shape", say("simulator.shape.boolean"))
        for i, rule in enumerate(self.listed(("refuse",), block.get("refuse"))):
            self.refusal(("refuse", i), rule)
        for i, change in enumerate(self.listed(("change",), block.get("change"))):
            self.change(("change", i), change)
        for i, step in enumerate(self.listed(("progress",), block.get("progress"))):
            self.step(("progress", i), step)

    def step(self, path: tuple, step) -> None:
        """One step of `progress:` (a status operation: simulator_progress.py)."""
        after = step.get("after_minutes") if isinstance(step, dict) else None
        if not isinstance(step, dict) or step.get("status") not in self.operation.statuses \
                or isinstance(after, bool) or not isinstance(after, (int, float)) or after < 0:
            self.add(path, "simulator.progress", say("simulator.progress"))
            return
        self.keys(path, step, STEP_KEYS)
        if "if" in step:
            self.condition(path + ("if",), step["if"])
        for name, value in (step.get("report") or {}).items():
            number = isinstance(value, dict) and set(value) == {"prefix", "digits"}
            asked = isinstance(value, dict) and set(value) == {"request"}
            if name not in self.operation.response or not (number or asked):
                self.add(path + ("report", name), "simulator.progress_report",
                         say("simulator.progress_report", name=name))
            elif asked:
                self.request(path + ("report", name, "request"), value["request"])

    def listed(self, path: tuple, items) -> list:
        if items is None:
            return []
        if not isinstance(items, list):
            self.add(path, "simulator.shape", say("simulator.shape.list"))
            return []
        return items

    def reference(self, spec) -> None:
        ok = isinstance(spec, dict) and isinstance(spec.get("prefix"), str) \
            and isinstance(spec.get("digits"), int) and 1 <= spec["digits"] <= MAX_DIGITS
        if not ok:
            self.add(("reference",), "simulator.reference", say("simulator.reference", max=MAX_DIGITS))
        elif isinstance(spec, dict):
            self.keys(("reference",), spec, ("prefix", "digits"))

    def refusal(self, path: tuple, rule) -> None:
        if not isinstance(rule, dict) or "code" not in rule or "if" not in rule:
            self.add(path, "simulator.shape", say("simulator.shape.refusal"))
            return
        self.keys(path, rule, ("code", "if"))
        self.code(path + ("code",), rule["code"])
        self.condition(path + ("if",), rule["if"])

    # ---- conditions, selections, changes --------------------------------------------------

    def condition(self, path: tuple, cond) -> None:
        head = subject_of(cond) if isinstance(cond, dict) else None
        if head is None:
            self.add(path, "simulator.condition", say("simulator.condition",
                     known=names((*COMPOUNDS, *SUBJECT_TESTS))))
            return
        if head in COMPOUNDS:
            self.keys(path, cond, (head,))
            for i, part in enumerate(self.listed(path + (head,), cond[head])):
                self.condition(path + (head, i), part)
            return
        tests = [k for k in cond if k != head]
        if not tests:
            self.add(path, "simulator.no_test", say("simulator.no_test", known=names(sorted(SUBJECT_TESTS[head]))))
        self.keys(path, {k: v for k, v in cond.items() if k != head}, sorted(SUBJECT_TESTS[head]))
        if head == "field":
            self.field(path + ("field",), cond["field"])
        elif head == "request":
            self.request(path + ("request",), cond["request"])
        else:
            self.selection(path + ("count",), cond["count"])
        for test in ("not_all_in", "not_in"):
            if test in cond:
                self.selection(path + (test,), cond[test], pick=True)

    def selection(self, path: tuple, spec, pick: bool = False) -> None:
        if not isinstance(spec, dict) or "list" not in spec or (pick and "pick" not in spec):
            self.add(path, "simulator.selection", say("simulator.selection.pick" if pick else "simulator.selection"))
            return
        self.keys(path, spec, ("list", "where", "pick") if pick else ("list", "where"))
        fields = self.list_items(path + ("list",), spec["list"])
        if fields is None:
            return
        self.where(path + ("where",), spec.get("where") or {}, spec["list"], fields)
        if pick and spec["pick"] not in fields:
            self.item_field(path + ("pick",), spec["list"], spec["pick"], fields)

    def where(self, path: tuple, where, list_name: str, fields: dict) -> None:
        if not isinstance(where, dict):
            self.add(path, "simulator.shape", say("simulator.shape.mapping"))
            return
        for name, match in where.items():
            if name not in fields:
                self.item_field(path + (name,), list_name, name, fields)
            kind = match_kind(match)
            if kind in ("request", "in_request"):
                self.request(path + (name, kind), match[kind])
            elif kind is None and isinstance(match, dict):
                self.add(path + (name,), "simulator.match", say("simulator.match", known=names(MATCHES)))

    def item_field(self, path: tuple, list_name: str, name, fields: dict) -> None:
        self.add(path, "simulator.unknown_item_field", say("simulator.unknown_item_field",
                 list=list_name, name=name, known=names(fields)))

    def change(self, path: tuple, change) -> None:
        kind = change_kind(change) if isinstance(change, dict) else None
        if kind is None:
            self.add(path, "simulator.change", say("simulator.change"))
            return
        self.keys(path, change, sorted(CHANGE_KEYS[kind]))
        if kind[0] == "field":
            self.field(path + ("field",), change["field"])
            self.value(path + (kind[1],), change[kind[1]])
            return
        fields = self.list_items(path + ("list",), change["list"])
        if fields is None:
            return
        if kind[1] == "set":
            self.where(path + ("where",), change.get("where") or {}, change["list"], fields)
        values = change[kind[1]]
        if not isinstance(values, dict):
            self.add(path + (kind[1],), "simulator.shape", say("simulator.shape.mapping"))
            return
        for name, value in values.items():
            if name not in fields:
                self.item_field(path + (kind[1], name), change["list"], name, fields)
            self.value(path + (kind[1], name), value)


def world_fields(connector: Connector, catalog: Catalog | None = None) -> dict[str, FactType]:
    """What the records of the connector's world hold: every field its world's look-ups return."""
    connectors = [connector] + [c for c in (catalog.connectors.values() if catalog else ())
                                if c.world == connector.world and c.id != connector.id]
    return {name: t for c in connectors for lk in c.lookups.values() for name, t in lk.returns.items()}


def check_simulator(connector: Connector, operation: Operation, catalog: Catalog | None = None) -> Problems:
    """The problems of `operation.simulator` (nothing for an operation without one)."""
    base = ("operations", operation.name, "simulator")
    if not operation.simulator:
        return []
    if connector.world is None:
        return [(base, "simulator.no_world", say("simulator.no_world", connector=connector.id))]
    checker = _Checker(operation, world_fields(connector, catalog), base)
    checker.block(operation.simulator)
    return checker.problems
