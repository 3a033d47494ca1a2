"""YAML loading that remembers where every value came from.

Policy staff need `file:line` in every error, so definitions are loaded as a
plain Python structure plus a map from key path to line number.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem
from .say import say

Path_ = tuple  # a key path such as ("pages", 3, "next")


@dataclass
class Source:
    """A loaded YAML document: its data, its file name and the line of every key path."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    text: str = ""

    def line(self, path: Path_) -> int:
        """Line of `path`, or of its nearest ancestor that has one (1-based)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def file_at(self, path: Path_) -> str:
        """The file `path` was written in (always this one; an Overlay answers per part)."""
        return self.file

    def problem(self, path: Path_, code: str, message: str, hint: str | None = None,
                severity: str = "error") -> Problem:
        return Problem(code=code, path=dotted(path), message=message, file=self.file_at(path),
                       line=self.line(path), hint=hint, severity=severity)


class Overlay(Source):
    """Something merged from several places (a shared page and a flow's `use:` override of it): a
    path of the merged whole is answered with the file and line of the part it came from, so a
    mistake in an override is reported where it was written, not in the shared fragment.

    `parts`: (prefix in the merged coordinates, source written in, the same place in that source);
    the longest matching prefix wins, the base source answers for everything else."""

    def __init__(self, base: Source, parts: list[tuple[Path_, Source, Path_]]):
        super().__init__(base.file, base.data, base.lines, base.text)
        self.base = base
        self.parts = sorted(parts, key=lambda part: -len(part[0]))

    def _resolve(self, path: Path_) -> tuple[Source, Path_]:
        path = tuple(path)
        for prefix, source, there in self.parts:
            if path[:len(prefix)] == prefix:
                return source, tuple(there) + path[len(prefix):]
        return self.base, path

    def line(self, path: Path_) -> int:
        source, there = self._resolve(path)
        return source.line(there)

    def file_at(self, path: Path_) -> str:
        source, there = self._resolve(path)
        return source.file_at(there)

    def problem(self, path: Path_, code: str, message: str, hint: str | None = None,
                severity: str = "error") -> Problem:
        source, there = self._resolve(path)
        return source.problem(there, code, message, hint, severity)


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Loader(yaml.SafeLoader):
    """Safe loader used to build scalars (duplicate keys are reported in _construct)."""


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):       # type: ignore[misc]
    """libyaml's parser (3x faster), same resolver; a file it refuses is parsed again by _Loader,
    so syntax errors keep the pure-Python parser's words and lines."""


_SCALARS = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.Node) -> Any:      # a ScalarNode (the only kind left)
    build = _SCALARS.yaml_constructors.get(node.tag)
    if build is not None:                 # the safe scalar types: one shared, stateless constructor
        return build(_SCALARS, node)
    return _Loader("").construct_object(node, deep=True)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_FastLoader)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=_Loader)


def _construct(node: yaml.Node, path: Path_, lines: dict, problems: list, file: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            if key in out:
                problems.append(Problem("yaml.duplicate_key", dotted(path + (key,)),
                                        say("yaml.duplicate_key", key=key), file, key_node.start_mark.line + 1,
                                        say("yaml.duplicate_key.hint")))
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, path + (key,), lines, problems, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (i,), lines, problems, file) for i, item in enumerate(node.value)]
    return _scalar(node)


# What PyYAML says went wrong (its `problem`), in the checker's words; the start of its sentence
# decides. Anything else is quoted as PyYAML said it.
YAML_PROBLEMS = (
    ("mapping values are not allowed", "yaml.problem.colon"),
    ("could not find expected ':'", "yaml.problem.no_colon"),
    ("found character '\\t'", "yaml.problem.tab"),
    ("expected ',' or '}'", "yaml.problem.brace"),
    ("expected ',' or ']'", "yaml.problem.bracket"),
    ("did not find expected key", "yaml.problem.indent"),
    ("did not find expected '-'", "yaml.problem.dash"),
    ("expected <block end>", "yaml.problem.indent"),
    ("found unexpected end of stream", "yaml.problem.unclosed"),
    ("found undefined alias", "yaml.problem.alias"),
)


OPENED_EARLIER = ("while parsing a flow", "while scanning a quoted")


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = str(exc.problem or exc)
    for start, key in YAML_PROBLEMS:
        if problem.startswith(start):
            return say(key)
    return problem


def load_text(text: str, file: str) -> tuple[Source | None, list[Problem]]:
    """Parse `text`; return the source and any problems (syntax errors carry their line)."""
    problems: list[Problem] = []
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and str(exc.context or "").startswith(OPENED_EARLIER):
            mark = exc.context_mark          # where the unclosed { [ or quote was opened
        line = mark.line + 1 if mark else 1
        return None, [Problem("yaml.syntax", "", say("yaml.syntax", detail=_yaml_problem(exc)), file, line,
                              say("yaml.syntax.hint"))]
    if node is None:
        return Source(file, None, {(): 1}, text), []
    lines: dict = {}
    data = _construct(node, (), lines, problems, file)
    return Source(file, data, lines, text), problems


def load_file(path: Path, display_name: str | None = None) -> tuple[Source | None, list[Problem]]:
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem("file.unreadable", "", say("file.unreadable", detail=exc), name, None,
                              say("file.unreadable.hint"))]
    return load_text(text, name)
