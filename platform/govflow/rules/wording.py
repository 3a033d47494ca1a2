"""The words the rule and scenario checks share (messages/checks/rules.yaml): suggestions of a
close name, the name of a value type, and JSON Schema errors of rule, facts and scenario files
said in the staff member's language instead of jsonschema's English."""
from __future__ import annotations

import difflib

from ..say import names, say

# the schemas' patterns, said in words (rules.schema.json, scenario.schema.json)
PATTERNS = {
    "^[A-Z][A-Z0-9]*-[0-9]{3}$": "rule_id",
    "^[a-z][a-z0-9_]*$": "name",
    "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$": "fact_path",
}
SCHEMA_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null", "date")


def suggest(word, choices, cutoff: float = 0.5) -> str | None:
    """'did you mean X?' (the closest known name) in the current language, or None when none is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=cutoff)
    return say("hint.did_you_mean", name=close[0]) if close else None


def suggest_or_list(word, choices) -> str | None:
    """A close name when there is one, else the known names (when there are a few)."""
    choices = [str(c) for c in choices]
    return suggest(word, choices) or (say("hint.known_names", names=names(choices)) if 0 < len(choices) <= 12 else None)


def type_name(name: str) -> str:
    """'文字' / 'a string': the name of a fact or JSON type, as the sentences use it."""
    return say(f"rules.type.{name}") if name in SCHEMA_TYPES else str(name)


def _python_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "string"


def schema_message(error) -> tuple[str, str | None]:
    """(message, hint) for one jsonschema ValidationError."""
    kw, want, value = error.validator, error.validator_value, error.instance
    if kw == "required":
        missing = [k for k in want if isinstance(value, dict) and k not in value] or list(want)
        return say("rules.schema.required", key=missing[0]), None
    if kw == "additionalProperties":
        known = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        extra = [k for k in value if k not in known] if isinstance(value, dict) else []
        key = extra[0] if extra else ""
        return say("rules.schema.unknown_key", key=key), suggest_or_list(key, known)
    if kw == "type":
        wanted = want if isinstance(want, list) else [want]
        return say("rules.schema.type", expected=names(type_name(t) for t in wanted),
                   found=type_name(_python_type(value)), value=_short(value)), None
    if kw == "enum":
        return say("rules.schema.enum", value=_short(value)), \
            suggest(value, want, 0.7) or say("rules.schema.enum.hint", values=names(want))
    if kw == "const":
        return say("rules.schema.const", expected=_short(want), value=_short(value)), None
    if kw == "pattern":
        shape = PATTERNS.get(want)
        if shape is not None:
            return say(f"rules.schema.pattern.{shape}", value=_short(value)), None
        return say("rules.schema.pattern", value=_short(value), pattern=want), None
    if kw == "format":
        return say("rules.schema.format", value=_short(value), format=want), None
    if kw in ("minItems", "maxItems", "minLength", "minProperties", "maxProperties"):
        return say(f"rules.schema.{kw}", n=want), None
    if kw == "oneOf":
        return say("rules.schema.one_of", value=_short(value)), None
    return say("rules.schema.other", detail=error.message), None


def schema_path(error) -> tuple:
    """Where a schema error is reported: an unexpected key at its own line, not its mapping's."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        path += tuple([key for key in error.instance if key not in known][:1])
    return path


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def rule_label(rule_id, title=None) -> str:
    """A rule named for staff: its id and, when it has one, its title."""
    return say("rules.rule_label", id=rule_id, ti=title) if title else str(rule_id)
