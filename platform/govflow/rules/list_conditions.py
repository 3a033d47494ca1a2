"""Reading a test on a list fact: `{fact: L, any: C}`, `all: C`, `none: C`, `count: {where: C, gte: n}`
and `exists: true|false`, where C is a condition on one item (its fields by name, or `item` for a
list of scalars; `{field: {op: value}}` is short for `{fact: field, op: value}`).

Each becomes a test on a hidden count (rules/lists.py), registered in the catalogue."""
from __future__ import annotations

from typing import Any

from ..say import names, say
from .conditions import COMPARE_OPS, ConditionReader, did_you_mean
from .lists import hidden_count, item_types, shorthand
from .model import All, Condition, FactType, Test

LIST_TESTS = ("any", "all", "none", "count", "exists")


class ItemReader(ConditionReader):
    """Conditions on one item of a list: names without a dot that are not facts are its fields."""

    def __init__(self, outer: ConditionReader, list_path: str, list_type: FactType):
        types = {k: v for k, v in outer.types.items() if v.type != "array"}
        self.fields = item_types(list_type)
        types.update(self.fields)
        super().__init__(outer.source, types, outer.picklists)
        self.list_path = list_path

    def _fact_type(self, fact: Any, path: tuple) -> FactType | None:
        if isinstance(fact, str) and fact in self.types:
            return self.types[fact]
        if isinstance(fact, str) and "." not in fact:
            self.problem(path, "rule.unknown_item_field",
                         say("cond.unknown_item_field", field=fact, list=self.list_path),
                         did_you_mean(fact, self.fields) or say("cond.item_fields", names=names(self.fields)))
            return None
        return super()._fact_type(fact, path)


def read_where(reader: ConditionReader, list_path: str, list_type: FactType, node: Any,
               at: tuple) -> Condition | None:
    """The condition on one item (full or shorthand form), its problems added to `reader`'s."""
    cond, keys = shorthand(node, list_type)
    sub = ItemReader(reader, list_path, list_type)
    if keys is None:
        result = sub.read(cond, at)
    else:
        parts = [sub.read(c, at + (k,)) for c, k in zip(cond, keys, strict=True)]
        result = None if any(p is None for p in parts) else (parts[0] if len(parts) == 1 else All(tuple(parts)))
    reader.problems += sub.problems
    return result


def _register(reader: ConditionReader, list_path: str, list_type: FactType, where, invert: bool) -> str:
    derived = hidden_count(list_path, list_type, where, invert)
    if derived.path not in reader.catalogue.derived_by_path:
        reader.catalogue.derived.append(derived)
        reader.types[derived.path] = FactType(
            "integer", None, say("cond.list_count_title", list=list_type.title or list_path))
    return derived.path


def read_list_test(reader: ConditionReader, node: dict, path: tuple) -> Test | None:
    fact = node["fact"]
    list_type = reader.types[fact]
    ops = [k for k in node if k != "fact"]
    unknown = [k for k in ops if k not in LIST_TESTS]
    for op in unknown:
        reader.problem(path + (op,), "rule.operator_not_for_type", say("cond.list_operator", op=op, fact=fact),
                       did_you_mean(op, LIST_TESTS) or say("cond.list_operators", names=names(LIST_TESTS)))
    if unknown:
        return None
    if len(ops) != 1:
        reader.problem(path, "rule.operator_count", say("cond.operator_count", count=len(ops)),
                       say("cond.list_operators", names=names(LIST_TESTS)))
        return None
    if reader.catalogue is None:
        reader.problem(path, "rule.only_in_rule_files", say("cond.list_not_here", fact=fact))
        return None
    op = ops[0]
    return _read(reader, fact, list_type, op, node[op], path + (op,))


def _read(reader: ConditionReader, fact: str, list_type: FactType, op: str, value: Any, at: tuple) -> Test | None:
    if op == "exists":
        if not isinstance(value, bool):
            reader.problem(at, "rule.wrong_value_type", say("cond.exists_value"), say("cond.exists_value.hint"))
            return None
        return Test(_register(reader, fact, list_type, None, False), "exists", value)
    if op == "count":
        return _count(reader, fact, list_type, value, at)
    where = read_where(reader, fact, list_type, value, at)
    if where is None:
        return None
    hidden = _register(reader, fact, list_type, where, op == "all")
    return Test(hidden, "gte", 1) if op == "any" else Test(hidden, "eq", 0)


def _count(reader: ConditionReader, fact: str, list_type: FactType, value: Any, at: tuple) -> Test | None:
    compares = [k for k in value if k != "where"] if isinstance(value, dict) else []
    if len(compares) != 1 or compares[0] not in COMPARE_OPS:
        reader.problem(at, "rule.bad_condition", say("cond.count_value"), say("cond.count_value.hint"))
        return None
    where = None
    if "where" in value:
        where = read_where(reader, fact, list_type, value["where"], at + ("where",))
        if where is None:
            return None
    op = compares[0]
    number = reader._value(op, value[op], FactType("integer"), at + (op,))
    if number is None:
        return None
    return Test(_register(reader, fact, list_type, where, False), op, number)
