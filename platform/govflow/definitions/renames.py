"""A field whose own name is misspelt (`end_dat:` where the rules, the page's groups and the
conditions all read `end_date`) is one mistake, not one per reader; so is a page whose id is
misspelt (`- id: phot` where the flows `use: photo` and the buttons go `next: photo`).

Before the flows are built, every field name the flow and rule files *define* and every one they
*refer to* (rules' `form.x` facts, `field:` in conditions and outcomes, groups,
reviews, `omit_fields`, `from: form.x`, `verify: {sms: x}`) is collected from the texts. A defined
name nobody refers to, close to a name that is referred to from two places or more but defined
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
# In rule files (thousands of rules: read as text, not parsed twice): `form.x` in conditions and
# derived facts, `field: x` in outcomes. Examples' `form: {x: ...}` are copies of these.
RULE_REFS = re.compile(r"(?<![\w.])form\.([a-z][a-z0-9_]*)|\bfield:\s*([a-z][a-z0-9_]*)")
COMMENT = re.compile(r"(^|\s)#.*$", re.MULTILINE)
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
LISTS_OF_NAMES = ("fields", "omit_fields")
ONE_NAME = ("field", "sms")
PAGE_KEYS = ("use", "next", "navigate", "on_failure", "edit", "page", "start", "parent")
CUTOFF = 0.8
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # flow files: a few, small


@dataclass
class Uses:
    """Names of one kind (fields, pages) defined and referred to, with where (file, line)."""

    defined: set[str] = field(default_factory=set)
    refs: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    pages: Uses | None = None           # while a flow file is read: its page ids

    def refer(self, name: str, file: str, line: int) -> None:
        if NAME.match(name):
            self.refs.setdefault(name, []).append((file, line))


def _scalar(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) else None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _walk(node: yaml.Node, key: str | None, uses: Uses, file: str) -> None:
    """A flow file's node: field names and page ids it defines and refers to."""
    if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
        match = FORM_FACT.match(node.value)
        if match:
            uses.refer(match.group(1), file, _line(node))
        elif key in ONE_NAME:
            uses.refer(node.value, file, _line(node))
        elif key in PAGE_KEYS and uses.pages is not None:
            uses.pages.refer(node.value, file, _line(node))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if key in LISTS_OF_NAMES and _scalar(item) is not None:
                uses.refer(item.value, file, _line(item))
            else:
                _walk(item, None, uses, file)
    elif isinstance(node, yaml.MappingNode):
        _walk_mapping(node, uses, file)


def _walk_mapping(node: yaml.MappingNode, uses: Uses, file: str) -> None:
    for key_node, value_node in node.value:
        name = _scalar(key_node)
        if name == "pages" and isinstance(value_node, yaml.SequenceNode) and uses.pages is not None:
            for page in value_node.value:
                if isinstance(page, yaml.MappingNode):
                    uses.pages.defined.update(v.value for k, v in page.value
                                              if _scalar(k) == "id" and _scalar(v) is not None)
        if name == "fields" and isinstance(value_node, yaml.MappingNode):
            for field_key, spec in value_node.value:        # a page's fields: defined here
                if _scalar(field_key) is not None:
                    uses.defined.add(field_key.value)
                _walk(spec, None, uses, file)
            continue
        _walk(value_node, name, uses, file)


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
    for path in sorted(Path(root).glob("rules/*.yaml")):
        try:
            _scan_rules(path.read_text("utf-8"), str(path.relative_to(root)), uses)
        except (OSError, UnicodeDecodeError):
            continue                          # the rule loader reports it
    for path in sorted(Path(root).glob("flows/**/*.yaml")):
        try:
            node = yaml.compose(path.read_text("utf-8"), Loader=_Loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue                          # the flow loader reports it
        if node is None:
            continue
        name = str(path.relative_to(root))
        uses.pages = Uses()
        _walk(node, None, uses, name)
        if isinstance(node, yaml.MappingNode):
            top = {_scalar(k): v for k, v in node.value}
            includes = [f"flows/{_scalar(i)}" for i in getattr(top.get("include"), "value", ())
                        if isinstance(top.get("include"), yaml.SequenceNode) and _scalar(i)]
            files[name] = FlowFile(uses.pages, includes, "fragment" in top)
    uses.pages = None
    return uses, files


def _scan_rules(text: str, file: str, uses: Uses) -> None:
    text = COMMENT.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)
    line, at = 1, 0
    for match in RULE_REFS.finditer(text):
        line += text.count("\n", at, match.start())
        at = match.start()
        name = match.group(1) or match.group(2)
        uses.refer(name, file, line)


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
        if len(sites) < 2:
            continue
        close = [c for c in difflib.get_close_matches(name, orphans, n=1, cutoff=CUTOFF) if c not in out]
        if close:
            out[close[0]] = Misnamed(close[0], name, tuple(dict.fromkeys(sites)))
    return out
