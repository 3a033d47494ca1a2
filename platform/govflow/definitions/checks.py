"""Cross-reference checks over loaded flows: every name used must exist, every page be reachable.

These are the checks policy staff rely on: a typo in `next:` or a field name is reported
with file, line and a 'did you mean' hint instead of surfacing as a broken page later.
"""
from __future__ import annotations

import difflib
from typing import Iterable

from ..errors import Problem
from .model import FlowDef, PageDef, Target


def _hint(name: str, choices: Iterable[str]) -> str | None:
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"known names: {', '.join(sorted(choices)[:12])}" if choices else None


def successors(flow: FlowDef, page: PageDef) -> list[str]:
    """Pages of the same flow a page leads to: next (every branch), navigate, on_failure, 【修改】."""
    out: list[str] = []
    for action in page.actions:
        for target in (action.next, action.navigate):
            if target:
                out += target.pages()
        if action.on_failure:
            out.append(action.on_failure)
    out += [s.edit for s in page.review]
    return [p for p in out if p in flow.pages]


def reachable_pages(flow: FlowDef) -> set[str]:
    seen, todo = set(), [flow.start]
    while todo:
        page = flow.page(todo.pop())
        if page is None or page.id in seen:
            continue
        seen.add(page.id)
        todo += successors(flow, page)
    return seen


def check_flows(flows: dict[str, FlowDef], picklist_names: set[str], format_names: set[str],
                ruleset_names: set[str] | None = None) -> list[Problem]:
    problems: list[Problem] = []
    for flow in flows.values():
        problems += _check_flow(flow, flows, picklist_names, format_names, ruleset_names)
    return problems


def _check_flow(flow, flows, picklists, formats, rulesets) -> list[Problem]:
    out: list[Problem] = []
    pages = flow.pages
    if flow.start not in pages:
        out.append(flow.origin.problem("flow.unknown_page", f"start page '{flow.start}' does not exist",
                                       _hint(flow.start, pages), ("start",)))
    for name in flow.launched_by:
        if name not in flows:
            out.append(flow.origin.problem("flow.unknown_flow", f"flow '{name}' in launched_by does not exist",
                                           _hint(name, flows), ("launched_by",)))
    fields = flow.input_fields()
    owners: dict[str, PageDef] = {}
    for page in pages.values():
        for f in page.input_fields():
            if f.name in owners and owners[f.name].id != page.id:
                out.append(f.origin.problem("flow.duplicate_field",
                                            f"field '{f.name}' is also collected on page '{owners[f.name].id}'",
                                            "field names must be unique in a flow; rename one"))
            owners.setdefault(f.name, page)
    for page in pages.values():
        out += _check_page(flow, page, flows, fields, picklists, formats, rulesets)
    reachable = reachable_pages(flow)
    broken_links = any(p.code in ("flow.unknown_page", "flow.unknown_flow") for p in out)
    for page in pages.values():
        if page.id not in reachable and not broken_links:   # a broken link explains it already
            out.append(page.origin.problem("flow.unreachable_page",
                                           f"page '{page.id}' cannot be reached from the start page",
                                           "link it with `next:` from another page, or remove it", ("id",)))
        if not page.actions:
            out.append(page.origin.problem("flow.dead_end", f"page '{page.id}' has no button leading anywhere",
                                           "add an action with `next:` or `navigate:`", ("id",)))
    return out


def _check_target(flow, flows, target: Target | None, origin, sub, out):
    if target is None:
        return
    if target.flow:
        other = flows.get(target.flow)
        if other is None:
            out.append(origin.problem("flow.unknown_flow", f"flow '{target.flow}' does not exist",
                                      _hint(target.flow, flows), sub))
        elif target.page and target.page not in other.pages:
            out.append(origin.problem("flow.unknown_page", f"flow '{target.flow}' has no page '{target.page}'",
                                      _hint(target.page, other.pages), sub))
        return
    if target.parent:
        parents = [flows[n] for n in flow.launched_by if n in flows]
        if not parents:
            out.append(origin.problem("flow.no_parent", "`parent:` needs the flow to list `launched_by:`", None, sub))
        for parent in parents:
            if target.parent not in parent.pages:
                out.append(origin.problem("flow.unknown_page",
                                          f"parent flow '{parent.id}' has no page '{target.parent}'",
                                          _hint(target.parent, parent.pages), sub))
        return
    for page_id in target.pages() or [target.page or ""]:
        if page_id not in flow.pages:
            out.append(origin.problem("flow.unknown_page", f"next page '{page_id}' does not exist",
                                      _hint(page_id, flow.pages), sub))


def _check_page(flow, page, flows, fields, picklists, formats, rulesets) -> list[Problem]:
    out: list[Problem] = []
    _check_fields(page, fields, picklists, formats, out)
    _check_names(page, rulesets, out)
    _check_review(flow, page, flows, fields, out)
    for action in page.actions:
        _check_target(flow, flows, action.next, action.origin, ("next",), out)
        _check_target(flow, flows, action.navigate, action.origin, ("navigate",), out)
        if action.on_failure:
            _check_target(flow, flows, Target(page=action.on_failure), action.origin, ("on_failure",), out)
    return out


def _check_fields(page, fields, picklists, formats, out) -> None:
    for f in page.fields.values():
        if isinstance(f.options, str) and f.options not in picklists:
            out.append(f.origin.problem("flow.unknown_picklist", f"pick-list '{f.options}' does not exist",
                                        _hint(f.options, picklists) or "see reference/picklists.yaml", ("options",)))
        if f.format and f.format not in formats:
            out.append(f.origin.problem("flow.unknown_format", f"format '{f.format}' does not exist",
                                        _hint(f.format, formats) or f"known: {', '.join(sorted(formats))}",
                                        ("format",)))
        phone = f.sms_phone_field
        if phone and phone not in fields:
            out.append(f.origin.problem("flow.unknown_field", f"verify.sms names unknown field '{phone}'",
                                        _hint(phone, fields), ("verify",)))
        if f.source and f.source.startswith("form.") and f.source[5:] not in fields:
            out.append(f.origin.problem("flow.unknown_field", f"`from:` names unknown field '{f.source[5:]}'",
                                        _hint(f.source[5:], fields), ("from",)))


def _check_names(page, rulesets, out) -> None:
    for i, group in enumerate(page.groups):
        for name in group["fields"]:
            if name not in page.fields:
                out.append(page.origin.problem("flow.unknown_field", f"group lists unknown field '{name}'",
                                               _hint(name, page.fields), ("groups", i)))
    for names, key in ((page.on_enter, "on_enter"), (page.checks, "checks")):
        for name in names:
            if rulesets is not None and name not in rulesets:
                out.append(page.origin.problem("flow.unknown_ruleset", f"ruleset '{name}' does not exist",
                                               _hint(name, rulesets) or "rule files live in rules/", (key,)))


def _check_review(flow, page, flows, fields, out) -> None:
    for section in page.review:
        _check_target(flow, flows, Target(page=section.edit), section.origin, ("edit",), out)
        if section.page:
            target = flow.page(section.page)
            if target is None:
                _check_target(flow, flows, Target(page=section.page), section.origin, ("page",), out)
            elif section.group is not None and section.group >= len(target.groups):
                out.append(section.origin.problem("flow.unknown_group",
                                                  f"page '{section.page}' has no group {section.group}",
                                                  None, ("group",)))
        for name in section.fields:
            if flow.field(name) is None:
                out.append(section.origin.problem("flow.unknown_field", f"review lists unknown field '{name}'",
                                                  _hint(name, fields), ("fields",)))
