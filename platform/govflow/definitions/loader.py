"""Load flow files (and the shared fragments they include) into FlowDef objects.

Loading never raises on bad input: it returns every problem found, each with file,
line and a hint, so `make check` and the server can show them all at once.
"""
from __future__ import annotations

import copy
import difflib
import hashlib
from pathlib import Path

from ..errors import Problem
from ..yamlsource import Source, load_file
from . import metaschema
from .model import WIDGET_BY_TYPE, ActionDef, Branch, FieldDef, FlowDef, Origin, PageDef, ReviewSection, Target

FIELD_LIMITS = ("minLength", "maxLength", "pattern", "minimum", "maximum")


def _load(path: Path, root: Path, problems: list[Problem]) -> Source | None:
    source, found = load_file(path, str(path.relative_to(root.parent)) if root.parent in path.parents else str(path))
    problems.extend(found)
    return source


class FlowLoader:
    """Reads flows/*.yaml and the fragments they include; fragments are cached per load."""

    def __init__(self, flows_dir: Path):
        self.dir = flows_dir
        self.problems: list[Problem] = []
        self._fragments: dict[str, tuple[Source, bytes] | None] = {}

    def load_all(self) -> dict[str, FlowDef]:
        flows: dict[str, FlowDef] = {}
        for path in sorted(self.dir.glob("*.yaml")):
            flow = self.load_flow(path)
            if flow is None:
                continue
            if flow.id in flows:
                self.problems.append(flow.origin.problem("flow.duplicate_id", f"flow id '{flow.id}' is used twice",
                                                         f"also in {flows[flow.id].origin.file}", ("id",)))
            flows[flow.id] = flow
        return flows

    def _fragment(self, name: str, origin: Origin) -> tuple[Source, bytes] | None:
        if name not in self._fragments:
            path = self.dir / name
            if not path.is_file():
                self.problems.append(origin.problem("flow.include_missing", f"included file '{name}' does not exist",
                                                    "give the path relative to flows/, "
                                                    "e.g. shared/sscard_content.yaml"))
                self._fragments[name] = None
            else:
                source = _load(path, self.dir, self.problems)
                if source is not None and isinstance(source.data, dict):
                    found = metaschema.check_file(source)
                    self.problems.extend(found)
                    ok = not found and "fragment" in source.data
                    self._fragments[name] = (source, path.read_bytes()) if ok else None
                else:
                    self._fragments[name] = None
        return self._fragments[name]

    def load_flow(self, path: Path) -> FlowDef | None:
        source = _load(path, self.dir, self.problems)
        if source is None:
            return None
        if not isinstance(source.data, dict):
            self.problems.append(source.problem((), "flow.not_mapping", "a flow file must be a mapping of keys",
                                                "start with `id:`, `title:`, `start:` and `pages:`"))
            return None
        found = metaschema.check_file(source)
        if found:
            self.problems.extend(found)
            return None
        data = source.data
        if "fragment" in data:
            return None  # a fragment at top level is only used through include
        digest = hashlib.sha256(path.read_bytes())
        fragments = []
        root = Origin(source, ())
        for i, name in enumerate(data.get("include", [])):
            frag = self._fragment(name, Origin(source, ("include", i)))
            if frag:
                fragments.append(frag[0])
                digest.update(frag[1])
        flow = FlowDef(id=data["id"], title=str(data.get("title", data["id"])), start=data["start"], origin=root,
                       version=digest.hexdigest()[:12], files=[source.file] + [f.file for f in fragments],
                       description=data.get("description"), basis=data.get("basis"),
                       launched_by=list(data.get("launched_by", [])),
                       subject=data.get("subject", "identity.ssn"))
        content_lib = self._content_library(source, fragments)
        page_lib = {p["id"]: (frag, ("pages", i)) for frag in fragments
                    for i, p in enumerate(frag.data.get("pages", []))}
        for i, raw in enumerate(data["pages"]):
            page = self._page(source, ("pages", i), raw, page_lib, content_lib)
            if page is None:
                continue
            if page.id in flow.pages:
                self.problems.append(page.origin.problem("flow.duplicate_page", f"page id '{page.id}' is used twice",
                                                         "give each page its own id", ("id",)))
            flow.pages[page.id] = page
        return flow

    def _content_library(self, source: Source, fragments: list[Source]) -> dict:
        lib = {}
        for src in fragments + [source]:
            for name in (src.data.get("content") or {}):
                lib[name] = (src, ("content", name))
        return lib

    def _page(self, source, path, raw, page_lib, content_lib) -> PageDef | None:
        if "use" not in raw:
            return self.build_page(source, path, raw, content_lib)
        name = raw["use"]
        if name not in page_lib:
            close = difflib.get_close_matches(name, list(page_lib), n=1)
            self.problems.append(source.problem(path + ("use",), "flow.unknown_shared_page",
                                                f"shared page '{name}' is not defined in the included files",
                                                f"did you mean '{close[0]}'?" if close else
                                                "add the fragment file to `include:`"))
            return None
        frag, frag_path = page_lib[name]
        merged = copy.deepcopy(frag.data["pages"][frag_path[1]])
        for key in ("title", "manual", "checks", "review", "actions"):
            if key in raw:
                merged[key] = raw[key]
        for field_name in raw.get("omit_fields", []):
            if field_name not in merged.get("fields", {}):
                self.problems.append(source.problem(path + ("omit_fields",), "flow.unknown_field",
                                                    f"shared page '{name}' has no field '{field_name}' to omit"))
            merged.get("fields", {}).pop(field_name, None)
        merged.setdefault("fields", {}).update(raw.get("fields", {}))
        omitted = set(raw.get("omit_fields", []))
        for group in merged.get("groups", []):
            group["fields"] = [f for f in group["fields"] if f not in omitted]
        return self.build_page(frag, frag_path, merged, content_lib)

    def _blocks(self, source, path, blocks, content_lib) -> list[dict]:
        out: list[dict] = []
        for i, block in enumerate(blocks or []):
            if "use" in block:
                ref = content_lib.get(block["use"])
                if ref is None:
                    self.problems.append(source.problem(path + (i, "use"), "flow.unknown_content",
                                                        f"content '{block['use']}' is not defined",
                                                        "define it under `content:` in this file or an included one"))
                    continue
                src, p = ref
                out.extend(dict(b) for b in src.data["content"][p[1]])
            else:
                out.append(dict(block))
        return out

    def build_page(self, source, path, raw, content_lib) -> PageDef:
        origin = Origin(source, path)
        page = PageDef(id=raw["id"], title=raw["title"], origin=origin, manual=raw.get("manual"),
                       content=self._blocks(source, path + ("content",), raw.get("content"), content_lib),
                       groups=list(raw.get("groups", [])), on_enter=list(raw.get("on_enter", [])),
                       checks=list(raw.get("checks", [])), final=bool(raw.get("final", False)))
        for name, spec in (raw.get("fields") or {}).items():
            page.fields[name] = _field(name, spec, page.id, Origin(source, path + ("fields", name)))
        for i, spec in enumerate(raw.get("review", [])):
            page.review.append(ReviewSection(title=spec["title"], edit=spec["edit"],
                                             origin=Origin(source, path + ("review", i)), page=spec.get("page"),
                                             group=spec.get("group"), fields=list(spec.get("fields", [])),
                                             when=spec.get("when")))
        for i, spec in enumerate(raw.get("actions", [])):
            page.actions.append(_action(spec, Origin(source, path + ("actions", i))))
        return page


