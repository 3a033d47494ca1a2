"""The nested facts that rules and `when:` conditions read, built from an application."""
from __future__ import annotations

from datetime import date

LOOKED_UP = "looked_up"        # context key: the prefixes of the look-up facts an application holds


def build_facts(context: dict, answers: dict, today: date) -> dict:
    """identity.*, relation.*, each look-up's facts under its prefix, today and form.* in one
    nested dict. Types are checked and dates read by the FactView on first use (rules/facts.py)."""
    facts = {prefix: context.get(prefix) or {} for prefix in context.get(LOOKED_UP) or ()}
    facts.update({
        "identity": context.get("identity") or {},
        "relation": context.get("relation") or {},
        "today": today,
        "form": answers,
    })
    return facts


def flat_answers(app_answers: dict) -> dict:
    """All answers of an application in one mapping (field names are unique in a flow)."""
    out: dict = {}
    for values in app_answers.values():
        out.update(values)
    return out


def resolve(facts: dict, path: str):
    """Value at a dotted fact path, or None."""
    node = facts
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
