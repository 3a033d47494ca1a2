"""Form-based editing of a flow or rule file: the values policy staff change most, without YAML.

items() lists, for one file's text, what a form may change: texts of the flow and its pages
(titles, content blocks, field titles, help, option labels, messages, buttons and their confirm
popups), whether a field is required, a rule's title, basis, the numbers, dates and lists of its
`when`, the messages of its `then`, its examples' `given` values and `fires`. Each item has a
stable key (its YAML key path, "rules/0/when/all/2/lt"), a Chinese label built from the file
itself (page and field titles, rule ids, fact titles), a kind (text, multiline, boolean, number,
date, list) and its value. apply() takes the values a form sent back (strings, by key), checks
each by its kind and writes the changed ones into the text with yamledit (every other character
kept), then reads the result back to make sure each value came out as typed. Errors are data:
{key: Chinese message}. Nothing here knows a procedure: labels come from the YAML.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from ..catalog import text as msg
from . import yamledit

KINDS = ("text", "multiline", "boolean", "number", "date", "list")
OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in")
BLOCK_TEXTS = ("title", "text", "note", "empty")
OUTCOME_TEXTS = ("message", "title", "confirm_label", "cancel_label")
CONFIRM_TEXTS = ("title", "message", "confirm_label", "cancel_label")
FIELD_TEXTS = ("title", "help", "placeholder")


class Unreadable(Exception):
    """The file is not YAML the form editor can read (edit it as YAML)."""


@dataclass(frozen=True)
class Item:
    key: str
    path: tuple
    label: str
    kind: str
    value: Any
    negate: bool = False       # a field's 必填: the file says `optional`, the opposite
    min_items: int = 1


@dataclass
class Group:
    key: str                   # the dotted path of the page or rule (as in the checker's problems)
    title: str
    items: list[Item] = field(default_factory=list)

    def add(self, path: tuple, label: str, value: Any, kind: str | None = None, **extra) -> None:
        found = kind or _kind(value, path)
        if found:
            self.items.append(Item("/".join(map(str, path)), path, label, found, value, **extra))


@dataclass(frozen=True)
class Applied:
    text: str
    errors: dict[str, str]
    changed: tuple[str, ...] = ()


def editable(name: str) -> bool:
    return name.endswith(".yaml") and name.startswith(("flows/", "rules/"))


def _kind(value: Any, path: tuple) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "multiline" if "\n" in value.strip() or path[-1] in ("text", "description") else "text"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "list"
    return None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _load(text: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Unreadable(str(exc)) from exc
    if not isinstance(data, dict):
        raise Unreadable("not a mapping")
    return data


# -- listing -------------------------------------------------------------------------------------

def items(name: str, text: str, facts: dict[str, str] | None = None) -> list[Group]:
    """The groups of editable items of the file `name` (empty groups left out)."""
    data = _load(text)
    groups = _rules(data, facts or {}) if name.startswith("rules/") else _flow(data)
    return [g for g in groups if g.items]


def _flow(data: dict) -> list[Group]:
    head = Group("", msg("staff.form.group.flow"))
    for key in ("title", "description"):
        if isinstance(data.get(key), str):
            head.add((key,), msg(f"staff.form.flow.{key}"), data[key])
    groups = [head]
    for name, blocks in (data.get("content") or {}).items() if isinstance(data.get("content"), dict) else ():
        where = msg("staff.form.where.content", name=name)
        group = Group(f"content.{name}", where)
        _blocks(group, ("content", name), blocks, where)
        groups.append(group)
    for i, page in enumerate(data.get("pages") or []):
        if isinstance(page, dict) and "id" in page:
            groups.append(_page(("pages", i), page))
    return groups


def _page(path: tuple, page: dict) -> Group:
    where = msg("staff.form.where.page", page=page.get("title") or page["id"])
    group = Group(f"pages[{path[1]}]", where)
    if isinstance(page.get("title"), str):
        group.add(path + ("title",), msg("staff.form.page.title", where=where), page["title"])
    _blocks(group, path + ("content",), page.get("content"), where)
    for name, spec in (page.get("fields") or {}).items():
        if isinstance(spec, dict):
            _field(group, path + ("fields", name), spec, msg("staff.form.where.field", field=spec.get("title") or name))
    for j, action in enumerate(page.get("actions") or []):
        if isinstance(action, dict):
            what = msg("staff.form.where.action", label=action.get("label") or action.get("id"))
            if isinstance(action.get("label"), str):
                group.add(path + ("actions", j, "label"), msg("staff.form.action.label", where=what), action["label"])
            confirm = _dict(action.get("confirm"))
            for key in CONFIRM_TEXTS:
                if isinstance(confirm.get(key), str):
                    group.add(path + ("actions", j, "confirm", key), msg(f"staff.form.confirm.{key}", where=what),
                              confirm[key])
    for part in ("groups", "review"):
        for j, section in enumerate(page.get(part) or []):
            if isinstance(section, dict) and isinstance(section.get("title"), str):
                group.add(path + (part, j, "title"), msg(f"staff.form.{part}.title", where=where, n=j + 1),
                          section["title"])
    return group


def _blocks(group: Group, path: tuple, blocks: Any, where: str) -> None:
    for j, block in enumerate(blocks if isinstance(blocks, list) else []):
        if not isinstance(block, dict) or "kind" not in block:
            continue
        what = msg("staff.form.where.block", where=where, n=j + 1, kind=msg(f"staff.form.block_kind.{block['kind']}"))
        for key in BLOCK_TEXTS:
            if isinstance(block.get(key), str):
                group.add(path + (j, key), msg(f"staff.form.block.{key}", where=what), block[key])
        if isinstance(block.get("items"), list):
            group.add(path + (j, "items"), msg("staff.form.block.items", where=what), block["items"], "list")


def _field(group: Group, path: tuple, spec: dict, where: str) -> None:
    for key in FIELD_TEXTS:
        if isinstance(spec.get(key), str):
            group.add(path + (key,), msg(f"staff.form.field.{key}", where=where), spec[key])
    if "from" not in spec and "const" not in spec and isinstance(spec.get("optional", False), bool):
        group.add(path + ("optional",), msg("staff.form.field.required", where=where),
                  not spec.get("optional", False), "boolean", negate=True)
    options = spec.get("options")
    for j, option in enumerate(options if isinstance(options, list) else []):
        if isinstance(option, dict) and isinstance(option.get("label"), str):
            group.add(path + ("options", j, "label"),
                      msg("staff.form.field.option", where=where, value=option.get("value")), option["label"])
    messages = spec.get("messages")
    for code, text in messages.items() if isinstance(messages, dict) else ():
        if isinstance(text, str):
            group.add(path + ("messages", code), msg("staff.form.field.message", where=where, code=code), text)
    notice = _dict(spec.get("notice"))
    for key in ("title", "text"):
        if isinstance(notice.get(key), str):
            group.add(path + ("notice", key), msg(f"staff.form.notice.{key}", where=where), notice[key])


def _rules(data: dict, facts: dict[str, str]) -> list[Group]:
    head = Group("", msg("staff.form.group.ruleset"))
    for key in ("title", "description"):
        if isinstance(data.get(key), str):
            head.add((key,), msg(f"staff.form.ruleset.{key}"), data[key])
    for part in ("facts", "derived"):
        for name, spec in (data.get(part) or {}).items() if isinstance(data.get(part), dict) else ():
            if isinstance(spec, dict) and isinstance(spec.get("title"), str):
                head.add((part, name, "title"), msg("staff.form.fact.title", fact=name), spec["title"])
    groups = [head]
    for i, rule in enumerate(data.get("rules") or []):
        if isinstance(rule, dict) and "id" in rule:
            groups.append(_rule(("rules", i), rule, facts))
    return groups


def _rule(path: tuple, rule: dict, facts: dict[str, str]) -> Group:
    rid = rule["id"]
    group = Group(f"rules[{path[1]}]", msg("staff.form.where.rule", id=rid, title=rule.get("title") or ""))
    for key in ("title", "basis", "why"):
        if isinstance(rule.get(key), str):
            group.add(path + (key,), msg(f"staff.form.rule.{key}", id=rid), rule[key])
    _conditions(group, path + ("when",), rule.get("when"), rid, facts)
    for outcome, body in (rule.get("then") or {}).items() if isinstance(rule.get("then"), dict) else ():
        for key in OUTCOME_TEXTS if isinstance(body, dict) else ():
            if isinstance(body.get(key), str):
                group.add(path + ("then", outcome, key), msg(f"staff.form.outcome.{key}", id=rid,
                          outcome=msg(f"staff.form.outcome_kind.{outcome}")), body[key])
    for n, example in enumerate(rule.get("examples") or []):
        if not isinstance(example, dict):
            continue
        for leaf, value in _leaves(example.get("given"), ()):
            group.add(path + ("examples", n, "given") + leaf, msg("staff.form.rule.given", id=rid, n=n + 1,
                      fact=facts.get(".".join(leaf)) or ".".join(leaf)), value)
        if isinstance(example.get("fires"), list):
            group.add(path + ("examples", n, "fires"), msg("staff.form.rule.fires", id=rid, n=n + 1),
                      example["fires"], "list", min_items=0)
    return group


def _leaves(given: Any, at: tuple):
    for key, value in given.items() if isinstance(given, dict) else ():
        if isinstance(value, dict):
            yield from _leaves(value, at + (key,))
        elif value is not None:
            yield at + (key,), value


def _conditions(group: Group, path: tuple, cond: Any, rid: str, facts: dict[str, str]) -> None:
    if isinstance(cond, list):
        for i, inner in enumerate(cond):
            _conditions(group, path + (i,), inner, rid, facts)
        return
    if not isinstance(cond, dict):
        return
    for key in ("all", "any", "not"):
        if key in cond:
            _conditions(group, path + (key,), cond[key], rid, facts)
    subject = cond.get("fact") or (f"form.{cond['field']}" if "field" in cond else "")
    for op in OPERATORS if isinstance(subject, str) and subject else ():
        value = cond.get(op)
        if isinstance(value, (int, float, date, list)) and not isinstance(value, bool):
            group.add(path + (op,), msg("staff.form.rule.when", id=rid, fact=facts.get(subject) or subject,
                                        op=msg(f"staff.form.op.{op}")), value)


def fact_titles(files: dict[str, str]) -> dict[str, str]:
    """What a fact is called, for the labels: the rule files' facts and derived facts, and
    `form.<field>` by the fields' titles in the flow files."""
    out: dict[str, str] = {}
    for name, text in sorted(files.items()):
        try:
            data = _load(text) if editable(name) else {}
        except Unreadable:
            continue
        for part in ("facts", "derived"):
            for fact, spec in (data.get(part) or {}).items() if isinstance(data.get(part), dict) else ():
                if isinstance(spec, dict) and isinstance(spec.get("title"), str):
                    out.setdefault(fact, spec["title"])
        for page in data.get("pages") or [] if isinstance(data.get("pages"), list) else []:
            fields = page.get("fields") if isinstance(page, dict) else None
            for fname, spec in fields.items() if isinstance(fields, dict) else ():
                if isinstance(spec, dict) and isinstance(spec.get("title"), str):
                    out.setdefault(f"form.{fname}", spec["title"])
    return out


