"""Reading a rule's `when:` into a checked condition tree.

Every mistake becomes a Problem with file:line and a hint, so that a rule that
could never match (wrong type, misspelt fact, unknown operator) is refused at load.
"""
from __future__ import annotations

import difflib
from typing import Any

from ..say import names, say
from ..yamlsource import Source
from .facts import coerce, engine_value
from .model import All, Any_, Condition, FactRef, FactType, Test, negate

COMPARE_OPS = ("eq", "ne", "lt", "lte", "gt", "gte")
ORDERED_OPS = ("lt", "lte", "gt", "gte")
LIST_OPS = ("in", "not_in")
OPERATORS = COMPARE_OPS + LIST_OPS + ("exists", "within")
ORDERED_TYPES = ("integer", "number", "date")
TYPES = ("string", "integer", "number", "boolean", "date")


def a_type(name: str) -> str:
    """A value of fact type `name`, in words (“整数” / 'an integer')."""
    return say(f"cond.type.{name}") if name in TYPES else name


def type_hint(name: str) -> str:
    """How to write a value of fact type `name` in YAML."""
    return say(f"cond.type_hint.{name}") if name in TYPES else say("cond.type_hint.string")


def did_you_mean(word: str, choices) -> str | None:
    close = difflib.get_close_matches(str(word), list(choices), n=3, cutoff=0.5)
    if not close:
        return None
    return say("hint.did_you_mean", name=close[0]) if len(close) == 1 else \
        say("cond.did_you_mean_one_of", names=names(close))