def _field(name: str, spec: dict, page_id: str, origin: Origin) -> FieldDef:
    ftype = spec.get("type", "string")
    widget = spec.get("widget")
    if widget is None:
        if spec.get("from"):
            widget = "readonly"
        elif spec.get("options"):
            widget = "select"
        else:
            widget = WIDGET_BY_TYPE.get(ftype, "text")
    return FieldDef(name=name, title=spec["title"], page_id=page_id, origin=origin, type=ftype, widget=widget,
                    help=spec.get("help"), options=spec.get("options"), source=spec.get("from"),
                    mask=spec.get("mask"), when=spec.get("when"), optional=bool(spec.get("optional", False)),
                    default=spec.get("default"), const=spec.get("const"), format=spec.get("format"),
                    verify=spec.get("verify"), limits={k: spec[k] for k in FIELD_LIMITS if k in spec},
                    placeholder=spec.get("placeholder"), notice=spec.get("notice"),
                    messages=dict(spec.get("messages", {})))


def _target(raw) -> Target | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return Target(page=raw)
    if isinstance(raw, list):
        return Target(branches=[Branch(b.get("when"), b["page"]) for b in raw])
    return Target(page=raw.get("page"), flow=raw.get("flow"), parent=raw.get("parent"))


def _action(spec: dict, origin: Origin) -> ActionDef:
    return ActionDef(id=spec["id"], label=spec["label"], origin=origin, next=_target(spec.get("next")),
                     navigate=_target(spec.get("navigate")), verify_identity=spec.get("verify_identity"),
                     submit=spec.get("submit"), on_failure=spec.get("on_failure"),
                     skip_validation=bool(spec.get("skip_validation", False)), confirm=spec.get("confirm"))
