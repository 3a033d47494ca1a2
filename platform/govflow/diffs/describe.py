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

OPS = {"eq": "等于", "ne": "不等于", "lt": "小于", "lte": "不大于", "gt": "大于", "gte": "不小于",
       "in": "属于", "not_in": "不属于"}
DATE_OPS = {"lt": "早于", "lte": "不晚于", "gt": "晚于", "gte": "不早于"}
OUTCOMES = {"refuse": "拒绝", "redirect": "转到其他事项", "restrict": "限制选项"}


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
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, FactRef):
        return titles.get(value.path, value.path)
    if isinstance(value, dict) and set(value) == {"fact"}:
        return titles.get(value["fact"], str(value["fact"]))
    if isinstance(value, dict) and set(value) == {"field"}:
        return titles.get(f"form.{value['field']}", str(value["field"]))
    if isinstance(value, dict) and set(value) == {"options"}:
        return f"选项表 {value['options']}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe_value(v, titles) for v in value) + "]"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


def _test(path: str, op: str, value: Any, titles: dict, types: dict) -> str:
    name = titles.get(path, path)
    if op == "exists":
        return f"{name} {'有值' if value else '无值（未填写或未知）'}"
    is_date = types.get(path) == "date"
    if is_date and isinstance(value, int) and not isinstance(value, bool) and value > 10000000:
        value = f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"   # engine date
    word = DATE_OPS.get(op) if is_date else None
    return f"{name} {word or OPS.get(op, op)} {describe_value(value, titles)}"


def _join(items: list[str], word: str, nested: bool) -> str:
    text = f" {word} ".join(items)
    return f"（{text}）" if nested and len(items) > 1 else text


def describe_condition(when: Any, fact_titles: dict | None = None, fact_types: dict | None = None,
                       _nested: bool = False) -> str:
    """A `when:` as one sentence. Takes the YAML form (rule files, or flows with `field:`) or
    a loaded rule's condition tree (`Rule.when`). `fact_types` (path -> type) words dates."""
    titles, types = fact_titles or {}, fact_types or {}
    if when is None:
        return "（无条件）"
    if isinstance(when, Test):
        return _test(when.path, when.op, when.value, titles, types)
    if isinstance(when, (All, Any_)):
        parts = [describe_condition(c, titles, types, True) for c in when.items]
        return _join(parts, "且" if isinstance(when, All) else "或", _nested)
    if not isinstance(when, dict):
        return str(when)
    if "field" in when:                      # a flow's shorthand for {fact: form.NAME}
        when = {("fact" if k == "field" else k): (f"form.{v}" if k == "field" else v) for k, v in when.items()}
    for key, word in (("all", "且"), ("any", "或")):
        if key in when:
            parts = [describe_condition(c, titles, types, True) for c in when[key]]
            return _join(parts, word, _nested)
    if "not" in when:
        return f"并非（{describe_condition(when['not'], titles, types)}）"
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
        at = f"（显示在“{(titles or {}).get('form.' + spec['field'], spec['field'])}”）" if spec.get("field") else ""
        return f"拒绝{at}：{message}"
    if kind == "redirect":
        page = f" 的页面 {spec['page']}" if spec.get("page") else ""
        return f"转到流程 {spec.get('flow')}{page}：{message}"
    if kind == "restrict":
        field = (titles or {}).get(f"form.{spec.get('field')}", spec.get("field"))
        return f"限制“{field}”只能选 {describe_value(spec.get('to', []))}：{message}"
    return f"{kind}: {spec}"