# -- values ------------------------------------------------------------------------------------

def shown(item: Item) -> str:
    """The item's value as a form field shows it."""
    value = item.value
    if item.kind == "boolean":
        return "true" if value else "false"
    if item.kind == "list":
        return "\n".join(value)
    if item.kind == "date":
        return value.isoformat()
    if item.kind == "multiline":
        return value.strip("\n")
    return str(value)


def _normal(item: Item, raw: str) -> str:
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if item.kind == "list":
        return "\n".join(line.strip() for line in raw.strip("\n").split("\n")).strip()
    return raw.strip("\n").rstrip() if item.kind == "multiline" else raw.strip()


def parse(item: Item, raw: str) -> tuple[Any, str | None]:
    """The value typed for the item, or (None, a Chinese error message)."""
    raw = _normal(item, raw)
    kind = item.kind
    if kind == "boolean":
        return (raw == "true", None) if raw in ("true", "false") else (None, msg("staff.form.error.boolean"))
    if kind == "number":
        if re.fullmatch(r"[+-]?\d+", raw):
            return int(raw), None
        if re.fullmatch(r"[+-]?\d+\.\d+", raw) and not isinstance(item.value, int):
            return float(raw), None
        return None, msg("staff.form.error.integer" if isinstance(item.value, int) else "staff.form.error.number")
    if kind == "date":
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                return date.fromisoformat(raw), None
        except ValueError:
            pass
        return None, msg("staff.form.error.date")
    if kind == "list":
        return _list(item, raw)
    if not raw and item.value:
        return None, msg("staff.form.error.empty")
    if kind == "text" and "\n" in raw:
        return None, msg("staff.form.error.one_line")
    return raw, None


