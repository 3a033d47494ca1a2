"""Whether the definitions are wired to what the engine really does (run by `analyse`, i.e. `make check`).

- `flow.rule_reads_later_field`: a page runs a rule set (`checks:` / `on_enter:`) whose rules read
  a form field that is not collected on that page or on a page that comes before it on every path
  from the start page (the rule sees the field absent, or a stale answer);
  `flow.rule_reads_absent_field` (warning): the flow never asks the field at all.
- `flow.condition_reads_later_field`: the same for the flow's own conditions (a field's, a review
  section's or a content block's `when:`, a `next:`/`navigate:` branch) and for `from: form.<field>`.
  A required field whose `when:` reads a later page's answer is the worst case: the page passes
  with the field hidden, and when the later page is answered the journey re-checks it, finds the
  field missing and sends the citizen back to it without a word.
- `flow.restriction_not_applied`: a rule set whose `restrict` rule limits a field that no page of
  the flow both asks and runs the rule set for in `checks:` (run on an earlier page, or in
  `on_enter:`): the citizen is offered every option anyway.
- `flow.redirect_unfollowable`: a `redirect` rule whose 【确认】 the journey cannot follow: run
  in `on_enter:` (an entry check only keeps the citizen out; no redirect is kept for 【确认】), or
  naming a flow, or a page of it, that does not exist.
- `rule.fact_not_supplied`: a fact declared in rules/facts.yaml that nothing puts into a request's
  facts (services.interfaces.supplied_facts: the verified person, the registry record, today).
"""
from __future__ import annotations

import difflib

from ..errors import Problem
from ..rules.model import facts_read
from ..say import names, say
from ..services.interfaces import supplied_facts
from .model import FlowDef, PageDef


def check_wiring(flows: dict[str, FlowDef], doms: dict[str, dict[str, set[str]]], rulebook) -> list[Problem]:
    out: list[Problem] = []
    for flow in flows.values():
        out += rule_reads(flow, doms[flow.id], rulebook)
        out += condition_reads(flow, doms[flow.id], rulebook)
    out += unapplied_restrictions(flows, rulebook)
    out += unfollowable_redirects(flows, rulebook)
    out += unsupplied_facts(rulebook)
    return unique(out)


