"""Build the facts dict that rules and `when:` conditions read, from an application and its answers."""
from __future__ import annotations

import re
from datetime import date

from ..definitions.model import FlowDef

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_date(value):
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def typed_answers(flow: FlowDef, answers: dict) -> dict:
    """Answers with date fields as `date` (invalid dates left out: a test on them is never true)."""
    out = {}
    for name, value in answers.items():
        f = flow.field(name)
        if f is not None and f.type == "date":
            value = to_date(value)
            if value is None:
                continue
        out[name] = value
    return out


def identity_facts(identity: dict | None) -> dict:
    out = {}
    for key, value in (identity or {}).items():
        out[key] = to_date(value) if isinstance(value, str) and _ISO_DATE.match(value) else value
    return out


def build_facts(flow: FlowDef, context: dict, answers: dict, today: date) -> dict:
    """identity.*, registry.* (counts only), today and form.* in one nested dict."""
    registry = context.get("registry") or {}
    return {
        "identity": identity_facts(context.get("identity")),
        "registry": {k: v for k, v in registry.items() if isinstance(v, (int, float, bool, str))},
        "today": today,
        "form": typed_answers(flow, answers),
    }


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
