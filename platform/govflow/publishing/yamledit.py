"""Changing single values of a YAML text in place: every other character stays as it was.

The form editor (forms.py) changes a few scalars and lists of a flow or rule file. A round-trip
through a YAML library rewrites more than the values: ruamel.yaml (tried on the shipped files)
joins a flow mapping written on its own line to its key (`name:\\n  {title: ...}`) and a
flow sequence wrapped over two lines (`enum: [...,\\n ...]`) into one. So the text is parsed with
PyYAML's composer, which gives each node's exact start and end in the text, and only the source
characters of the changed nodes are replaced: comments, order, quoting, flow style and line
breaks elsewhere are kept byte for byte. A new value keeps its old node's style where it can
(plain, 'single' or "double" quotes, a | or > block); a plain value that would read back as
something else (a number, a list, a comment) is written in double quotes. The caller reads the
result back to verify it (forms.apply does).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

Path = tuple  # ("rules", 0, "when", "all", 2, "lt")


@dataclass(frozen=True)
class Located:
    node: yaml.Node
    flow: bool          # inside a flow collection ({...} or [...])


def locate(text: str) -> dict[Path, Located]:
    """Every node of the (first) document by its key path; raises yaml.YAMLError on bad YAML."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    out: dict[Path, Located] = {}
    if root is not None:
        _walk(root, (), False, out)
    return out


def _walk(node: yaml.Node, path: Path, flow: bool, out: dict) -> None:
    out[path] = Located(node, flow)
    inner = flow or bool(getattr(node, "flow_style", False))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _walk(value, path + (key.value,), inner, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), inner, out)


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def apply_edits(text: str, edits: list[Edit]) -> str:
    """The text with each edit's [start, end) replaced (edits must not overlap)."""
    out, last = [], len(text)
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        if edit.end > last:
            raise ValueError("overlapping edits")
        out.append(edit.text + text[edit.end:last])
        last = edit.start
    return text[:last] + "".join(reversed(out))


def _reads_back(source: str, value: Any, flow: bool) -> bool:
    try:
        loaded = yaml.safe_load(f"[{source}]" if flow else f"k: {source}")
    except yaml.YAMLError:
        return False
    got = loaded[0] if flow and isinstance(loaded, list) and len(loaded) == 1 else (
        loaded.get("k") if isinstance(loaded, dict) and not flow else None)
    return type(got) is type(value) and got == value


def scalar_source(value: Any, flow: bool, style: str | None = None) -> str:
    """YAML source for one scalar, in `style` where that reads back as `value`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, date)):
        return value.isoformat() if isinstance(value, date) else repr(value)
    value = str(value)
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style != '"' and value == value.strip() and _reads_back(value, value, flow):
        return value
    return json.dumps(value, ensure_ascii=False)


def replace_scalar(text: str, found: Located, value: Any) -> Edit:
    node = found.node
    start, end = node.start_mark.index, node.end_mark.index
    style = getattr(node, "style", None)
    if style in ("|", ">") and isinstance(value, str):
        return _block_scalar(text, node, value)
    if isinstance(value, str) and "\n" in value and not found.flow and not style:
        return _block_scalar(text, node, value, header="|")
    return Edit(start, end, scalar_source(value, found.flow, style))


def _block_scalar(text: str, node: yaml.Node, value: str, header: str | None = None) -> Edit:
    """A | or > block scalar with new lines, its header (| |- >...) and indentation kept."""
    start, end = node.start_mark.index, node.end_mark.index
    body = text[start:end]
    end = start + len(body.rstrip())                    # trailing blank lines are not the value's
    if header is None:
        header = body.split("\n", 1)[0].rstrip()
        if header.startswith(">") and "\n" in value.strip("\n"):
            header = "|" + header[1:]                   # new lines must stay lines
        indent = _block_indent(body)
    else:
        indent = _line_indent(text, start) + 2
    if indent is None:
        indent = _line_indent(text, start) + 2
    lines = value.rstrip("\n").split("\n")
    pad = " " * indent
    return Edit(start, end, header + "".join("\n" + (pad + line if line else "") for line in lines))


def _block_indent(body: str) -> int | None:
    for line in body.split("\n")[1:]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return None


def _line_indent(text: str, index: int) -> int:
    line_start = text.rfind("\n", 0, index) + 1
    line = text[line_start:index]
    return len(line) - len(line.lstrip(" -"))


def replace_sequence(text: str, found: Located, items: list) -> Edit:
    """A sequence of scalars with new items: a flow one stays [a, b], a block one stays `- a` lines."""
    node: Any = found.node
    start = node.start_mark.index
    if node.flow_style or not node.value or not items:
        end = node.end_mark.index if node.flow_style or not node.value else node.value[-1].end_mark.index
        inner = ", ".join(scalar_source(i, True, _style(node, k)) for k, i in enumerate(items))
        return Edit(start, end, "[" + inner + "]")
    end = node.value[-1].end_mark.index
    pad = "\n" + " " * node.start_mark.column
    return Edit(start, end, pad.join("- " + scalar_source(i, False, _style(node, k)) for k, i in enumerate(items)))


def _style(node: yaml.Node, k: int) -> str | None:
    """The quoting of the k-th item, or of the first when the list grew."""
    items = node.value
    if not items:
        return None
    return getattr(items[min(k, len(items) - 1)], "style", None)


def insert_key(text: str, mapping: Located, key: str, value: Any) -> Edit:
    """`key: value` added to a mapping: before the } of a flow mapping, else on a line of its own
    after the first line holding a whole `key: value` (before the first key when there is none)."""
    node: Any = mapping.node
    source = scalar_source(value, mapping.flow or bool(node.flow_style))
    if node.flow_style:
        close = text.rfind("}", node.start_mark.index, node.end_mark.index)
        before = text[node.start_mark.index + 1:close].strip()
        return Edit(close, close, (", " if before else "") + f"{key}: {source}")
    column = node.value[0][0].start_mark.column
    for key_node, value_node in node.value:            # after the first `key: value` on one line
        if (isinstance(value_node, yaml.ScalarNode) and not value_node.style
                and key_node.start_mark.line == value_node.end_mark.line):
            line_end = text.find("\n", value_node.end_mark.index)
            line_end = len(text) if line_end < 0 else line_end
            return Edit(line_end, line_end, "\n" + " " * column + f"{key}: {source}")
    first = node.value[0][0].start_mark.index          # else before the first key
    return Edit(first, first, f"{key}: {source}\n" + " " * column)
