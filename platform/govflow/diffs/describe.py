"""Conditions, values and outcomes as short Chinese sentences, for policy staff and auditors.

Used by the readable diffs, the flow diagrams and (later) the staff rule catalogue, so that
a condition reads the same everywhere: `人员类别 属于 [hk, macau]`. Codes stay as written in
the files (staff compare them with the YAML); fact and field names become their titles.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from ..rules.model import All, Any_, FactRef, Test
from ..say import say

OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in")      # words: publishing.describe.op.*
DATE_OPS = ("lt", "lte", "gt", "gte")                              # for dates: publishing.describe.date_op.*


def _facts_file(root: Path) -> dict:
    path = Path(root) / "rules" / "facts.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def fact_titles(root: Path, flows: dict | None = None) -> dict[str, str]:
    """Fact path -> title: rules/facts.yaml (facts and derived) and `form.<field>` of the flows."""
    titles: dict[str, str] = {}
    data = _facts_file(root)
    for section in ("facts", "derived"):
        for name, spec in (data.get(section) or {}).items():
            if isinstance(spec, dict) and spec.get("title"):
                titles[name] = str(spec["title"])
    for flow in (flows or {}).values():
        for page in flow.pages.values():
            for f in page.fields.values():
                titles.setdefault(f"form.{f.name}", f.title)
    return titles


def fact_types(root: Path, flows: dict | None = None) -> dict[str, str | None]:
    """Fact path -> type, so that date comparisons read 早于 / 晚于 rather than 小于 / 大于."""
    types = {name: spec.get("type") for name, spec in (_facts_file(root).get("facts") or {}).items()
             if isinstance(spec, dict)}
    for flow in (flows or {}).values():
        for page in flow.pages.values():
            for f in page.fields.values():
                types.setdefault(f"form.{f.name}", f.type)
    return types


def describe_value(value: Any, titles: dict | None = None) -> str:
    titles = titles or {}
    if value is None:
        return say("publishing.change.nothing")
    if isinstance(value, bool):
        return say("publishing.describe.yes" if value else "publishing.describe.no")
    if isinstance(value, FactRef):
        return titles.get(value.path, value.path)
    if isinstance(value, dict) and set(value) == {"fact"}:
        return titles.get(value["fact"], str(value["fact"]))
    if isinstance(value, dict) and set(value) == {"field"}:
        return titles.get(f"form.{value['field']}", str(value["field"]))
    if isinstance(value, dict) and set(value) == {"options"}:
        return say("publishing.change.picklist", name=value["options"])
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe_value(v, titles) for v in value) + "]"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _test(path: str, op: str, value: Any, titles: dict, types: dict) -> str:
    name = titles.get(path, path)
    if op == "exists":
        return say("publishing.describe.exists" if value else "publishing.describe.absent", name=name)
    is_date = types.get(path) == "date"
    if is_date and isinstance(value, int) and not isinstance(value, bool) and value > 10000000:
        value = f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"   # engine date
    if is_date and op in DATE_OPS:
        word = say(f"publishing.describe.date_op.{op}")
    else:
        word = say(f"publishing.describe.op.{op}") if op in OPS else op
    return say("publishing.describe.test", n=name, o=word, v=describe_value(value, titles))


def _join(items: list[str], word: str, nested: bool) -> str:
    text = f" {say(f'publishing.describe.{word}')} ".join(items)
    return say("publishing.describe.group", t=text) if nested and len(items) > 1 else text


def describe_condition(when: Any, fact_titles: dict | None = None, fact_types: dict | None = None,
                       _nested: bool = False) -> str:
    """A `when:` as one sentence. Takes the YAML form (rule files, or flows with `field:`) or
    a loaded rule's condition tree (`Rule.when`). `fact_types` (path -> type) words dates."""
    titles, types = fact_titles or {}, fact_types or {}
    if when is None:
        return say("publishing.change.no_condition")
    if isinstance(when, Test):
        return _test(when.path, when.op, when.value, titles, types)
    if isinstance(when, (All, Any_)):
        parts = [describe_condition(c, titles, types, True) for c in when.items]
        return _join(parts, "all" if isinstance(when, All) else "any", _nested)
    if not isinstance(when, dict):
        return str(when)
    if "field" in when:                      # a flow's shorthand for {fact: form.NAME}
        when = {("fact" if k == "field" else k): (f"form.{v}" if k == "field" else v) for k, v in when.items()}
    for key in ("all", "any"):
        if key in when:
            parts = [describe_condition(c, titles, types, True) for c in when[key]]
            return _join(parts, key, _nested)
    if "not" in when:
        return say("publishing.describe.not", text=describe_condition(when["not"], titles, types))
    ops = [k for k in when if k != "fact"]
    if "fact" in when and len(ops) == 1:
        return _test(when["fact"], ops[0], when[ops[0]], titles, types)
    return str(when)


def describe_outcome(then: Any, titles: dict | None = None) -> str:
    """A rule's `then:` in words: 拒绝：…, 转到流程 cleanup：…, 限制“领卡方式”只能选 [branch]：…"""
    if not isinstance(then, dict) or len(then) != 1:
        return str(then)
    kind, spec = next(iter(then.items()))
    spec = spec if isinstance(spec, dict) else {}
    message = spec.get("message", "")
    if kind == "refuse":
        if spec.get("field"):
            return say("publishing.describe.refuse_at", message=message,
                       field=(titles or {}).get("form." + spec["field"], spec["field"]))
        return say("publishing.describe.refuse", message=message)
    if kind == "redirect":
        if spec.get("page"):
            return say("publishing.describe.redirect_page", flow=spec.get("flow"), page=spec["page"], message=message)
        return say("publishing.describe.redirect", flow=spec.get("flow"), message=message)
    if kind == "restrict":
        field = (titles or {}).get(f"form.{spec.get('field')}", spec.get("field"))
        return say("publishing.describe.restrict", field=field, to=describe_value(spec.get("to", [])),
                   message=message)
    return f"{kind}: {spec}"
