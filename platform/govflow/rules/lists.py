"""Facts computed from a list of records (or of scalars): how many items match a condition, and
the first item that matches (a chosen record, whose fields are facts of their own).

A rule's test on a list (`{fact: L, any: {...}}`, `all`, `none`, `count`, `exists`) is read into a
test on a hidden integer fact (`govflow_list.*`) computed here before the rules run, so that
durable-rules, the plain reader and the checker's analyses only ever see scalar tests.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .facts import Derived, engine_value
from .model import Condition, FactType, facts_read

HIDDEN = "govflow_list"
ITEM = "item"                 # what a condition on a list of scalars calls the item


@dataclass(frozen=True)
class ListSpec:
    list_type: FactType
    where: Condition | None   # None: every item
    compute: str              # "count", "count_not" (items where `where` does not hold) or "field"
    field: str | None = None  # compute "field": the field of the first matching record

    def value(self, view, derived: Derived) -> Any:
        return compute(view, derived)


def item_types(list_type: FactType) -> dict[str, FactType]:
    """The names a condition on one item may read: the record's fields, or `item`."""
    items = list_type.items or FactType("string")
    if items.type == "object":
        return dict(items.fields)
    return {ITEM: items}


class ItemValues:
    """The values one item's condition reads: the item's own fields first, other facts from the view."""

    __slots__ = ("item", "names", "view")

    def __init__(self, item: Any, names: frozenset, view):
        self.item = item if isinstance(item, dict) else {ITEM: item}
        self.names = names
        self.view = view

    def get(self, path: str, default: Any = None) -> Any:
        if path in self.names:
            value = self.item.get(path)
            return default if value is None else engine_value(value)
        return self.view.get(path, default)


def _matches(view, derived: Derived) -> tuple[list, list] | None:
    from .plain import holds
    spec: ListSpec = derived.spec
    items = view.seen(derived.args[0])
    if items is None:
        return None
    names = frozenset(item_types(spec.list_type))
    hits: list = []
    misses: list = []
    for item in items:
        (hits if holds(spec.where, ItemValues(item, names, view)) else misses).append(item)
    return hits, misses


def compute(view, derived: Derived) -> Any:
    """The value of a list function for the facts of `view` (None: the list is absent)."""
    found = _matches(view, derived)
    if found is None:
        return None
    hits, misses = found
    spec: ListSpec = derived.spec
    if spec.compute == "count":
        return len(hits)
    if spec.compute == "count_not":
        return len(misses)
    if not hits or not isinstance(hits[0], dict):
        return None
    return hits[0].get(spec.field)


def outer_reads(where: Condition | None, list_type: FactType) -> tuple[str, ...]:
    """The facts other than the item's fields that `where` reads."""
    names = set(item_types(list_type))
    return tuple(p for p in facts_read(where) if p not in names)


def hidden_count(list_path: str, list_type: FactType, where: Condition | None, invert: bool) -> Derived:
    """The hidden count a rule's list test is compiled to; the same test gives the same name."""
    digest = hashlib.sha256(repr((list_path, where, invert)).encode()).hexdigest()[:10]
    path = f"{HIDDEN}.{list_path.replace('.', '_')}_{digest}"
    spec = ListSpec(list_type, where, "count_not" if invert else "count")
    return Derived(path, "count", (list_path,) + outer_reads(where, list_type), spec)


def shorthand(node: Any, list_type: FactType) -> Any:
    """`{state: {ne: x}, number: {fact: form.number}}` (field -> operator and value, a `{fact: ...}`
    or a constant meaning `eq`) as the conditions `[{fact: state, ne: x}, {fact: number, eq: ...}]`;
    `{eq: x}` on a list of scalars as `{fact: item, eq: x}`. Other conditions are returned as written.
    Returns (condition, path suffix of each part) so that problems keep their lines."""
    if not isinstance(node, dict) or not node or {"fact", "all", "any", "not"} & set(node):
        return node, None
    if (list_type.items or FactType("string")).type != "object":
        return {"fact": ITEM, **node}, None
    parts = []
    for name, value in node.items():
        if isinstance(value, dict) and len(value) == 1 and "fact" not in value:
            parts.append({"fact": name, **value})
        else:
            parts.append({"fact": name, "eq": value})
    return parts, tuple(node)
