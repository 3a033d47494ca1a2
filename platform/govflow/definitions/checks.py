"""Cross-reference checks over loaded flows: every name used must exist, every page be reachable.

These are the checks policy staff rely on: a typo in `next:` or a field name is reported
with file, line and a 'did you mean' hint instead of surfacing as a broken page later.
"""
from __future__ import annotations

import difflib
from typing import Iterable

from ..errors import Problem
from ..rules import citizen_text
from ..say import names, say
from .model import OUTCOME_KEYS, PLACEHOLDER, FlowDef, PageDef, Target


def _hint(name: str, choices: Iterable[str]) -> str | None:
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return say("hint.did_you_mean", name=close[0])
    return say("hint.known_names", names=names(sorted(choices)[:12])) if choices else None


def _page(page: PageDef) -> str:
    """A page as staff know it: its title, and its id."""
    return say("flow.page_named", title=page.title, id=page.id)


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
        out.append(flow.origin.problem("flow.unknown_page", say("flow.unknown_start", page=flow.start),
                                       _hint(flow.start, pages), ("start",)))
    for name in flow.launched_by:
        if name not in flows:
            out.append(flow.origin.problem("flow.unknown_flow", say("flow.unknown_launcher", flow=name),
                                           _hint(name, flows), ("launched_by",)))
    fields = flow.input_fields()
    owners: dict[str, PageDef] = {}
    for page in pages.values():
        for f in page.input_fields():
            if f.name in owners and owners[f.name].id != page.id:
                out.append(f.origin.problem("flow.duplicate_field",
                                            say("flow.duplicate_field", field=f.name, title=f.title,
                                                page=_page(page), other=_page(owners[f.name])),
                                            say("flow.duplicate_field.hint")))
            owners.setdefault(f.name, page)
    for page in pages.values():
        out += _check_page(flow, page, flows, fields, picklists, formats, rulesets)
    reachable = reachable_pages(flow)
    broken_links = any(p.code in ("flow.unknown_page", "flow.unknown_flow") for p in out)
    for page in pages.values():
        if page.id not in reachable and not broken_links:   # a broken link explains it already
            out.append(page.origin.problem("flow.unreachable_page", say("flow.unreachable_page", page=_page(page)),
                                           say("flow.unreachable_page.hint"), ("id",)))
        if not page.actions:
            out.append(page.origin.problem("flow.dead_end", say("flow.dead_end", page=_page(page)),
                                           say("flow.dead_end.hint"), ("id",)))
    return out


def _check_target(flow, flows, target: Target | None, origin, sub, out):
    if target is None:
        return
    if target.flow:
        other = flows.get(target.flow)
        if other is None:
            out.append(origin.problem("flow.unknown_flow", say("flow.unknown_flow", flow=target.flow),
                                      _hint(target.flow, flows), sub))
        elif target.page and target.page not in other.pages:
            out.append(origin.problem("flow.unknown_page",
                                      say("flow.unknown_page_of_flow", flow=other.title, flow_id=other.id,
                                          page=target.page),
                                      _hint(target.page, other.pages), sub))
        return
    if target.parent:
        parents = [flows[n] for n in flow.launched_by if n in flows]
        if not parents:
            out.append(origin.problem("flow.no_parent", say("flow.no_parent"), say("flow.no_parent.hint"), sub))
        for parent in parents:
            if target.parent not in parent.pages:
                out.append(origin.problem("flow.unknown_page",
                                          say("flow.unknown_page_of_parent", flow=parent.title, flow_id=parent.id,
                                              page=target.parent),
                                          _hint(target.parent, parent.pages), sub))
        return
    for page_id in target.pages() or [target.page or ""]:
        if page_id not in flow.pages:
            out.append(origin.problem("flow.unknown_page", say(f"flow.unknown_page.{sub[0]}", page=page_id),
                                      _hint(page_id, flow.pages), sub))


def _check_page(flow, page, flows, fields, picklists, formats, rulesets) -> list[Problem]:
    out: list[Problem] = []
    _check_fields(page, fields, picklists, formats, out)
    _check_names(page, rulesets, out)
    _check_review(flow, page, flows, fields, out)
    _check_placeholders(page, out)
    for action in page.actions:
        _check_target(flow, flows, action.next, action.origin, ("next",), out)
        _check_target(flow, flows, action.navigate, action.origin, ("navigate",), out)
        if action.on_failure:
            _check_target(flow, flows, Target(page=action.on_failure), action.origin, ("on_failure",), out)
    return out


def _check_placeholders(page, out) -> None:
    """`{outcome.reason}` and the like in content: only the outcome's known keys."""
    for i, block in enumerate(page.content):
        for key in ("title", "text"):
            text = block.get(key)
            for name in PLACEHOLDER.findall(text) if isinstance(text, str) else ():
                if name not in OUTCOME_KEYS:
                    out.append(page.origin.problem(
                        "flow.unknown_placeholder", say("flow.unknown_placeholder", page=_page(page), name=name),
                        _hint(name, OUTCOME_KEYS), ("content", i, key)))


