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
from ..say import names, say
from ..yamlsource import Overlay, Source, load_file
from . import metaschema
from .model import WIDGET_BY_TYPE, ActionDef, Branch, FieldDef, FlowDef, Origin, PageDef, ReviewSection, Target
from .renames import Misnamed

FIELD_LIMITS = ("minLength", "maxLength", "pattern", "minimum", "maximum")
OVERRIDES = ("title", "manual", "checks", "review", "actions")   # what a `use:` may replace
SITES_SHOWN = 3


def _load(path: Path, root: Path, problems: list[Problem]) -> Source | None:
    source, found = load_file(path, str(path.relative_to(root.parent)) if root.parent in path.parents else str(path))
    problems.extend(found)
    return source


class FlowLoader:
    """Reads flows/*.yaml and the fragments they include; fragments are cached per load.

    One root cause, one message: a flow whose own file, or an included fragment, fails to read or
    fails the meta-schema is not built further (its `use:` pages would all be reported missing).
    `misnamed`, `misnamed_pages` (renames.misnamed, pages per flow file): fields and pages whose
    own name is a typo of the name their readers use are reported once and loaded under that name.
    What a `use:` overrides answers with the override's file and line (yamlsource.Overlay)."""

    def __init__(self, flows_dir: Path, misnamed: dict[str, Misnamed] | None = None,
                 misnamed_pages: dict[str, dict[str, Misnamed]] | None = None):
        self.dir = flows_dir
        self.problems: list[Problem] = []
        self.misnamed = misnamed or {}
        self.misnamed_pages = misnamed_pages or {}
        self._renamed_pages: dict[str, Misnamed] = {}      # of the flow being built
        self._fragments: dict[str, tuple[Source, bytes] | None] = {}

    def load_all(self) -> dict[str, FlowDef]:
        flows: dict[str, FlowDef] = {}
        for path in sorted(self.dir.glob("*.yaml")):
            flow = self.load_flow(path)
            if flow is None:
                continue
            if flow.id in flows:
                self.problems.append(flow.origin.problem("flow.duplicate_id", say("flow.duplicate_id", flow=flow.id),
                                                         say("flow.duplicate_id.hint", file=flows[flow.id].origin.file),
                                                         ("id",)))
            flows[flow.id] = flow
        return flows

    def _fragment(self, name: str, origin: Origin) -> tuple[Source, bytes] | None:
        if name not in self._fragments:
            path = self.dir / name
            if not path.is_file():
                self.problems.append(origin.problem("flow.include_missing", say("flow.include_missing", file=name),
                                                    say("flow.include_missing.hint")))
                self._fragments[name] = None
            else:
                source = _load(path, self.dir, self.problems)
                if source is not None and isinstance(source.data, dict):
                    found = metaschema.check_file(source)
                    self.problems.extend(found)
                    if not found and "fragment" not in source.data:
                        self.problems.append(origin.problem("flow.include_not_fragment",
                                                            say("flow.include_not_fragment", file=name),
                                                            say("flow.include_not_fragment.hint")))
                    ok = not found and "fragment" in source.data
                    self._fragments[name] = (source, path.read_bytes()) if ok else None
                else:
                    if source is not None:
                        self.problems.append(source.problem((), "flow.not_mapping", say("flow.fragment_not_mapping"),
                                                            say("flow.fragment_not_mapping.hint")))
                    self._fragments[name] = None
        return self._fragments[name]

    def load_flow(self, path: Path) -> FlowDef | None:
        source = _load(path, self.dir, self.problems)
        if source is None:
            return None
        if not isinstance(source.data, dict):
            self.problems.append(source.problem((), "flow.not_mapping", say("flow.not_mapping"),
                                                say("flow.not_mapping.hint")))
            return None
        found = metaschema.check_file(source)
        if found:
            self.problems.extend(found)
            return None
        data = source.data
        if "fragment" in data:
            return None  # a fragment at top level is only used through include
        self._renamed_pages = self.misnamed_pages.get(source.file, {})
        digest = hashlib.sha256(path.read_bytes())
        fragments = []
        root = Origin(source, ())
        for i, name in enumerate(data.get("include", [])):
            frag = self._fragment(name, Origin(source, ("include", i)))
            if frag:
                fragments.append(frag[0])
                digest.update(frag[1])
        if len(fragments) < len(data.get("include", [])):
            return None                     # the include's own problem explains every missing page
        flow = FlowDef(id=data["id"], title=str(data.get("title", data["id"])), start=data["start"], origin=root,
                       version=digest.hexdigest()[:12], files=[source.file] + [f.file for f in fragments],
                       description=data.get("description"), basis=data.get("basis"),
                       launched_by=list(data.get("launched_by", [])),
                       subject=data.get("subject", "identity.ssn"),
                       rule_texts={str(k): str(v) for k, v in (data.get("rule_texts") or {}).items()})
        content_lib = self._content_library(source, fragments)
        page_lib = {self._page_id(p["id"]): (frag, ("pages", i)) for frag in fragments
                    for i, p in enumerate(frag.data.get("pages", []))}
        for i, raw in enumerate(data["pages"]):
            page = self._page(source, ("pages", i), raw, page_lib, content_lib)
            if page is None:
                continue
            if page.id in flow.pages:
                self.problems.append(page.origin.problem("flow.duplicate_page",
                                                         say("flow.duplicate_page", page=page.id),
                                                         say("flow.duplicate_page.hint"), ("id",)))
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
                                                say("flow.unknown_shared_page", page=name),
                                                say("hint.did_you_mean", name=close[0]) if close else
                                                say("flow.unknown_shared_page.hint")))
            return None
        frag, frag_path = page_lib[name]
        merged = copy.deepcopy(frag.data["pages"][frag_path[1]])
        parts = []              # what the override replaces answers with the override's file and line
        for key in OVERRIDES:
            if key in raw:
                merged[key] = raw[key]
                parts.append((frag_path + (key,), source, path + (key,)))
        fields = merged.setdefault("fields", {})
        loaded_as = {self._name(k): k for k in fields}
        for i, field_name in enumerate(raw.get("omit_fields", [])):
            if field_name not in loaded_as:
                self.problems.append(source.problem(path + ("omit_fields", i), "flow.unknown_field",
                                                    say("flow.omit_unknown_field", page=name, field=field_name),
                                                    _close(field_name, list(loaded_as))))
            fields.pop(loaded_as.get(field_name, field_name), None)
        overridden = raw.get("fields") or {}
        for key, spec in overridden.items():
            close = [c for c in difflib.get_close_matches(key, list(loaded_as), n=1, cutoff=0.8)
                     if c not in overridden] if key not in loaded_as else []
            if close:           # meant to change a shared field, it would add a second one
                self.problems.append(source.problem(path + ("fields", key), "flow.override_unknown_field",
                                                    say("flow.override_unknown_field", page=merged.get("title", name),
                                                        page_id=name, field=key),
                                                    say("hint.did_you_mean", name=close[0])))
            fields[key] = spec
            parts.append((frag_path + ("fields", key), source, path + ("fields", key)))
        omitted = set(raw.get("omit_fields", []))
        for group in merged.get("groups", []):
            group["fields"] = [f for f in group["fields"] if f not in omitted]
        if isinstance(raw.get("content"), dict):
            merged["content"] = self._override_content(source, path, frag, frag_path, merged, raw["content"],
                                                       content_lib, parts)
        return self.build_page(Overlay(frag, parts), frag_path, merged, content_lib)

    def _override_content(self, source, path, frag, frag_path, merged, overrides: dict, content_lib,
                          parts: list) -> list[dict]:
        """The shared page's content blocks (named lists put in place), those whose `id` a `use:`
        page's `content:` names replaced by its blocks; an id the page has not is an error there."""
        blocks = self._blocks(frag, frag_path + ("content",), merged.get("content"), content_lib)
        at = {b["id"]: i for i, b in enumerate(blocks) if isinstance(b.get("id"), str)}
        for block_id, block in overrides.items():
            if block_id not in at:
                self.problems.append(source.problem(path + ("content", block_id), "flow.override_unknown_content",
                                                    say("flow.override_unknown_content", page=merged.get("title", ""),
                                                        page_id=raw_id(merged), block=block_id),
                                                    _close(str(block_id), list(at))
                                                    or say("flow.override_unknown_content.hint",
                                                           ids=names(at) or "-")))
                continue
            blocks[at[block_id]] = dict(block, id=block_id)
            parts.append((frag_path + ("content", at[block_id]), source, path + ("content", block_id)))
        return blocks

    def _page_id(self, page_id: str) -> str:
        return self._renamed_pages[page_id].name if page_id in self._renamed_pages else page_id

    def _name(self, key: str) -> str:
        """The name a field is loaded under (its readers' name when its own is the typo)."""
        return self.misnamed[key].name if key in self.misnamed else key

    def _misnamed(self, origin: Origin, key: str, page: dict) -> None:
        wrong = self.misnamed[key]
        self.problems.append(origin.problem("flow.field_misnamed",
                                            say("flow.field_misnamed", field=key, name=wrong.name,
                                                page=page.get("title", ""), page_id=page.get("id", "")),
                                            say("flow.field_misnamed.hint", name=wrong.name, sites=_sites(wrong))))

    def _misnamed_page(self, origin: Origin, page: dict) -> None:
        wrong = self._renamed_pages[page["id"]]
        self.problems.append(origin.problem("flow.page_misnamed",
                                            say("flow.page_misnamed", page=page.get("title", ""),
                                                page_id=wrong.typo, name=wrong.name),
                                            say("flow.page_misnamed.hint", name=wrong.name, sites=_sites(wrong)),
                                            ("id",)))

    def _blocks(self, source, path, blocks, content_lib) -> list[dict]:
        out: list[dict] = []
        for i, block in enumerate(blocks or []):
            if "use" in block:
                ref = content_lib.get(block["use"])
                if ref is None:
                    self.problems.append(source.problem(path + (i, "use"), "flow.unknown_content",
                                                        say("flow.unknown_content", content=block["use"]),
                                                        _close(block["use"], list(content_lib)) or
                                                        say("flow.unknown_content.hint")))
                    continue
                src, p = ref
                out.extend(dict(b) for b in src.data["content"][p[1]])
            else:
                out.append(dict(block))
        return out

    def build_page(self, source, path, raw, content_lib) -> PageDef:
        origin = Origin(source, path)
        if raw["id"] in self._renamed_pages:
            self._misnamed_page(origin, raw)
        page = PageDef(id=self._page_id(raw["id"]), title=raw["title"], origin=origin, manual=raw.get("manual"),
                       content=self._blocks(source, path + ("content",), raw.get("content"), content_lib),
                       groups=list(raw.get("groups", [])), on_enter=list(raw.get("on_enter", [])),
                       checks=list(raw.get("checks", [])), final=bool(raw.get("final", False)))
        for key, spec in (raw.get("fields") or {}).items():
            origin = Origin(source, path + ("fields", key))
            if key in self.misnamed:
                self._misnamed(origin, key, raw)
            name = self._name(key)
            page.fields[name] = _field(name, spec, page.id, origin)
        for i, spec in enumerate(raw.get("review", [])):
            page.review.append(ReviewSection(title=spec["title"], edit=spec["edit"],
                                             origin=Origin(source, path + ("review", i)), page=spec.get("page"),
                                             group=spec.get("group"), fields=list(spec.get("fields", [])),
                                             when=spec.get("when"), receipt=bool(spec.get("receipt", False))))
        for i, spec in enumerate(raw.get("actions", [])):
            page.actions.append(_action(spec, Origin(source, path + ("actions", i))))
        return page


