"""`when:` conditions of flow files, read with the rules engine's own plain-Python semantics.

Flows may write `{field: x, ...}` as a shorthand for `{fact: form.x, ...}`; everything else
is the rule files' condition language, so staff learn one language.
"""
from __future__ import annotations

from ..rules import evaluate_condition


def expand(cond):
    if isinstance(cond, list):
        return [expand(c) for c in cond]
    if not isinstance(cond, dict):
        return cond
    out = {}
    for key, value in cond.items():
        if key == "field":
            out["fact"] = f"form.{value}"
        elif key in ("all", "any", "not"):
            out[key] = expand(value)
        elif isinstance(value, dict) and "field" in value:
            out[key] = {"fact": f"form.{value['field']}"}
        else:
            out[key] = value
    return out


def holds(cond, facts: dict) -> bool:
    """True when there is no condition or it holds for `facts`."""
    if not cond:
        return True
    return bool(evaluate_condition(expand(cond), facts))