class ConditionReader:
    """Checks and builds conditions for one rule file."""

    def __init__(self, source: Source, types: dict[str, FactType], picklists, catalogue=None):
        self.source = source
        self.types = types
        self.picklists = picklists
        self.catalogue = catalogue      # where tests on lists add their hidden counts (None: not here)
        self.problems: list = []

    def problem(self, path: tuple, code: str, message: str, hint: str | None = None) -> None:
        self.problems.append(self.source.problem(path, code, message, hint))

    def read(self, node: Any, path: tuple) -> Condition | None:
        if not isinstance(node, dict) or not node:
            self.problem(path, "rule.bad_condition", say("cond.not_mapping"), say("cond.not_mapping.hint"))
            return None
        if "fact" in node and isinstance(node["fact"], str) and \
                getattr(self.types.get(node["fact"]), "type", None) == "array":
            from .list_conditions import read_list_test
            return read_list_test(self, node, path)
        for key in ("all", "any", "not"):
            if key in node:
                if len(node) != 1:
                    extra = names(str(k) for k in node if k != key)
                    self.problem(path, "rule.bad_condition", say("cond.group_with_more", key=key, extra=extra),
                                 say("cond.group_with_more.hint", key=key))
                    return None
                return self._group(key, node[key], path + (key,))
        if "fact" not in node:
            keys = names(str(k) for k in node)
            self.problem(path, "rule.bad_condition", say("cond.no_fact", keys=keys), say("cond.no_fact.hint"))
            return None
        return self._test(node, path)

    def _group(self, key: str, value: Any, path: tuple) -> Condition | None:
        if key == "not":
            inner = self.read(value, path)
            return negate(inner) if inner is not None else None
        if not isinstance(value, list) or not value:
            self.problem(path, "rule.bad_condition", say("cond.empty_group", key=key),
                         say("cond.empty_group.hint", key=key))
            return None
        items = [self.read(item, path + (i,)) for i, item in enumerate(value)]
        if any(item is None for item in items):
            return None
        return All(tuple(items)) if key == "all" else Any_(tuple(items))

    def _test(self, node: dict, path: tuple) -> Test | None:
        fact = node["fact"]
        ops = [k for k in node if k != "fact"]
        unknown = [k for k in ops if k not in OPERATORS]
        for op in unknown:
            self.problem(path + (op,), "rule.unknown_operator", say("cond.unknown_operator", op=op),
                         did_you_mean(op, OPERATORS) or say("cond.operators", names=names(OPERATORS)))
        ftype = self._fact_type(fact, path + ("fact",))
        if unknown or ftype is None:
            return None
        if len(ops) != 1:
            self.problem(path, "rule.operator_count", say("cond.operator_count", count=len(ops)),
                         say("cond.operator_count.hint"))
            return None
        op = ops[0]
        if op == "within":
            from .within import read_within
            return read_within(self, fact, ftype, node[op], path + (op,))
        value = self._value(op, node[op], ftype, path + (op,))
        return None if value is None else Test(fact, op, value)

    def _fact_type(self, fact: Any, path: tuple) -> FactType | None:
        if isinstance(fact, str) and fact in self.types:
            return self.types[fact]
        self.problem(path, "rule.unknown_fact", say("cond.unknown_fact", fact=fact),
                     did_you_mean(fact, self.types) or say("cond.unknown_fact.hint"))
        return None

    def _value(self, op: str, value: Any, ftype: FactType, path: tuple) -> Any:
        if op == "exists":
            if not isinstance(value, bool):
                self.problem(path, "rule.wrong_value_type", say("cond.exists_value"), say("cond.exists_value.hint"))
                return None
            return value
        if op in ORDERED_OPS and ftype.type not in ORDERED_TYPES:
            self.problem(path, "rule.operator_not_for_type", say("cond.unordered", op=op, type=a_type(ftype.type)),
                         say("cond.unordered.hint"))
            return None
        if op in LIST_OPS:
            return self._list(value, ftype, path)
        if isinstance(value, dict) and value and set(value) <= {"years", "months"}:
            return self._years_months(value, ftype, path)
        if isinstance(value, dict):
            return self._fact_ref(value, ftype, path)
        return self._constant(value, ftype, path)

    def _years_months(self, value: dict, ftype: FactType, path: tuple) -> int | None:
        """`{years: 46, months: 3}`: an age in months written in policy's units (months 0..11)."""
        if ftype.unit != "months":
            self.problem(path, "rule.wrong_value_type", say("cond.years_months_not_here"),
                         say("cond.years_months_not_here.hint"))
            return None
        years, months = value.get("years", 0), value.get("months", 0)
        whole = [isinstance(v, int) and not isinstance(v, bool) for v in (years, months)]
        if not all(whole) or years < 0 or not 0 <= months <= 11:
            bad = "months" if whole[0] and years >= 0 else "years"
            self.problem(path + ((bad,) if bad in value else ()), "rule.wrong_value_type",
                         say("cond.years_months_range", years=years, months=months),
                         say("cond.years_months_range.hint"))
            return None
        return years * 12 + months

    def _list(self, value: Any, ftype: FactType, path: tuple) -> tuple | None:
        if isinstance(value, dict) and set(value) == {"options"}:
            values = self._picklist(value["options"], path + ("options",))
            if values is None:
                return None
            checked = [self._constant(v, FactType(ftype.type), path + ("options",)) for v in values]
        elif isinstance(value, list) and value:
            checked = [self._constant(v, ftype, path + (i,)) for i, v in enumerate(value)]
        else:
            self.problem(path, "rule.wrong_value_type", say("cond.list_value"), say("cond.list_value.hint"))
            return None
        if any(v is None for v in checked):
            return None
        return tuple(dict.fromkeys(checked))

    def _picklist(self, name: Any, path: tuple) -> list | None:
        try:
            picklist = self.picklists.get(name) if self.picklists is not None else None
        except (KeyError, LookupError):
            picklist = None
        if picklist is None:
            self.problem(path, "rule.unknown_picklist", say("cond.unknown_picklist", name=name),
                         say("cond.unknown_picklist.hint"))
            return None
        items = picklist.leaves() if getattr(picklist, "is_cascade", False) else picklist.options
        return [item["value"] if isinstance(item, dict) else item for item in items]

    def _fact_ref(self, value: dict, ftype: FactType, path: tuple) -> FactRef | None:
        if set(value) != {"fact"}:
            self.problem(path, "rule.wrong_value_type", say("cond.fact_ref"), say("cond.fact_ref.hint"))
            return None
        other = self._fact_type(value["fact"], path + ("fact",))
        if other is None:
            return None
        numeric = {"integer", "number"}
        if other.type != ftype.type and not {other.type, ftype.type} <= numeric:
            self.problem(path, "rule.wrong_value_type",
                         say("cond.incomparable", type=a_type(ftype.type), other=a_type(other.type),
                             fact=value["fact"]), None)
            return None
        return FactRef(value["fact"])

    def _constant(self, value: Any, ftype: FactType, path: tuple) -> Any:
        ok, normal = coerce(ftype.type, value)
        if not ok:
            self.problem(path, "rule.wrong_value_type", say("cond.wrong_type", value=value, type=a_type(ftype.type)),
                         type_hint(ftype.type))
            return None
        if ftype.enum is not None and normal not in ftype.enum:
            self.problem(path, "rule.value_not_in_enum", say("cond.not_in_enum", value=value,
                                                              fact=ftype.title or say("cond.this_fact")),
                         did_you_mean(value, ftype.enum) or say("cond.allowed", names=names(ftype.enum)))
            return None
        return engine_value(normal)
