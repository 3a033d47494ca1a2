"""Validate flow files against the flow format's own JSON Schema, with staff-friendly messages."""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ..errors import Problem
from ..yamlsource import Source


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
    """For oneOf/anyOf failures, the most specific sub-error explains the problem best."""
    while error.context:
        error = best_match(error.context)
    return error


def _message(error: ValidationError) -> tuple[str, str | None, tuple]:
    kw = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kw == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = [k for k in (error.instance if isinstance(error.instance, dict) else ()) if k not in allowed]
        key = extra[0] if extra else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
        return f"unknown key '{key}'", hint, (key,)
    if kw == "required" and isinstance(error.instance, dict) and error.instance.get("submit"):
        return error.message.replace("is a required property", "is missing"), \
            "a button with `submit:` needs `next:` (where to go after success)", ()
    if kw == "required":
        return error.message.replace("is a required property", "is missing"), "add this key", ()
    if kw == "enum":
        values = error.validator_value if isinstance(error.validator_value, list) else []
        return f"{error.instance!r} is not allowed here", f"use one of: {', '.join(map(str, values))}", ()
    if kw == "pattern":
        return (f"{error.instance!r} is not a valid name",
                "use lower-case letters, digits and _ , starting with a letter", ())
    if kw == "not" and "required" in schema.get("not", {}):
        keys = " and ".join(f"`{k}`" for k in schema["not"]["required"])
        return f"{keys} cannot be used together here", "keep one of them", ()
    if kw == "type":
        return f"{error.instance!r} should be of type {error.validator_value}", None, ()
    return error.message, None, ()


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
    problems = []
    for error in sorted(_validator(definition).iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        deep = _deepest(error)
        message, hint, sub = _message(deep)
        path = base + tuple(deep.absolute_path) + sub
        problems.append(source.problem(path, f"flow.schema.{deep.validator}", message, hint))
    return problems
