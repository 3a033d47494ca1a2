"""The JSON API's request bodies, checked before anything reads them.

In this order: the size (JSON_MAX_BYTES, far smaller than an upload may be), the syntax (UTF-8
JSON), the nesting depth (JSON_MAX_DEPTH), an object, and the keys the endpoint accepts (a page
accepts its input fields: the `additionalProperties: false` its published schema promises). Each
refusal is a BodyRefused, answered as problem+json by web/errors.py with its code and Chinese text.
"""
from __future__ import annotations

import json
from typing import Iterable

from flask import current_app, request

from .. import catalog
from ..errors import GovflowError, Problem

JSON_MAX_BYTES = 64 * 1024
JSON_MAX_DEPTH = 8
_SHOWN = 40            # characters of an unknown key repeated in its message


class BodyRefused(GovflowError):
    """A request body refused before the journey sees it; `problems` one per reason."""

    def __init__(self, status: int, code: str, problems: list[Problem]):
        super().__init__(code)
        self.status = status
        self.problems = problems


def _refuse(status: int, code: str, **values) -> BodyRefused:
    return BodyRefused(status, code, [catalog.problem(code, "", **values)])


def json_object(allowed: Iterable[str] | None = None, empty_ok: bool = False) -> dict:
    """The body as a dict, or BodyRefused. `empty_ok`: no body at all is `{}`."""
    limit = int(current_app.config.get("JSON_MAX_BYTES", JSON_MAX_BYTES))
    if (request.content_length or 0) > limit:
        raise _refuse(413, "request.too_large", limit=f"{limit // 1024}KB")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise _refuse(413, "request.too_large", limit=f"{limit // 1024}KB")
    if not raw.strip() and empty_ok:
        return {}
    if not request.is_json:
        raise _refuse(400, "request.not_json")
    depth = int(current_app.config.get("JSON_MAX_DEPTH", JSON_MAX_DEPTH))
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise _refuse(400, "request.too_deep", depth=depth) from None
    except ValueError:          # also UnicodeDecodeError
        raise _refuse(400, "request.not_json") from None
    if not isinstance(data, dict):
        raise _refuse(400, "request.not_json")
    if _depth(data, depth) > depth:
        raise _refuse(400, "request.too_deep", depth=depth)
    if allowed is not None:
        refuse_unknown(data, allowed)
    return data


def refuse_unknown(data: dict, allowed: Iterable[str]) -> None:
    """422 naming every key of `data` outside `allowed`."""
    known = allowed if isinstance(allowed, (set, frozenset)) else set(allowed)
    unknown = [key for key in data if key not in known]
    if unknown:
        raise BodyRefused(422, "request.unknown_field",
                          [catalog.problem("request.unknown_field", key, name=_shown(key)) for key in unknown])


def _shown(key: str) -> str:
    return key if len(key) <= _SHOWN else key[:_SHOWN] + "…"


def _depth(value, limit: int) -> int:
    """Nesting depth of a parsed JSON value (1 for an object of scalars), counted up to limit + 1."""
    deepest, level = 0, [(value, 1)]
    while level:
        item, d = level.pop()
        if d > limit:
            return d
        deepest = max(deepest, d)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        level.extend((child, d + 1) for child in children if isinstance(child, (dict, list)))
    return deepest
