"""A field whose own name is misspelt (`long_trem:` where the rules, the page's groups and the
conditions all read `long_term`) is one mistake, not one per reader; so is a page whose id is
misspelt (`- id: phot` where the flows `use: photo` and the buttons go `next: photo`).

Before the flows are built, every field name the flow and rule files *define* and every one they
*refer to* (rules' `form.x` facts and examples, `field:` in conditions and outcomes, groups,
reviews, `omit_fields`, `from: form.x`, `verify: {sms: x}`) is collected from the texts. A defined
name nobody refers to, close to a name that is referred to from two places or files but defined
nowhere, is taken as the typo: it is reported once, at the field, and the field is loaded under the
name its readers use, so no reader reports it missing and no hint suggests the typo. With one
reader only, which side is wrong cannot be told; the readers' own messages stand then. Pages the
same way: ids defined under `pages:`, referred to by `use:`, `next:`, `navigate:`, `on_failure:`,
`edit:`, `page:`, `start:` and `parent:`.
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
PAGE_KEYS = ("use", "next", "navigate", "on_failure", "edit", "page", "start", "parent")
CUTOFF = 0.8
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Uses:
    """Names of one kind (fields, pages) defined and referred to, with where (file, line, inside a
    rule example?)."""

    defined: set[str] = field(default_factory=set)
    refs: dict[str, list[tuple[str, int, bool]]] = field(default_factory=dict)
    pages: Uses | None = None

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
        elif key in PAGE_KEYS and uses.pages is not None and isinstance(node.value, str):
            uses.pages.refer(node.value, file, node, example)
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
        if is_flow and name == "pages" and isinstance(value_node, yaml.SequenceNode) and uses.pages is not None:
            for page in value_node.value:
                ids = [v for k, v in getattr(page, "value", ()) if isinstance(page, yaml.MappingNode)
                       and _scalar(k) == "id" and _scalar(v) is not None]
                uses.pages.defined.update(v.value for v in ids)
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


@dataclass
class FlowFile:
    """The page ids one flow file (or fragment) defines and refers to, and the files it includes."""

    pages: Uses
    includes: list[str]
    fragment: bool


def collect(root: Path) -> tuple[Uses, dict[str, FlowFile]]:
    """Field names over all flow and rule files; page ids per flow file (page ids are a flow's own)."""
    uses = Uses()
    files: dict[str, FlowFile] = {}
    for pattern, is_flow in (("flows/**/*.yaml", True), ("rules/*.yaml", False)):
        for path in sorted(Path(root).glob(pattern)):
            try:
                node = yaml.compose(path.read_text("utf-8"), Loader=_Loader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue                      # the loaders report it
            if node is None:
                continue
            name = str(path.relative_to(root))
            uses.pages = Uses() if is_flow else None
            _walk(node, None, uses, name, False, is_flow)
            if uses.pages is not None and isinstance(node, yaml.MappingNode):
                top = {_scalar(k): v for k, v in node.value}
                includes = [f"flows/{_scalar(i)}" for i in getattr(top.get("include"), "value", ())
                            if isinstance(top.get("include"), yaml.SequenceNode) and _scalar(i)]
                files[name] = FlowFile(uses.pages, includes, "fragment" in top)
    uses.pages = None
    return uses, files


def _flow_pages(flow: FlowFile, files: dict[str, FlowFile]) -> Uses:
    """A flow's page ids with those of the fragments it includes."""
    out = Uses(defined=set(flow.pages.defined), refs={k: list(v) for k, v in flow.pages.refs.items()})
    for name in flow.includes:
        part = files.get(name)
        if part is not None:
            out.defined |= part.pages.defined
            for key, sites in part.pages.refs.items():
                out.refs.setdefault(key, []).extend(sites)
    return out


@dataclass(frozen=True)
class Misnamed:
    """Field `typo` is defined, `name` is what its readers use, at `sites` (file, line)."""

    typo: str
    name: str
    sites: tuple[tuple[str, int], ...]


def misnamed(root: Path) -> tuple[dict[str, Misnamed], dict[str, dict[str, Misnamed]]]:
    """Fields: defined name -> what it should be called, where the defined name is the typo;
    pages the same, per flow file (a fragment's page is judged in every flow including it)."""
    uses, files = collect(root)
    pages = {name: _misnamed(_flow_pages(flow, files)) for name, flow in files.items() if not flow.fragment}
    sites: dict[tuple[str, str], tuple] = {}           # a fragment's page: one message, every flow's uses
    for found in pages.values():
        for wrong in found.values():
            sites[wrong.typo, wrong.name] = tuple(dict.fromkeys(sites.get((wrong.typo, wrong.name), ()) + wrong.sites))
    pages = {name: {typo: Misnamed(typo, w.name, sites[typo, w.name]) for typo, w in found.items()}
             for name, found in pages.items() if found}
    return _misnamed(uses), pages


def _misnamed(uses: Uses) -> dict[str, Misnamed]:
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