def _list(item: Item, raw: str) -> tuple[Any, str | None]:
    lines = raw.split("\n") if raw else []
    for n, line in enumerate(lines, 1):
        if not line:
            return None, msg("staff.form.error.list_blank", n=n)
    if len(lines) < item.min_items:
        return None, msg("staff.form.error.list_empty")
    repeated = next((line for i, line in enumerate(lines) if line in lines[:i]), None)
    if repeated is not None:
        return None, msg("staff.form.error.list_repeated", item=repeated)
    return lines, None


# -- writing -------------------------------------------------------------------------------------

def apply(name: str, text: str, raw: dict[str, str], facts: dict[str, str] | None = None) -> Applied:
    """The file with the values of `raw` (by item key; keys not sent and values not changed are
    left alone); on any error, the text unchanged and the errors by key."""
    known = {i.key: i for g in items(name, text, facts) for i in g.items}
    located = yamledit.locate(text)
    errors: dict[str, str] = {}
    edits, wanted = [], {}
    for key, item in known.items():
        if key not in raw or _normal(item, raw[key]) == _normal(item, shown(item)):
            continue
        value, error = parse(item, raw[key])
        if error:
            errors[key] = error
        elif value != item.value:
            edits.append(_edit(text, located, item, value))
            wanted[key] = value
    if errors or not edits:
        return Applied(text, errors)
    new = yamledit.apply_edits(text, edits)
    try:
        again = {i.key: i for g in items(name, new, facts) for i in g.items}
    except Unreadable:
        again = {}
    for key, value in wanted.items():
        if key not in again or again[key].value != value and not (known[key].kind == "multiline"
                                                                  and again[key].value.strip() == value.strip()):
            errors[key] = msg("staff.form.error.unsafe")
    return Applied(text, errors) if errors else Applied(new, {}, tuple(wanted))


def _edit(text: str, located: dict, item: Item, value: Any) -> yamledit.Edit:
    if item.negate:
        if item.path in located:
            return yamledit.replace_scalar(text, located[item.path], not value)
        return yamledit.insert_key(text, located[item.path[:-1]], item.path[-1], not value)
    if item.kind == "list":
        return yamledit.replace_sequence(text, located[item.path], value)
    return yamledit.replace_scalar(text, located[item.path], value)
