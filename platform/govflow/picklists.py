"""Pick-lists (select options) read from reference data, declared in reference/picklists.yaml.

Flows name a list (`options: nationalities`) instead of repeating options inline, so a
change of reference data changes every form at once. Each list is parsed and indexed
once when loaded (the national division tree has 3,213 codes); keep the returned
`Picklists` for the life of the app.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem
from .say import names, say
from .yamlsource import load_file

DECLARATIONS = "picklists.yaml"
_REQUIRED = ("title", "file", "items", "value", "label")


@dataclass
class _Node:
    label: str
    parent: str | None
    children: list[str] = field(default_factory=list)


class Picklist:
    """One list of options; a cascade when its items have sub-items (city -> county ...)."""

    def __init__(self, name: str, title: str, roots: list[str], nodes: dict[str, _Node],
                 is_cascade: bool, path_prefix: tuple[str, ...] = (), source: str = ""):
        self.name = name
        self.title = title
        self.is_cascade = is_cascade
        self.source = source
        self._roots = roots
        self._nodes = nodes
        self._prefix = path_prefix

    @property
    def options(self) -> tuple[dict, ...]:
        """Top-level options as ({value, label}, ...) (provinces of a cascade, all items of a flat
        list). Built once and shared (a tuple, so a select's option tags are joined once too)."""
        built = self.__dict__.get("_options")
        if built is None:
            built = self.__dict__["_options"] = tuple(self._option(v) for v in self._roots)
        return built

    def children(self, value: str) -> tuple[dict, ...]:
        """The sub-items of one item, built once per item and shared; () for a leaf or an unknown value."""
        cache = self.__dict__.setdefault("_children", {})
        key = str(value)
        built = cache.get(key)
        if built is None:
            node = self._nodes.get(key)
            built = cache[key] = tuple(self._option(v) for v in node.children) if node else ()
        return built

    def leaves(self) -> list[str]:
        """Every value a citizen can finally choose (a cascade's nodes without sub-items)."""
        return [v for v, node in self._nodes.items() if not node.children]

    def label(self, value: str) -> str | None:
        node = self._nodes.get(str(value))
        return node.label if node else None

    def path(self, value: str) -> list[str]:
        """Labels from the root down to `value` (with the declared prefix), [] if unknown."""
        labels: list[str] = []
        current: str | None = str(value)
        if current not in self._nodes:
            return []
        while current is not None:
            node = self._nodes[current]
            labels.append(node.label)
            current = node.parent
        return list(self._prefix) + labels[::-1]

    def ancestors(self, value) -> list[str]:
        """Values from the root down to `value` (for a cascading picker), [] if unknown."""
        out: list[str] = []
        current: str | None = str(value) if value is not None else None
        while current is not None and current in self._nodes:
            out.append(current)
            current = self._nodes[current].parent
        return out[::-1]

    def contains(self, value) -> bool:
        """True when `value` may be stored: any option of a flat list, a leaf of a cascade."""
        node = self._nodes.get(str(value)) if value is not None else None
        return node is not None and not node.children

    def tree(self) -> list[dict]:
        """Nested options for clients: [{value, label, children?}]."""
        def build(v: str) -> dict:
            out = self._option(v)
            if self._nodes[v].children:
                out["children"] = [build(c) for c in self._nodes[v].children]
            return out
        return [build(v) for v in self._roots]

    def _option(self, value: str) -> dict:
        return {"value": value, "label": self._nodes[value].label}

    def __len__(self) -> int:
        return len(self._nodes)


class Picklists:
    """All declared pick-lists by name."""

    def __init__(self, lists: dict[str, Picklist]):
        self._lists = dict(lists)

    def names(self) -> list[str]:
        return sorted(self._lists)

    def get(self, name: str) -> Picklist | None:
        """The list called `name`, or None (use `name in picklists` to test)."""
        return self._lists.get(name)

    def __getitem__(self, name: str) -> Picklist:
        return self._lists[name]

    def __contains__(self, name: object) -> bool:
        return name in self._lists


def load_picklists(reference_dir: Path) -> tuple[Picklists, list[Problem]]:
    """Read reference_dir/picklists.yaml and every file it names; broken lists are left out."""
    reference_dir = Path(reference_dir)
    decl_path = reference_dir / DECLARATIONS
    if not decl_path.is_file():
        return Picklists({}), [Problem("picklist.declarations_missing", "",
                                       say("rules.picklist.declarations_missing", file=decl_path),
                                       str(decl_path), None, say("rules.picklist.declarations_missing.hint"))]
    source, problems = load_file(decl_path, f"{reference_dir.name}/{DECLARATIONS}")
    if source is None:
        return Picklists({}), problems
    if not isinstance(source.data, dict):
        return Picklists({}), problems + [source.problem((), "picklist.declarations_shape",
                                                        say("rules.picklist.declarations_shape"))]
    files: dict[str, object] = {}
    lists: dict[str, Picklist] = {}
    for name, decl in source.data.items():
        built = _build_one(str(name), decl, source, reference_dir, files, problems)
        if built is not None:
            lists[str(name)] = built
    return Picklists(lists), problems


def _build_one(name, decl, source, reference_dir: Path, files: dict, problems: list) -> Picklist | None:
    if not isinstance(decl, dict):
        problems.append(source.problem((name,), "picklist.declaration_shape",
                                       say("rules.picklist.declaration_shape", name=name)))
        return None
    missing = [k for k in _REQUIRED if not decl.get(k)]
    if missing:
        problems.append(source.problem((name,), "picklist.key_missing",
                                       say("rules.picklist.key_missing", name=name, keys=names(missing)),
                                       hint=say("rules.picklist.key_missing.hint", keys=names(_REQUIRED))))
        return None
    data = _read_json(reference_dir / str(decl["file"]), files)
    if isinstance(data, Problem):
        problems.append(source.problem((name, "file"), data.code, data.message, hint=data.hint))
        return None
    items = data
    for part in str(decl["items"]).split("."):
        items = items.get(part) if isinstance(items, dict) else None
    if not isinstance(items, list):
        problems.append(source.problem((name, "items"), "picklist.key_missing",
                                       say("rules.picklist.no_items", name=name, file=decl["file"],
                                           items=decl["items"])))
        return None
    nodes: dict[str, _Node] = {}
    before = len(problems)
    shown = {**decl, "shown": f"{reference_dir.name}/{decl['file']}"}     # the data file as problems name it
    roots = _index(items, None, shown, nodes, f"{decl['file']}:{decl['items']}", problems)
    if len(problems) > before:
        del problems[before + 1:]   # one bad item says enough: usually a wrong key in picklists.yaml
        return None
    prefix = decl.get("path_prefix") or []
    return Picklist(name, str(decl["title"]), roots, nodes, bool(decl.get("children")),
                    tuple(str(p) for p in prefix), str(decl.get("source", "")))


def _index(items: list, parent: str | None, decl: dict, nodes: dict, where: str, problems: list) -> list[str]:
    values: list[str] = []
    vkey, lkey, ckey = decl["value"], decl["label"], decl.get("children")
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if not isinstance(item, dict) or vkey not in item or lkey not in item:
            problems.append(Problem("picklist.key_missing", here,
                                    say("rules.picklist.item_keys", value=vkey, label=lkey), decl["shown"], None,
                                    say("rules.picklist.item_keys.hint")))
            continue
        value = str(item[vkey])
        if value in nodes:
            problems.append(Problem("picklist.duplicate_value", here,
                                    say("rules.picklist.duplicate_value", value=value), decl["shown"]))
            continue
        nodes[value] = _Node(str(item[lkey]), parent)
        values.append(value)
        sub = item.get(ckey) if ckey else None
        if isinstance(sub, list) and sub:
            nodes[value].children = _index(sub, value, decl, nodes, f"{here}.{ckey}", problems)
    return values


def _read_json(path: Path, cache: dict):
    """Parse a reference file once per load (several lists share guangdong_divisions.json)."""
    if path in cache:
        return cache[path]
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        result = Problem("picklist.file_missing", "", say("rules.picklist.file_missing", file=path.name),
                         str(path), None, say("rules.picklist.file_missing.hint"))
    except (OSError, ValueError) as exc:
        result = Problem("picklist.file_invalid", "", say("rules.picklist.file_invalid", file=path.name, error=exc),
                         str(path), None, say("rules.picklist.file_invalid.hint"))
    cache[path] = result
    return result
