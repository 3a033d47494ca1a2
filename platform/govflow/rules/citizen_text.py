"""What a citizen reads of a rule is plain Chinese: its title (a popup's heading), its messages and the
policy basis shown under “为什么？” (`why:`, or `basis:` when the rule has none). A file name or an
English sentence there is an error for staff, at its line, saying what to write instead.
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import Problem
from ..say import say
from ..yamlsource import Source
from .wording import rule_label

FILE_NAME = re.compile(r"[\w./-]*\w\.(?:json|ya?ml|csv|tsv|txt|py|md|xlsx?|docx?|pdf|html?)\b", re.I | re.A)
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[\s,;:'’-]+[A-Za-z]{2,})+")      # two Latin words in a row


def foreign(text: str) -> str | None:
    """The file name or English words in `text`, if any."""
    found = FILE_NAME.search(text) or ENGLISH.search(text)
    return found.group(0) if found else None


def _texts(raw: dict) -> list[tuple[tuple, str, str]]:
    """(path in the rule, what it is, text) of everything of the rule a citizen reads."""
    out: list[tuple[tuple, str, str]] = []
    if isinstance(raw.get("title"), str):
        out.append((("title",), "title", raw["title"]))
    key = "why" if isinstance(raw.get("why"), str) else "basis"
    if isinstance(raw.get(key), str):
        out.append(((key,), key, raw[key]))
    then = raw.get("then")
    for kind, spec in (then.items() if isinstance(then, dict) else ()):
        if isinstance(spec, dict) and isinstance(spec.get("message"), str):
            out.append((("then", kind, "message"), "message", spec["message"]))
    return out


def problems(source: Source, raw: Any, where: tuple) -> list[Problem]:
    if not isinstance(raw, dict):
        return []
    label = rule_label(str(raw.get("id", "")), raw.get("title"))
    out = []
    for path, what, text in _texts(raw):
        bad = foreign(text)
        if bad is not None:
            out.append(source.problem(where + path, "rule.citizen_text",
                                      say("rules.citizen_text", rule=label, what=say("rules.citizen_text." + what),
                                          found=bad),
                                      say("rules.citizen_text.hint." + ("basis" if what == "basis" else "other"))))
    return out
