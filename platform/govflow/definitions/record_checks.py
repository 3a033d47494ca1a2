"""Checks of `options_from:` (a field answered by choosing one record of a list fact): the list is
a fact some look-up answers (connectors/*.yaml), a list of records, and the keys the field names
(`value`, `columns`, `where`) are keys of those records. Run once the fact types are known."""
from __future__ import annotations

from ..errors import Problem
from ..say import say
from .checks import _hint, _page


def check_record_fields(flows: dict, types: dict) -> list[Problem]:
    out: list[Problem] = []
    lists = sorted(path for path, t in types.items() if t.type == "array" and t.items is not None
                   and t.items.type == "object")
    for flow in flows.values():
        for page in flow.pages.values():
            for f in page.fields.values():
                if f.options_from:
                    out += _field_problems(f, page, types, lists)
    return list(dict.fromkeys(out))


def _field_problems(f, page, types: dict, lists: list[str]) -> list[Problem]:
    spec = f.options_from
    where = {"field": f.name, "title": f.title, "page": _page(page), "list": spec["list"]}
    found = types.get(spec["list"])
    if found is None or found.type != "array" or found.items is None or found.items.type != "object":
        return [f.origin.problem("flow.records_unknown_list", say("flow.records_unknown_list", **where),
                                 _hint(spec["list"], lists) or say("flow.records_unknown_list.hint"),
                                 ("options_from", "list"))]
    keys = [name for name, _ in found.items.fields]
    named = [("value", spec["value"])] + [("columns", k) for k in spec.get("columns", {})] + \
        [("where", k) for k in (spec.get("where") or {})]
    return [f.origin.problem("flow.records_unknown_key", say("flow.records_unknown_key", key=key, **where),
                             _hint(key, keys), ("options_from", part, key) if part != "value" else
                             ("options_from", part))
            for part, key in named if key not in keys]
