"""Check an edit of one definition file before anything is saved: the whole bundle with that one
file replaced, loaded by the real checker (load_definitions) in a temporary directory.

`check_edit(files, name, text)` is what the staff pages' editor calls as the staff member types
(试改 of an archived file, and the drafts of a procedure edited in the browser): every problem the
checker finds, with its file and line, those of the edited file first. A new file is allowed when
its path is one the bundle reads (bundle.PATTERNS); any other name is a problem, not an exception.
"""
from __future__ import annotations

import json

from ..errors import Problem
from ..say import names, say
from .bundle import PATTERNS, allowed, load_files


def check_edit(files: dict[str, str], name: str, text: str) -> list[Problem]:
    """The problems of the bundle `files` (relative path -> text, as bundle.read_files returns them)
    with file `name` replaced by (or added as) `text`; those of `name` first, each group in the
    checker's order. An empty list: the edit loads cleanly."""
    if not allowed(name):
        return [Problem("edit.unknown_file", "", say("publishing.edit.unknown_file", name=name), name, None,
                        say("publishing.edit.unknown_file.hint", patterns=names(PATTERNS)))]
    problems = check_files({**files, name: text})
    if name.endswith(".json"):
        problems = _json_syntax(name, text) + problems
    return sorted(problems, key=lambda p: p.file != name)      # stable: the checker's order within


def check_files(files: dict[str, str]) -> list[Problem]:
    """Every problem of the bundle `files` as the checker reports it, files named as in the bundle."""
    return load_files(files)[1]


def caused_by_edit(problems: list[Problem], name: str, before: list[Problem]) -> list[Problem]:
    """Of check_edit's `problems`, those the editor shows: all of file `name`, and those of other
    files that the bundle did not have `before` the edit (check_files of the unedited bundle), so a
    warning the bundle always had elsewhere is not reported against every edit."""
    def key(p: Problem) -> tuple:
        return p.code, p.file, p.path, p.message, p.line
    known = {key(p) for p in before}
    return [p for p in problems if p.file == name or key(p) not in known]


def _json_syntax(name: str, text: str) -> list[Problem]:
    """A reference JSON file's syntax error at its own line (the checker reports it against
    picklists.yaml, the file that names it)."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem("reference.json_syntax", "", say("publishing.edit.json_syntax", error=exc.msg), name,
                        exc.lineno, say("publishing.edit.json_syntax.hint"))]
    return []
