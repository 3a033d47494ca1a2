"""Records of a list fact: the `where:` filter of a `records` block and of `options_from:`, and a
field whose answer is one of the records (choose one card of several).

A list fact is `<prefix>.<name>`: a look-up's facts are kept in the application's context under
its prefix (app.context[<prefix>][<name>], a list of records, each a mapping; the prefixes the
application looked up are listed under app.context[facts.LOOKED_UP]). Nothing here knows
a prefix or a record's keys: the flow names them (docs/flow-format.md, `options_from`).
"""
from __future__ import annotations

from .. import catalog, formats, hant
from ..definitions.model import FieldDef
from ..errors import Problem
from .facts import LOOKED_UP, resolve

MASKS = {"id": formats.mask_id, "phone": formats.mask_phone, "name": formats.mask_name}


def _test_eq(value, expected) -> bool:
    return value == expected


def _test_in(value, expected) -> bool:
    return isinstance(expected, list) and value in expected


TESTS = {
    "eq": _test_eq,
    "ne": lambda value, expected: not _test_eq(value, expected),
    "in": _test_in,
    "not_in": lambda value, expected: not _test_in(value, expected),
}


def matches(record, where: dict | None) -> bool:
    """`where: {status: {ne: X}, kind: Y}`: every key's test holds (a bare value means `eq`)."""
    if not isinstance(record, dict):
        return False
    for key, test in (where or {}).items():
        tests = test if isinstance(test, dict) else {"eq": test}
        if not all(TESTS[op](record.get(key), expected) for op, expected in tests.items()):
            return False
    return True


def select(context: dict, path: str, where: dict | None = None) -> list[dict]:
    """The records of the list fact at `path` in the application's context that match `where`."""
    context = context or {}
    looked_up = {prefix: context.get(prefix) or {} for prefix in context.get(LOOKED_UP) or ()}
    found = resolve(looked_up, str(path))
    if not isinstance(found, list):
        return []
    return [r for r in found if matches(r, where)]


def _column(spec) -> tuple[str, str | None]:
    """A column is its title, or {title, mask}."""
    if isinstance(spec, dict):
        return str(spec.get("title", "")), spec.get("mask")
    return str(spec), None


def columns(field: FieldDef) -> dict[str, str]:
    return {key: _column(spec)[0] for key, spec in (field.options_from or {}).get("columns", {}).items()}


def _shown(value, mask: str | None) -> str:
    if isinstance(value, bool):
        return catalog.text("ui.yes" if value else "ui.no")
    text = "" if value is None else str(value)
    return MASKS[mask](text) if mask in MASKS and text else text


def choices(field: FieldDef, context: dict) -> list[dict]:
    """One row per record the field offers: {"value": ..., "cells": {column: shown text}}."""
    spec = field.options_from or {}
    key = spec.get("value")
    rows = []
    for record in select(context, spec.get("list", ""), spec.get("where")):
        if record.get(key) is None:
            continue
        cells = {}
        for column, cell in spec.get("columns", {}).items():
            cells[column] = _shown(record.get(column), _column(cell)[1])
        rows.append({"value": str(record[key]), "cells": cells})
    return rows


def values(field: FieldDef, context: dict) -> list[str]:
    return [row["value"] for row in choices(field, context)]


def empty_text(field: FieldDef) -> str:
    return (field.options_from or {}).get("empty") or catalog.text("records.empty")


def check_choice(field: FieldDef, value, context: dict) -> Problem | None:
    """The answer must be one of the records offered now (the same check for HTML and API)."""
    offered = values(field, context)
    if not offered:
        return Problem(code="records.none", path=field.name,
                       message=field.messages.get("records.none") or empty_text(field))
    if not isinstance(value, str) or value not in offered:
        return Problem(code="records.not_offered", path=field.name,
                       message=field.messages.get("records.not_offered")
                       or catalog.text("records.not_offered", title=hant.text(field.title)))
    return None
