"""One field's value: coerce form input, then check it against the field's JSON Schema and format.

The same functions serve HTML posts and API calls, so both give the same error codes.
"""
from __future__ import annotations

from datetime import date

from jsonschema import Draft202012Validator

from .. import catalog, formats, hant
from ..definitions.model import FieldDef
from ..errors import Problem
from . import text

MISSING = object()
_TRUE = {"true", "on", "1", "yes"}
_FALSE = {"false", "off", "0", "no"}


def option_values(field: FieldDef, picklists) -> list | None:
    if isinstance(field.options, list):
        return [o["value"] for o in field.options]
    if isinstance(field.options, str):
        pl = picklists.get(field.options)
        if pl is None:
            return None
        return list(pl.leaves()) if pl.is_cascade else [o["value"] for o in pl.options]
    return None


def incomplete_choice(field: FieldDef, value, picklists) -> bool:
    """A province or city of a cascading pick-list where a leaf (a district) is to be chosen."""
    pl = picklists.get(field.options) if isinstance(field.options, str) and isinstance(value, str) else None
    return pl is not None and pl.is_cascade and bool(pl.children(value))


def field_schema(field: FieldDef, picklists) -> dict:
    """The JSON Schema of one field, as exported by the API and used for validation."""
    schema: dict = {"title": field.title}
    if field.type == "date":
        schema.update(type="string", format="date")
    elif field.type == "upload":
        schema.update(type="string", format="upload-id")
    else:
        schema["type"] = field.type
    values = option_values(field, picklists)
    if values is not None:
        schema["enum"] = values
    if field.const is not None:
        schema["const"] = field.const
    schema.update(field.limits)
    if field.help:
        schema["description"] = field.help
    if field.default is not None:
        schema["default"] = field.default
    if field.readonly:
        schema["readOnly"] = True
    if field.options_from:                 # the values are the records of the application (its page's `enum`)
        spec = field.options_from
        schema["x-options-from"] = {"list": spec["list"], "value": spec["value"],
                                    "columns": list(spec.get("columns", {}))}
    schema["x-widget"] = field.widget
    if field.format:
        schema["x-format"] = field.format
    return schema


def _validator(field: FieldDef, picklists) -> Draft202012Validator:
    """Built once per loaded field (definitions are immutable once loaded)."""
    cached = field.__dict__.get("_validator")
    if cached is None:
        schema = field_schema(field, picklists)
        schema.pop("format", None)
        cached = Draft202012Validator(schema)
        field.__dict__["_validator"] = cached
    return cached


def coerce(field: FieldDef, raw, from_form: bool):
    """Typed value of raw input, MISSING when nothing was given. Form posts send strings."""
    if raw is None:
        return MISSING
    if isinstance(raw, str):
        raw = text.clean(raw, compatibility=field.format in formats.NORMALIZERS)
        if raw == "":
            return MISSING
    if field.type == "boolean" and isinstance(raw, str):
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return raw
    if field.type == "integer" and isinstance(raw, str) and from_form:
        try:
            return int(raw)
        except ValueError:
            return raw
    if field.type == "date" and isinstance(raw, str) and from_form:     # 2024年5月12日, 20240512 ...
        return formats.typed_date(raw) or raw
    if isinstance(raw, str) and field.format in formats.NORMALIZERS:
        return formats.NORMALIZERS[field.format](raw)
    return raw


def missing_code(field: FieldDef) -> str:
    if field.type == "upload":
        return "required.upload"
    if field.type == "boolean":
        return "required.check"
    if field.options or field.options_from or field.widget in ("branch", "region", "records"):
        return "required.choice"
    return "required"


def problem(field: FieldDef, code: str, **values) -> Problem:
    message = field.messages.get(code) or catalog.text(code, title=hant.text(field.title), **values)
    return Problem(code=code, path=field.name, message=message)


def check_value(field: FieldDef, value, picklists, today: date) -> Problem | None:
    """Text that cannot be accepted first (journey/text.py), then schema keywords (type, enum,
    const, lengths), then the named format."""
    if isinstance(value, str) and (code := text.refusal(value, multiline=field.widget == "textarea")):
        return problem(field, code)
    if incomplete_choice(field, value, picklists):
        return problem(field, "region.incomplete")
    for error in _validator(field, picklists).iter_errors(value):
        limit = error.validator_value if error.validator in ("minLength", "maxLength", "minimum", "maximum") else None
        return problem(field, error.validator, limit=limit)
    if field.type == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return problem(field, "date")
    if field.format:
        code = formats.check(field.format, value, today)
        if code:
            return problem(field, code)
    return None