def _check_fields(page, fields, picklists, formats, out) -> None:
    for f in page.fields.values():
        where = {"field": f.name, "title": f.title, "page": _page(page)}
        if isinstance(f.options, str) and f.options not in picklists:
            out.append(f.origin.problem("flow.unknown_picklist",
                                        say("flow.unknown_picklist", options=f.options, **where),
                                        _hint(f.options, picklists) or say("flow.unknown_picklist.hint"), ("options",)))
        if f.options_from and f.options:
            out.append(f.origin.problem("flow.options_and_options_from", say("flow.options_and_options_from", **where),
                                        say("flow.options_and_options_from.hint"), ("options_from",)))
        if f.regions and f.regions not in picklists:
            out.append(f.origin.problem("flow.unknown_picklist",
                                        say("flow.unknown_picklist", options=f.regions, **where),
                                        _hint(f.regions, picklists) or say("flow.unknown_picklist.hint"), ("regions",)))
        if f.format and f.format not in formats:
            out.append(f.origin.problem("flow.unknown_format", say("flow.unknown_format", format=f.format, **where),
                                        _hint(f.format, formats), ("format",)))
        phone = f.sms_phone_field
        if phone and phone not in fields:
            out.append(f.origin.problem("flow.unknown_field", say("flow.unknown_sms_field", phone=phone, **where),
                                        _hint(phone, fields), ("verify",)))
        if f.source and f.source.startswith("form.") and f.source[5:] not in fields:
            out.append(f.origin.problem("flow.unknown_field",
                                        say("flow.unknown_from_field", other=f.source[5:], **where),
                                        _hint(f.source[5:], fields), ("from",)))


def _check_names(page, rulesets, out) -> None:
    for i, group in enumerate(page.groups):
        for j, name in enumerate(group["fields"]):
            if name not in page.fields:
                out.append(page.origin.problem("flow.unknown_field",
                                               say("flow.group_unknown_field", field=name, page=_page(page),
                                                   group=group.get("title", "")),
                                               _hint(name, page.fields), ("groups", i, "fields", j)))
    for listed, key in ((page.on_enter, "on_enter"), (page.checks, "checks")):
        for i, name in enumerate(listed):
            if rulesets is not None and name not in rulesets:
                out.append(page.origin.problem("flow.unknown_ruleset",
                                               say("flow.unknown_ruleset", ruleset=name, page=_page(page), key=key),
                                               _hint(name, rulesets) or say("flow.unknown_ruleset.hint"), (key, i)))


def _check_review(flow, page, flows, fields, out) -> None:
    for section in page.review:
        _check_target(flow, flows, Target(page=section.edit), section.origin, ("edit",), out)
        if section.page:
            target = flow.page(section.page)
            if target is None:
                _check_target(flow, flows, Target(page=section.page), section.origin, ("page",), out)
            elif section.group is not None and section.group >= len(target.groups):
                out.append(section.origin.problem("flow.unknown_group",
                                                  say("flow.unknown_group", page=_page(target), group=section.group,
                                                      count=len(target.groups)),
                                                  say("flow.unknown_group.hint"), ("group",)))
        for i, name in enumerate(section.fields):
            if flow.field(name) is None:
                out.append(section.origin.problem("flow.unknown_field",
                                                  say("flow.review_unknown_field", field=name, page=_page(page),
                                                      section=section.title),
                                                  _hint(name, fields), ("fields", i)))


def check_rule_texts(flows: dict[str, FlowDef], rulebook) -> list[Problem]:
    """Each `rule_texts:` entry names a rule, with a message, of a rule set the flow's pages run."""
    out: list[Problem] = []
    for flow in flows.values():
        if not flow.rule_texts:
            continue
        names = {name for page in flow.pages.values() for name in (*page.checks, *page.on_enter)}
        worded = {rule.id: rule for name in names if name in rulebook.rulesets
                  for rule in rulebook.rulesets[name].rules}
        for rule_id, text in flow.rule_texts.items():
            rule = worded.get(rule_id)
            bad = citizen_text.foreign(text)
            if bad is not None:                  # read by citizens, like the rule's own message
                out.append(flow.origin.problem("flow.rule_text_foreign",
                                               say("flow.rule_text_foreign", rule=rule_id, found=bad),
                                               say("rules.citizen_text.hint.other"), ("rule_texts", rule_id)))
            if rule is None:
                out.append(flow.origin.problem("flow.unknown_rule_text",
                                               say("flow.unknown_rule_text", rule=rule_id, flow=flow.title),
                                               _hint(rule_id, worded) or say("flow.unknown_rule_text.hint"),
                                               ("rule_texts", rule_id)))
            elif not any(k in rule.then for k in ("refuse", "redirect", "restrict")):
                out.append(flow.origin.problem("flow.rule_text_no_message",
                                               say("flow.rule_text_no_message", rule=rule_id, title=rule.title),
                                               say("flow.rule_text_no_message.hint"), ("rule_texts", rule_id)))
    return out
