"""A field whose own name is misspelt (`long_trem:` where the rules, the page's groups and the
conditions all read `long_term`) is one mistake, not one per reader.

Before the flows are built, every field name the flow and rule files *define* and every one they
*refer to* (rules' `form.x` facts and examples, `field:` in conditions and outcomes, groups,
reviews, `omit_fields`, `from: form.x`, `verify: {sms: x}`) is collected from the texts. A defined
name nobody refers to, close to a name that is referred to from two places or files but defined
nowhere, is taken as the typo: it is reported once, at the field, and the field is loaded under the
name its readers use, so no reader reports it missing and no hint suggests the typo. With one
reader only, which side is wrong cannot be told; the readers' own messages stand then.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

FORM_FACT = re.compile(r"^form\.([a-z][a-z0-9_]*)$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
LISTS_OF_NAMES = ("fields", "omit_fields")
ONE_NAME = ("field", "sms")
CUTOFF = 0.8
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Uses:
    """Field names defined and referred to, with where (file, line, inside a rule example?)."""

    defined: set[str] = field(default_factory=set)
    refs: dict[str, list[tuple[str, int, bool]]] = field(default_factory=dict)

    def refer(self, name: str, file: str, node: yaml.Node, example: bool) -> None:
        if NAME.match(name):
            self.refs.setdefault(name, []).append((file, node.start_mark.line + 1, example))


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) else None


def _walk(node: yaml.Node, key: str | None, uses: Uses, file: str, example: bool, is_flow: bool) -> None:
    if isinstance(node, yaml.ScalarNode):
        match = FORM_FACT.match(node.value) if isinstance(node.value, str) else None
        if match:
            uses.refer(match.group(1), file, node, example)
        elif key in ONE_NAME:
            uses.refer(node.value, file, node, example)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if key in LISTS_OF_NAMES and _scalar(item) is not None:
                uses.refer(item.value, file, item, example)
            else:
                _walk(item, None, uses, file, example, is_flow)
    elif isinstance(node, yaml.MappingNode):
        _walk_mapping(node, uses, file, example, is_flow)


def _walk_mapping(node: yaml.MappingNode, uses: Uses, file: str, example: bool, is_flow: bool) -> None:
    for key_node, value_node in node.value:
        name = _scalar(key_node)
        if isinstance(value_node, yaml.MappingNode) and (name, is_flow) in (("fields", True), ("form", False)):
            for inner_key, inner in value_node.value:    # a page's fields / an example's given: {form: ...}
                if _scalar(inner_key) is None:
                    continue
                if is_flow:
                    uses.defined.add(inner_key.value)
                    _walk(inner, None, uses, file, example, is_flow)
                else:
                    uses.refer(inner_key.value, file, inner_key, example)
            continue
        _walk(value_node, name, uses, file, example or name == "examples", is_flow)


def collect(root: Path) -> Uses:
    uses = Uses()
    for pattern, is_flow in (("flows/**/*.yaml", True), ("rules/*.yaml", False)):
        for path in sorted(Path(root).glob(pattern)):
            try:
                node = yaml.compose(path.read_text("utf-8"), Loader=_Loader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue                      # the loaders report it
            if node is not None:
                _walk(node, None, uses, str(path.relative_to(root)), False, is_flow)
    return uses


@dataclass(frozen=True)
class Misnamed:
    """Field `typo` is defined, `name` is what its readers use, at `sites` (file, line)."""

    typo: str
    name: str
    sites: tuple[tuple[str, int], ...]


def misnamed_fields(root: Path) -> dict[str, Misnamed]:
    """Defined name -> what it should be called, for the fields whose own name is the typo."""
    uses = collect(root)
    orphans = sorted(name for name in uses.defined if name not in uses.refs)
    out: dict[str, Misnamed] = {}
    unknown = [name for name in uses.refs if name not in uses.defined]
    for name in sorted(unknown, key=lambda n: (-len(uses.refs[n]), n)):
        sites = uses.refs[name]
        files = {file for file, _, _ in sites}
        if len(files) < 2 and sum(1 for *_, example in sites if not example) < 2:
            continue
        close = [c for c in difflib.get_close_matches(name, orphans, n=1, cutoff=CUTOFF) if c not in out]
        if close:
            where = tuple(dict.fromkeys((file, line) for file, line, _ in sites))
            out[close[0]] = Misnamed(close[0], name, where)
    return out
