"""The nested facts that rules and `when:` conditions read, built from an application."""
from __future__ import annotations

from datetime import date


def build_facts(context: dict, answers: dict, today: date) -> dict:
    """identity.*, every look-up's facts (context[<prefix>]: scalars, lists of records or of
    scalars, and records), today and form.* in one nested dict. Types are checked and dates read by
    the FactView on first use (rules/facts.py), for the paths the catalogue declares only."""
    facts: dict = {}
    for prefix, values in context.items():
        if prefix in RESERVED or not isinstance(values, dict):
            continue
        kept = {k: v for k, v in values.items() if isinstance(v, FACT_VALUES)}
        if kept:
            facts[prefix] = kept
    facts.update({"identity": context.get("identity") or {}, "today": today, "form": answers})
    return facts


RESERVED = ("identity", "today", "form")
FACT_VALUES = (int, float, bool, str, date, list, tuple, dict)


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
