"""What changed between two versions of a rule file: rules, conditions, outcomes, basis, examples.

Compares the YAML as written (not the compiled tree), so `not`, `{options: ...}` and the
order of a list read back exactly as the author wrote them.
"""
from __future__ import annotations

from ..say import say
from .change import Change
from .describe import describe_condition, describe_outcome, describe_value


def _rules(data: dict) -> dict:
    return {r["id"]: r for r in data.get("rules") or [] if isinstance(r, dict) and "id" in r}


def _name(rule: dict) -> str:
    return say("publishing.change.rule_name", id=rule["id"], ti=rule.get("title", ""))


def _flatten(node, prefix: str = "") -> dict:
    """{'restrict.message': ..., 'restrict.to': [...]}: one entry per outcome key."""
    if not isinstance(node, dict):
        return {prefix: node}
    out = {}
    for key, value in node.items():
        out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


OUTCOME_KEYS = ("message", "field", "to", "flow", "page", "confirm_label")


def diff_rulesets(old: dict, new: dict, titles: dict | None = None, types: dict | None = None) -> list[Change]:
    """Changes from rule file data `old` to `new` (the parsed YAML); `titles` / `types`: by fact path."""
    titles = titles or {}

    def cond(when) -> str:
        return describe_condition(when, titles, types)

    changes: list[Change] = []

    def add(code, path, message, a=None, b=None):
        changes.append(Change(code, path, message, a, b))

    for key in ("title", "description"):
        was, now = old.get(key), new.get(key)
        if was != now:
            add(f"ruleset.{key}_changed", key, say("publishing.change.ruleset_changed", ruleset=new.get("ruleset"),
                                                   what=say(f"publishing.change.ruleset.{key}"), old=was, new=now),
                was, now)
    a, b = _rules(old), _rules(new)
    for rid, rule in a.items():
        if rid not in b:
            add("rule.removed", f"rules.{rid}",
                say("publishing.change.rule_removed", rule=_name(rule), when=cond(rule.get("when"))), rule.get("title"))
    for rid, rule in b.items():
        if rid not in a:
            add("rule.added", f"rules.{rid}",
                say("publishing.change.rule_added", rule=_name(rule), when=cond(rule.get("when")),
                    then=describe_outcome(rule.get("then"), titles)), None, rule.get("title"))
        else:
            _rule_changed(add, cond, a[rid], rule, titles)
    kept_a = [r for r in a if r in b]
    kept_b = [r for r in b if r in a]
    if kept_a != kept_b:
        add("rule.order_changed", "rules", say("publishing.change.rule_order"), kept_a, kept_b)
    return changes


def _rule_changed(add, cond, was: dict, rule: dict, titles: dict) -> None:
    """The changes to one rule that both versions have (same id)."""
    rid = rule["id"]
    at, name = f"rules.{rid}", _name(rule)
    if was.get("title") != rule.get("title"):
        add("rule.title_changed", at + ".title",
            say("publishing.change.rule_title", id=rid, old=was.get("title"), new=rule.get("title")),
            was.get("title"), rule.get("title"))
    if was.get("when") != rule.get("when"):
        x, y = cond(was.get("when")), cond(rule.get("when"))
        add("rule.condition_changed", at + ".when", say("publishing.change.rule_when", rule=name, old=x, new=y), x, y)
    _outcome(add, at, name, was.get("then"), rule.get("then"), titles)
    for key in ("basis", "why"):
        if was.get(key) != rule.get(key):
            add(f"rule.{key}_changed", at + "." + key,
                say(f"publishing.change.rule_{key}", rule=name, old=was.get(key) or "", new=rule.get(key) or ""),
                was.get(key), rule.get(key))
    if was.get("examples") != rule.get("examples"):
        before, after = was.get("examples") or [], rule.get("examples") or []
        count = say("publishing.change.example_count", old=len(before), new=len(after)) \
            if len(before) != len(after) else ""
        add("rule.examples_changed", at + ".examples", say("publishing.change.rule_examples", rule=name, count=count),
            before, after)


def _outcome(add, at: str, name: str, x, y, titles: dict) -> None:
    if x == y:
        return
    kind_x = next(iter(x), None) if isinstance(x, dict) else None
    kind_y = next(iter(y), None) if isinstance(y, dict) else None
    if kind_x != kind_y:
        a, b = describe_outcome(x, titles), describe_outcome(y, titles)
        add("rule.outcome_changed", at + ".then", say("publishing.change.rule_then", rule=name, old=a, new=b), a, b)
        return
    fx, fy = _flatten(x[kind_x]), _flatten(y[kind_y])
    for key in list(dict.fromkeys(list(fx) + list(fy))):
        if fx.get(key) == fy.get(key):
            continue
        word = say(f"publishing.change.outcome.{key}") if key in OUTCOME_KEYS else key
        if key == "field":
            fx[key], fy[key] = (titles.get(f"form.{v}", v) if v else v for v in (fx.get(key), fy.get(key)))
        add("rule.outcome_changed", f"{at}.then.{kind_y}.{key}",
            say("publishing.change.rule_outcome_part", rule=name, what=word,
                old=describe_value(fx.get(key), titles), new=describe_value(fy.get(key), titles)),
            fx.get(key), fy.get(key))
