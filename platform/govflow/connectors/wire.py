"""The HTTP/JSON wire form of the connector declarations, shared by the adapter (http.py) and
the server in front of any implementation (serve.py): JSON values, typed answers, paths.

docs/connectors-http.md describes the protocol. A declared path holds `{name}` of an input or
request field; its value travels percent-encoded as one path segment (a `/` or `.` too).
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote, unquote

from ..rules.model import FactType

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class WrongType(ValueError):
    """An answered value does not have its declared type (`where` names the value)."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")


def json_ready(value):
    """A value as JSON carries it: dates in ISO form, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def query_text(value) -> str:
    """An input as a query parameter carries it: text as is, booleans as true/false, dates in
    ISO form, anything else as its JSON-like text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


# -- paths -------------------------------------------------------------------------------

def path_names(template: str) -> list[str]:
    """The `{name}`s of a declared path, in order."""
    return _PARAM.findall(template)


def segment(value) -> str:
    """One path parameter, percent-encoded so that it stays one segment (`.` and `..` too)."""
    return quote(query_text(value), safe="").replace(".", "%2E")


def fill_path(template: str, values: dict) -> str:
    """The declared path with each `{name}` replaced; KeyError names a missing or empty value."""
    def one(match: re.Match) -> str:
        value = values.get(match.group(1))
        if value is None or value == "":
            raise KeyError(match.group(1))
        return segment(value)
    return _PARAM.sub(one, template)


def path_pattern(template: str) -> re.Pattern:
    """A regular expression matching the raw (still percent-encoded) path of `template`."""
    parts, last = [], 0
    for match in _PARAM.finditer(template):
        parts.append(re.escape(template[last:match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts) + r"/?")


def path_values(pattern: re.Pattern, raw_path: str) -> dict | None:
    """The decoded `{name}` values of `raw_path`, or None when it is not that path."""
    match = pattern.fullmatch(raw_path)
    if match is None:
        return None
    return {name: unquote(value) for name, value in match.groupdict().items()}


# -- typed answers -----------------------------------------------------------------------

def _scalar_ok(kind: str, value) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "date":
        if not isinstance(value, str):
            return False
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    return True          # a type this module does not know: taken as it is


def typed(value, fact_type: FactType, where: str):
    """`value` checked against its declared type; of a record, the declared fields only (a
    missing or null field is left out). Raises WrongType."""
    kind = fact_type.type
    if kind == "array":
        if not isinstance(value, list):
            raise WrongType(where, "not a list")
        item = fact_type.items
        return [typed(v, item, f"{where}[{i}]") if item else v for i, v in enumerate(value)]
    if kind == "object":
        if not isinstance(value, dict):
            raise WrongType(where, "not an object")
        return typed_fields(value, dict(fact_type.fields), where) if fact_type.fields else value
    if not _scalar_ok(kind, value):
        raise WrongType(where, f"not of type {kind}: {value!r}")
    if fact_type.enum is not None and value not in fact_type.enum:
        raise WrongType(where, f"not one of {list(fact_type.enum)}: {value!r}")
    return value


def typed_fields(answer: dict, declared: dict[str, FactType], where: str = "") -> dict:
    """The declared fields of a JSON object, each checked against its type; the others dropped."""
    out = {}
    for name, fact_type in declared.items():
        value = answer.get(name)
        if value is not None:
            out[name] = typed(value, fact_type, f"{where}.{name}" if where else name)
    return out