def unique(problems: list[Problem]) -> list[Problem]:
    """One finding once: a shared page (`use:`) is checked in every flow that uses it."""
    seen: set = set()
    out = []
    for p in problems:
        key = (p.code, p.file, p.line, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


# -- names in the policy's terms ----------------------------------------------------------------

def page_name(page: PageDef) -> str:
    return say("wiring.page", title=page.title, id=page.id) if page.title else say("wiring.page_untitled", id=page.id)


def flow_name(flow: FlowDef) -> str:
    return say("wiring.flow", title=flow.title, id=flow.id) if flow.title else say("wiring.flow_untitled", id=flow.id)


def rule_name(rule) -> str:
    return say("wiring.rule", id=rule.id, title=rule.title) if rule.title else say("wiring.rule_untitled", id=rule.id)


def field_name(flow: FlowDef, name: str) -> str:
    f = flow.field(name)
    title = f.title if f is not None and f.title else ""
    return say("wiring.field", title=title, name=name) if title else say("wiring.field_untitled", name=name)


def _owner_pages(flow: FlowDef) -> dict[str, PageDef]:
    owners: dict[str, PageDef] = {}
    for page in flow.pages.values():
        for f in page.input_fields():
            owners.setdefault(f.name, page)
    return owners


def _form_fields(paths, rulebook) -> list[str]:
    """The form fields that facts at `paths` come from (a derived fact's inputs included)."""
    out: list[str] = []
    for path in paths:
        inputs = rulebook.catalogue.inputs_of(path) if rulebook is not None else [path]
        out += [p[5:] for p in inputs if p.startswith("form.") and p[5:] not in out]
    return out


# -- rules reading fields the path has not collected yet ----------------------------------------

def rule_reads(flow: FlowDef, dom: dict[str, set[str]], rulebook) -> list[Problem]:
    out: list[Problem] = []
    owners = _owner_pages(flow)
    for page_id, before in dom.items():
        page = flow.pages[page_id]
        for key in ("on_enter", "checks"):
            # on_enter runs before the page is shown: its own fields are not collected yet
            pages = before - {page_id} if key == "on_enter" else before
            collected = {f.name for p in pages for f in flow.pages[p].input_fields()}
            for name in getattr(page, key):
                rs = rulebook.rulesets.get(name)
                if rs is None:
                    continue
                readers: dict[str, list] = {}
                for rule in rs.rules:
                    for fact in rule.facts_read:
                        if fact.startswith("form.") and fact[5:] not in collected:
                            readers.setdefault(fact[5:], []).append(rule)
                for field, rules in readers.items():
                    out.append(_later_field(flow, page, key, rs, rules, field, owners.get(field)))
    return out


def _later_field(flow, page, key, rs, rules, field, owner) -> Problem:
    values = {"page": page_name(page), "key": key, "ruleset": rs.name, "field": field_name(flow, field),
              "rules": names(f"{rule_name(r)}（{r.file}:{r.line}）" for r in rules)}
    if owner is None:
        return page.origin.problem("flow.rule_reads_absent_field",
                                   say("wiring.rule_reads_absent.message", flow=flow.id, **values),
                                   say("wiring.rule_reads_absent.hint", **values), (key,), "warning")
    if owner.id == page.id:
        hint = say("wiring.rule_reads_later.hint_same_page", **values)
    else:
        hint = say("wiring.rule_reads_later.hint", owner=page_name(owner),
                   where=f"{owner.origin.file}:{owner.origin.line}", **values)
    message = say("wiring.rule_reads_later.message_same_page" if owner.id == page.id
                  else "wiring.rule_reads_later.message", **values)
    return page.origin.problem("flow.rule_reads_later_field", message, hint, (key,))


# -- the flow's own conditions reading fields the path has not collected yet ----------------------

def _condition_sites(flow: FlowDef, page: PageDef):
    """(what reads, origin, sub-path, fact paths read) for each condition and `from:` of a page."""
    for f in page.fields.values():
        if f.condition is not None:
            yield say("wiring.site.field", field=f.title or f.name), f.origin, ("when",), facts_read(f.condition)
        if f.readonly and f.source and f.source.startswith("form."):
            yield say("wiring.site.from", field=f.title or f.name), f.origin, ("from",), [f.source]
    for section in page.review:
        if section.condition is not None:
            yield (say("wiring.site.review", title=section.title), section.origin, ("when",),
                   facts_read(section.condition))
    for i, cond in enumerate(page.content_conditions):
        if cond is not None:
            yield say("wiring.site.content", n=i + 1), page.origin, ("content", i, "when"), facts_read(cond)
    for action in page.actions:
        for key, target in (("next", action.next), ("navigate", action.navigate)):
            for i, branch in enumerate(target.branches if target else []):
                if branch.condition is not None:
                    to = flow.pages.get(branch.page)
                    yield (say("wiring.site.branch", label=action.label, page=page_name(to) if to else branch.page),
                           action.origin,
                           (key, i, "when"), facts_read(branch.condition))


def condition_reads(flow: FlowDef, dom: dict[str, set[str]], rulebook) -> list[Problem]:
    out: list[Problem] = []
    owners = _owner_pages(flow)
    for page_id, before in dom.items():
        page = flow.pages[page_id]
        collected = {f.name for p in before for f in flow.pages[p].input_fields()}
        for what, origin, sub, paths in _condition_sites(flow, page):
            for field in _form_fields(paths, rulebook):
                owner = owners.get(field)
                if field in collected or owner is None:     # unknown fields are flow.unknown_field
                    continue
                values = {"page": page_name(page), "what": what, "field": field_name(flow, field),
                          "owner": page_name(owner)}
                out.append(origin.problem("flow.condition_reads_later_field",
                                          say("wiring.condition_reads_later.message", **values),
                                          say("wiring.condition_reads_later.hint", **values), sub))
    return out


# -- restrictions no page applies ------------------------------------------------------------------

def unapplied_restrictions(flows: dict[str, FlowDef], rulebook) -> list[Problem]:
    """A `restrict` limits a field's options only on a page that asks the field and runs the rule
    set in `checks:` (journey/validation.restrictions_for); anywhere else it changes nothing."""
    out: list[Problem] = []
    owners_of = {flow.id: _owner_pages(flow) for flow in flows.values()}
    for flow in flows.values():
        owners = owners_of[flow.id]
        for page in flow.pages.values():
            for key in ("on_enter", "checks"):
                for name in getattr(page, key):
                    rs = rulebook.rulesets.get(name)
                    for rule in rs.rules if rs is not None else ():
                        field = rule.then.get("restrict", {}).get("field")
                        owner = owners.get(field) if field else None
                        if owner is None or _applied(flow, rs.name, field):
                            continue
                        values = {"page": page_name(page), "key": key, "ruleset": rs.name, "rule": rule_name(rule),
                                  "field": field_name(flow, field), "owner": page_name(owner)}
                        out.append(page.origin.problem(
                            "flow.restriction_not_applied", say("wiring.restriction_not_applied.message", **values),
                            say("wiring.restriction_not_applied.hint", **values), (key,)))
    return out


def _applied(flow: FlowDef, ruleset: str, field: str) -> bool:
    return any(ruleset in p.checks and field in p.input_names for p in flow.pages.values())


# -- redirects the journey cannot follow ---------------------------------------------------------

def _redirects(rs):
    for rule in rs.rules:
        body = rule.then.get("redirect")
        if body is not None:
            yield rule, body


def unfollowable_redirects(flows: dict[str, FlowDef], rulebook) -> list[Problem]:
    out: list[Problem] = []
    for rs in rulebook.rulesets.values():
        for rule, body in _redirects(rs):
            target = flows.get(body["flow"])
            values = {"rule": rule_name(rule), "ruleset": rs.name, "flow": body["flow"],
                      "label": body.get("confirm_label") or say("wiring.redirect.default_label")}
            if target is None:
                close = difflib.get_close_matches(body["flow"], list(flows), n=1)
                out.append(Problem("flow.redirect_unfollowable", rule.id,
                                   say("wiring.redirect.unknown_flow", **values), rule.file, rule.line,
                                   say("hint.did_you_mean", name=close[0]) if close else
                                   say("hint.known_names", names=names(sorted(flows)))))
            elif body.get("page") and body["page"] not in target.pages:
                close = difflib.get_close_matches(body["page"], list(target.pages), n=1)
                out.append(Problem("flow.redirect_unfollowable", rule.id,
                                   say("wiring.redirect.unknown_page", page=body["page"], **values),
                                   rule.file, rule.line,
                                   say("hint.did_you_mean", name=close[0]) if close else
                                   say("hint.known_names", names=names(target.pages))))
    for flow in flows.values():
        for page in flow.pages.values():
            for name in page.on_enter:
                rs = rulebook.rulesets.get(name)
                for rule, body in _redirects(rs) if rs is not None else ():
                    target = flows.get(body["flow"])
                    values = {"rule": rule_name(rule), "ruleset": rs.name, "page": page_name(page),
                              "target": flow_name(target) if target is not None else body["flow"],
                              "label": body.get("confirm_label") or say("wiring.redirect.default_label")}
                    out.append(Problem("flow.redirect_unfollowable", rule.id,
                                       say("wiring.redirect.on_enter", **values), rule.file, rule.line,
                                       say("wiring.redirect.on_enter_hint", **values)))
    return out


# -- declared facts that nothing supplies ---------------------------------------------------------

def looked_up_facts(catalogue, platform: dict) -> dict[str, frozenset[str]]:
    """The connectors' look-up facts among the catalogue's types, by prefix: every type that is no
    form field, no platform fact, not declared in facts.yaml, not derived and not a hidden helper."""
    out: dict[str, set[str]] = {}
    derived = catalogue.derived_by_path
    for path in catalogue.types:
        head = path.partition(".")[0]
        if head in platform or head == "form" or head.startswith("govflow") or path in catalogue.declared \
                or path in derived:
            continue
        out.setdefault(head, set()).add(path)
    return {head: frozenset(paths) for head, paths in out.items()}


def unsupplied_facts(rulebook) -> list[Problem]:
    catalogue = rulebook.catalogue
    supplied = supplied_facts()
    supplied = {**looked_up_facts(catalogue, supplied), **supplied}
    readers: dict[str, list] = {}
    for rs in rulebook.rulesets.values():
        for rule in rs.rules:
            for path in rule.facts_read:
                readers.setdefault(path, []).append(rule)
    out: list[Problem] = []
    for fact, (file, line) in catalogue.declared.items():
        source = fact.rpartition(".")[0]
        if fact in supplied.get(source, ()):
            continue
        given = supplied.get(source)
        title = catalogue.types[fact].title if fact in catalogue.types else None
        values = {"fact": fact, "title": title or fact}
        rules = readers.get(fact, [])
        message = say("wiring.fact_not_supplied.message", **values)
        if rules:
            message += say("wiring.fact_not_supplied.readers", rules=names(
                f"{rule_name(r)}（{r.file}:{r.line}）" for r in rules))
        if given:
            close = difflib.get_close_matches(fact, sorted(given), n=1, cutoff=0.85)
            hint = say("wiring.fact_not_supplied.hint", source=source, known=names(sorted(given)))
            if close:
                hint = say("hint.did_you_mean", name=close[0]) + hint
        else:
            hint = say("wiring.fact_not_supplied.hint_source",
                       sources=names(sorted(f"{s}." for s in supplied if s)))
        out.append(Problem("rule.fact_not_supplied", fact, message, file, line, hint))
    return out
