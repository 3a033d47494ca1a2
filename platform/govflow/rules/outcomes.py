"""Checking a rule's `then:` (refuse / redirect / restrict, see docs/internals.md)."""
from __future__ import annotations

from typing import Any

from ..errors import Problem
from ..say import names, say
from ..yamlsource import Source
from .facts import coerce
from .wording import suggest, type_name

# outcome -> (required keys, optional keys, keys naming a form field)
OUTCOMES = {
    "refuse": (("message",), ("field", "see"), ("field",)),
    "redirect": (("message", "flow"), ("page", "confirm_label"), ()),
    "restrict": (("field", "to", "message"), (), ("field",)),
}


def check_outcome(source: Source, then: Any, where: tuple, types: dict) -> list[Problem]:
    def bad(path: tuple, message: str, hint: str | None = None, code: str = "rule.bad_outcome") -> None:
        out.append(source.problem(path, code, message, hint))

    out: list[Problem] = []
    if not isinstance(then, dict) or len(then) != 1 or next(iter(then)) not in OUTCOMES:
        keys = list(then) if isinstance(then, dict) else then
        word = keys[0] if isinstance(keys, list) and keys else ""
        bad(where, say("rules.outcome.one_kind", kinds=names(OUTCOMES),
                       found=names(keys) if isinstance(keys, list) else repr(keys)),
            suggest(word, OUTCOMES) or say("rules.outcome.one_kind.hint"))
        return out
    kind, body = next(iter(then.items()))
    required, optional, field_keys = OUTCOMES[kind]
    at = where + (kind,)
    if not isinstance(body, dict):
        bad(at, say("rules.outcome.not_mapping", kind=kind, keys=names(required)))
        return out
    for key in required:
        if key not in body:
            bad(at, say("rules.outcome.key_missing", kind=kind, key=key))
    for key in body:
        if key not in required + optional:
            bad(at + (key,), say("rules.outcome.unknown_key", kind=kind, key=key),
                suggest(key, required + optional) or say("hint.known_names", names=names(required + optional)))
    for key in ("message", "flow", "page", "confirm_label"):
        if key in body and (not isinstance(body[key], str) or not body[key].strip()):
            bad(at + (key,), say("rules.outcome.empty_text", key=key))
    out += _check_fields(source, kind, body, at, field_keys, types)
    return out


def _check_fields(source: Source, kind: str, body: dict, at: tuple, field_keys, types: dict) -> list[Problem]:
    """The keys of an outcome that name a form field (and a restriction's allowed values)."""
    out: list[Problem] = []
    for key in field_keys:
        if key in body:
            field = f"form.{body[key]}"
            if field not in types:
                forms = {t[5:] for t in types if t.startswith("form.")}
                out.append(source.problem(at + (key,), "rule.unknown_field",
                                          say("rules.outcome.unknown_field", field=body[key]),
                                          suggest(body[key], forms)))
            elif kind == "restrict":
                out += _check_to(source, body.get("to"), at + ("to",), types[field], body[key])
    return out


def _check_to(source: Source, to: Any, at: tuple, ftype, name) -> list[Problem]:
    field = say("rules.outcome.field_titled", f=name, ti=ftype.title) if ftype.title else name
    if not isinstance(to, list) or not to:
        return [source.problem(at, "rule.bad_outcome", say("rules.outcome.empty_to", field=field))]
    out = []
    for i, value in enumerate(to):
        ok, normal = coerce(ftype.type, value)
        if not ok:
            out.append(source.problem(at + (i,), "rule.wrong_value_type",
                                      say("rules.outcome.wrong_type", value=value, type=type_name(ftype.type))))
        elif ftype.enum is not None and normal not in ftype.enum:
            out.append(source.problem(at + (i,), "rule.value_not_in_enum",
                                      say("rules.outcome.not_an_option", value=value, field=field),
                                      suggest(value, ftype.enum) or say("hint.known_names", names=names(ftype.enum))))
    return out
