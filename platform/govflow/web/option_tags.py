"""The `<option>`s of a select, joined once per shared option list (a pick-list level has up to
hundreds); one value marked selected per request by splicing, not by escaping the list again."""
from __future__ import annotations

from markupsafe import Markup, escape

_OPTION_TAGS: dict[int, tuple[tuple, str, dict]] = {}


def _option_html(options) -> tuple[str, dict]:
    """All `<option>`s joined, and where each value's tag is in the text (to mark one selected)."""
    parts: list[str] = []
    where: dict = {}
    at = 0
    for o in options:
        tag = f'<option value="{escape(o["value"])}">{escape(o["label"])}</option>'
        where.setdefault(o["value"], (at, at + len(tag)))
        parts.append(tag)
        at += len(tag)
    return "".join(parts), where


def option_tags(options, selected=None) -> Markup:
    """`<option>`s of a select, escaped once per shared option list (a region list has hundreds)."""
    cached = _OPTION_TAGS.get(id(options))
    if cached is None or cached[0] is not options:
        cached = (options, *_option_html(options))
        if isinstance(options, tuple):           # shared lists only; a filtered list is built per request
            _OPTION_TAGS[id(options)] = cached
    _, text, where = cached
    span = where.get(selected) if selected is not None else None
    if span is None:
        return Markup(text)
    start, end = span
    return Markup(text[:start] + text[start:end].replace("<option ", "<option selected ", 1) + text[end:])
