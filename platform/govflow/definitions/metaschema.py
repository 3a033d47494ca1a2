"""Validate flow files against the flow format's own JSON Schema, with messages for policy staff.

jsonschema says *which rule of the schema* failed ("'请选择…' should be of type object"); staff need
to know *what was expected there*, in plain words ("此处应为字段的设置（title、type…），而不是文字：
是否缩进有误？"). `SAYS` maps each kind of jsonschema error to a small function, like jsonschema's
own validators table; what a place of the schema expects comes from the `$defs` entry the error is
in (`schema.what.<def>` in messages/checks/flows.yaml).
"""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ..errors import Problem
from ..say import names, say
from ..yamlsource import Source

NAME_PATTERN = "^[a-z][a-z0-9_]*$"
SCALAR_TYPES = ("string", "integer", "number", "boolean")


@lru_cache(maxsize=None)
def flow_schema() -> dict:
    return json.loads(resources.files("govflow").joinpath("schemas/flow.schema.json").read_text("utf-8"))


@lru_cache(maxsize=None)
def _validator(definition: str | None) -> Draft202012Validator:
    schema = flow_schema()
    if definition:
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(schema)


def _deepest(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf failures, the most specific sub-error explains the problem best: the one
    deepest in what was written (the list was right, its item is wrong), then jsonschema's pick."""
    while error.context:
        depth = max(len(e.absolute_path) for e in error.context)
        error = best_match([e for e in error.context if len(e.absolute_path) == depth])
    return error


# -- what a place of the schema expects, what was written instead ---------------------------------

def _def_name(schema: Any) -> str | None:
    if schema is flow_schema():
        return "root"
    for name, value in flow_schema()["$defs"].items():
        if value is schema:
            return name
    return None


def _ref_name(schema: Any) -> str | None:
    """The $defs entry a schema is, or refers to with `$ref: #/$defs/<name>`."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return ref[len("#/$defs/"):]
    return _def_name(schema)


def expected(error: ValidationError) -> str:
    """What the schema expects where `error` is, in plain words."""
    name = _def_name(error.schema)
    if name:
        return say(f"schema.what.{name}")
    path = list(error.absolute_path)
    if len(path) == 2 and path[0] == "pages":
        return say("schema.what.page_item")
    kind = error.schema.get("type") if isinstance(error.schema, dict) else None
    items = _ref_name(error.schema.get("items")) if isinstance(error.schema, dict) else None
    if kind == "array" and items:
        return say("schema.what.list_of", what=say(f"schema.what.{items}"))
    if isinstance(kind, str):
        return say(f"value.{_value_kind_of_type(kind)}")
    key = next((p for p in reversed(error.absolute_path) if isinstance(p, str)), None)
    return say("schema.what.key", key=key) if key else say("schema.what.here")


def where(error: ValidationError) -> str:
    """The mapping an unknown or missing key is in, named when it has a name: 字段“x”的设置…"""
    name = _def_name(error.schema)
    instance = error.instance if isinstance(error.instance, dict) else {}
    path = list(error.absolute_path)
    if name == "field" and path and isinstance(path[-1], str):
        return say("schema.where.field", name=path[-1])
    if name in ("page", "action") and isinstance(instance.get("id"), str):
        label = instance.get("title" if name == "page" else "label")
        if not isinstance(label, str) or not label:
            return say(f"schema.where.{name}_id", id=instance["id"])
        return say(f"schema.where.{name}", id=instance["id"], title=label)
    return expected(error)


def _value_kind_of_type(kind: str) -> str:
    return {"array": "list", "object": "mapping"}.get(kind, kind if kind in SCALAR_TYPES else "string")


def written(value: Any) -> str:
    """What kind of value was written, in plain words."""
    if value is None:
        return say("value.null")
    if isinstance(value, bool):
        return say("value.boolean")
    if isinstance(value, dict):
        return say("value.mapping")
    if isinstance(value, list):
        return say("value.list")
    if isinstance(value, int):
        return say("value.integer")
    if isinstance(value, float):
        return say("value.number")
    return say("value.string")


def _expects_mapping(error: ValidationError) -> bool:
    kind = error.validator_value
    return kind == "object" or (isinstance(kind, list) and "object" in kind)


# -- one small function per kind of jsonschema error: (message, hint, extra path) ---------------

Said = tuple[str, str | None, tuple]


def _type(error: ValidationError, data: Any) -> Said:
    instance = error.instance
    indent = _expects_mapping(error) != isinstance(instance, dict)    # a mapping where a value goes, or back
    message = say("flow.schema.type_indent" if indent else "flow.schema.type",
                  expected=expected(error), actual=written(instance))
    hint = _misplaced_key_hint(error, data)
    if hint is None and error.validator_value == "array" and not isinstance(instance, (dict, list)):
        hint = say("flow.schema.hint.as_list", value=instance)
    if hint is None and error.validator_value == "string" and isinstance(instance, (int, float, bool)):
        hint = say("flow.schema.hint.quote", value=instance)
    if hint is None and list(error.absolute_path)[:1] == ["pages"] and isinstance(instance, str):
        hint = say("flow.schema.hint.use_page", value=instance)
    return message, hint, ()


def _misplaced_key_hint(error: ValidationError, data: Any) -> str | None:
    """`help:` written two spaces too far left becomes a field of its own: say whose setting it is."""
    path = list(error.absolute_path)
    if not path or not isinstance(path[-1], str) or not isinstance(error.schema, dict):
        return None
    key = path[-1]
    if key not in error.schema.get("properties", {}):
        return None
    parent = _at(data, path[:-1])
    keys = list(parent) if isinstance(parent, dict) else []
    before = keys[keys.index(key) - 1] if key in keys and keys.index(key) > 0 else None
    if before is None:
        return say("flow.schema.hint.not_a_name", key=key)
    return say("flow.schema.hint.indent_under", key=key, owner=before)


def _at(data: Any, path: list) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _additional(error: ValidationError, data: Any, errors: list[ValidationError]) -> list[Said]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    allowed = sorted(schema.get("properties", {}))
    instance = error.instance if isinstance(error.instance, dict) else {}
    out: list[Said] = []
    for key in [k for k in instance if k not in allowed]:
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = say("hint.did_you_mean", name=close[0]) if close else say("flow.schema.allowed_keys",
                                                                        names=names(allowed))
        out.append((say("flow.schema.unknown_key", key=key, where=where(error)), hint, (key,)))
    return out


def _required(error: ValidationError, data: Any, errors: list[ValidationError]) -> list[Said]:
    """Every missing key of the mapping (jsonschema gives one error each; the first says them all),
    but not one written with a typo: `titel:` for `title:` is said by the unknown key."""
    if any(other.validator == "required" and other.instance is error.instance for other in
           errors[:next(i for i, e in enumerate(errors) if e is error)]):
        return []
    instance = error.instance if isinstance(error.instance, dict) else {}
    wanted = error.validator_value if isinstance(error.validator_value, list) else []
    out: list[Said] = []
    for key in [k for k in wanted if k not in instance and not _misspelt(k, error, errors)]:
        message = say("flow.schema.missing", key=key, where=where(error))
        hint = say("flow.schema.submit_needs_next") if instance.get("submit") else \
            say("flow.schema.missing.hint", key=key)
        out.append((message, hint, ()))
    return out


def _enum(error: ValidationError, data: Any) -> Said:
    values = [str(v) for v in error.validator_value] if isinstance(error.validator_value, list) else []
    close = difflib.get_close_matches(str(error.instance), values, n=1)
    hint = say("hint.did_you_mean", name=close[0]) if close else say("flow.schema.enum.hint", names=names(values))
    return say("flow.schema.enum", value=error.instance), hint, ()


def _pattern(error: ValidationError, data: Any) -> Said:
    if error.validator_value == NAME_PATTERN:
        return say("flow.schema.pattern_name", value=error.instance), say("flow.schema.pattern_name.hint"), ()
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    return say("flow.schema.pattern", value=error.instance), description, ()


def _not(error: ValidationError, data: Any) -> Said:
    keys = error.validator_value.get("required", []) if isinstance(error.validator_value, dict) else []
    if keys:
        return say("flow.schema.together", keys=names(f"“{k}”" for k in keys)), say("flow.schema.together.hint"), ()
    return _other(error, data)


def _empty(error: ValidationError, data: Any) -> Said:
    return say("flow.schema.empty", expected=expected(error)), None, ()


def _too_many(error: ValidationError, data: Any) -> Said:
    return say("flow.schema.too_many", limit=error.validator_value), None, ()


def _minimum(error: ValidationError, data: Any) -> Said:
    return say("flow.schema.minimum", value=error.instance, limit=error.validator_value), None, ()


def _maximum(error: ValidationError, data: Any) -> Said:
    return say("flow.schema.maximum", value=error.instance, limit=error.validator_value), None, ()


def _other(error: ValidationError, data: Any) -> Said:
    return say("flow.schema.other", kind=error.validator, expected=expected(error)), None, ()


SAYS: dict[str, Callable[[ValidationError, Any], Said]] = {
    "type": _type, "enum": _enum, "pattern": _pattern, "not": _not,
    "minItems": _empty, "minLength": _empty, "minProperties": _empty, "maxProperties": _too_many,
    "minimum": _minimum, "maximum": _maximum,
}


def _said(error: ValidationError, data: Any, errors: list[ValidationError]) -> list[Said]:
    if error.validator == "additionalProperties":
        return _additional(error, data, errors)
    if error.validator == "required":
        return _required(error, data, errors)
    return [SAYS.get(str(error.validator), _other)(error, data)]


# -- checking -----------------------------------------------------------------------------------

def check_pages(source: Source) -> list[Problem]:
    """Each page against its own definition, so a typo gets its own message (not a oneOf puzzle)."""
    problems = []
    for i, page in enumerate(source.data.get("pages") or []):
        if isinstance(page, dict):
            problems += check(source, "page_use" if "use" in page else "page", ("pages", i))
    return problems


def check_file(source: Source) -> list[Problem]:
    found = check(source)
    return found + (check_pages(source) if not found else [])


def check(source: Source, definition: str | None = None, base: tuple = ()) -> list[Problem]:
    """All meta-schema problems of `source.data` (or of the part at `base` against `$defs/definition`)."""
    data = source.data
    for key in base:
        data = data[key]
    errors = [_deepest(e) for e in sorted(_validator(definition).iter_errors(data),
                                          key=lambda e: list(map(str, e.absolute_path)))]
    problems = []
    for deep in errors:
        for message, hint, sub in _said(deep, data, errors):
            path = base + tuple(deep.absolute_path) + sub
            problems.append(source.problem(path, f"flow.schema.{deep.validator}", message, hint))
    return problems


def _misspelt(key: str, missing: ValidationError, errors: list[ValidationError]) -> bool:
    """Required `key` is missing because it is written with a typo (an unknown key close to it)."""
    instance = missing.instance if isinstance(missing.instance, dict) else {}
    for other in errors:
        if other.validator == "additionalProperties" and other.instance is missing.instance:
            allowed = other.schema.get("properties", {}) if isinstance(other.schema, dict) else {}
            extra = [str(k) for k in instance if k not in allowed]
            if difflib.get_close_matches(key, extra, n=1):
                return True
    return False