def raw_id(page: dict) -> str:
    return str(page.get("id", ""))


def _sites(wrong: Misnamed) -> str:
    """Where the readers use the name: the first few file:line, and how many in all."""
    shown = names(f"{file}:{line}" for file, line in wrong.sites[:SITES_SHOWN])
    more = len(wrong.sites) > SITES_SHOWN
    return shown + (say("flow.field_misnamed.more", count=len(wrong.sites)) if more else "")


def _close(name: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(name, choices, n=1)
    return say("hint.did_you_mean", name=close[0]) if close else None


def _field(name: str, spec: dict, page_id: str, origin: Origin) -> FieldDef:
    ftype = spec.get("type", "string")
    widget = spec.get("widget")
    if widget is None:
        if spec.get("from"):
            widget = "readonly"
        elif spec.get("options_from"):
            widget = "records"
        elif spec.get("options"):
            widget = "select"
        else:
            widget = WIDGET_BY_TYPE.get(ftype, "text")
    return FieldDef(name=name, title=spec["title"], page_id=page_id, origin=origin, type=ftype, widget=widget,
                    help=spec.get("help"), options=spec.get("options"), options_from=spec.get("options_from"),
                    source=spec.get("from"),
                    mask=spec.get("mask"), when=spec.get("when"), optional=bool(spec.get("optional", False)),
                    default=spec.get("default"), const=spec.get("const"), format=spec.get("format"),
                    verify=spec.get("verify"), limits={k: spec[k] for k in FIELD_LIMITS if k in spec},
                    placeholder=spec.get("placeholder"), notice=spec.get("notice"), regions=spec.get("regions"),
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
    submit = spec.get("submit")
    operation, request = (submit.get("operation"), dict(submit.get("request") or {})) \
        if isinstance(submit, dict) else (submit, {})
    return ActionDef(id=spec["id"], label=spec["label"], origin=origin, next=_target(spec.get("next")),
                     navigate=_target(spec.get("navigate")), verify_identity=spec.get("verify_identity"),
                     submit=operation, submit_request=request, on_failure=spec.get("on_failure"),
                     skip_validation=bool(spec.get("skip_validation", False)), confirm=spec.get("confirm"))
