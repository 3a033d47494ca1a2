"""Validate one page's input: the single function behind the HTML forms, the API and re-checks.

Order: each posted value on its own (type, schema, format), a single allowed option chosen for
a choice left open (`sole_choices`), which fields apply (`when:`, read
on the answers that passed), presence, then the page's rule sets (on one FactView for all of
them), then checks that need an application (uploads, photo receipts, branches, and SMS codes last).
A value that failed its own check never reaches a condition or a rule. Every error of the page
is found in one round: the checks that need an application run also when the answers or the
rules found errors (on the fields without one); a right SMS code is used up only on a page
without errors (store/codes.py `use`).
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from ..definitions.model import FlowDef, PageDef
from ..errors import Problem
from ..rules import FactView, holds
from . import fieldcheck, records, verifiers
from .facts import build_facts
from .results import Popup
from .rule_texts import worded


@dataclass
class PageCheck:
    values: dict                                   # cleaned values of the fields that apply
    problems: list[Problem]                        # one per field at most, page order
    popup: Popup | None = None                     # refusal or redirect decided by a rule
    evaluations: list = dc_field(default_factory=list)   # rule evaluations, for the audit trail
    verified: dict = dc_field(default_factory=dict)      # phones proven by SMS code: field -> phone
    restrictions: dict = dc_field(default_factory=dict)  # field -> allowed values
    facts: FactView | None = None                  # what the rule sets saw (reused to render the page)
    typed: dict = dc_field(default_factory=dict)   # every posted value, coerced (to show it again)
    unchecked: set = dc_field(default_factory=set)  # fields not checked (SMS codes with verify_sms=False)

    @property
    def ok(self) -> bool:
        return not self.problems and self.popup is None


def restrictions_for(env, page: PageDef, facts: FactView, only_restricting: bool = False) -> tuple[dict, list]:
    """Allowed options per field from the page's `restrict` rules, plus the evaluations made.
    `only_restricting`: skip the rule sets that restrict nothing (showing a page needs no others)."""
    allowed: dict = {}
    evaluations = []
    for name in page.checks:
        if only_restricting and not env.rulebook.rulesets[name].restricts:
            continue
        ev = env.rulebook.evaluate(name, facts)
        evaluations.append(ev)
        for fired in ev.fired:
            spec = fired.outcome.get("restrict")
            if spec:
                prev = allowed.get(spec["field"])
                allowed[spec["field"]] = [v for v in spec["to"] if prev is None or v in prev]
    return allowed, evaluations


def single_choice(f) -> bool:
    """A field answered by choosing one of its listed options (a radio or a select)."""
    return bool(f.options) and not f.options_from and not f.readonly and f.type in ("string", "integer")


def sole_choices(env, page: PageDef, given: dict, facts: FactView, allowed: dict | None = None) -> dict:
    """The answers chosen for the citizen: a required single-choice field that applies, is not
    answered (`given`) and whose rules allow exactly one option gets that option. Never an
    answer the citizen gave; a field with no `restrict` rule keeps whatever options it lists."""
    open_ = [f for f in page.input_fields() if f.name not in given and f.required
             and single_choice(f) and holds(f.condition, facts)]
    if not open_:
        return {}
    if allowed is None:
        allowed, _ = restrictions_for(env, page, facts, only_restricting=True)
    today = env.today()
    chosen = {}
    for f in open_:
        only = allowed.get(f.name)
        if f.default is not None and (only is None or f.default in only):
            continue                   # the field's default is the answer offered
        if only is not None and len(only) == 1 \
                and fieldcheck.check_value(f, only[0], env.picklists, today) is None:
            chosen[f.name] = only[0]
    return chosen


def page_facts(env, page: PageDef, values: dict, draft=None) -> FactView:
    """The facts with this page's answers replaced by `values` (the others as saved)."""
    if draft is None:
        return FactView(env.rulebook.catalogue, build_facts({}, dict(values), env.today()))
    names = page.input_names
    answers = {k: v for k, v in draft.answers.items() if k not in names}
    answers.update(values)
    return FactView(env.rulebook.catalogue, build_facts(draft.app.context, answers, env.today()))


def applying(env, page: PageDef, values: dict, draft=None) -> tuple[dict, FactView]:
    """The values of the fields that apply, and the facts they make. A value kept for a field that
    does not apply (typed before its controlling answer changed) is left out and the conditions
    are read again, so that it never makes another field apply: the page shows, checks and saves
    the same fields."""
    facts = page_facts(env, page, values, draft)
    while True:
        left = {k: v for k, v in values.items() if k not in page.fields or holds(page.fields[k].condition, facts)}
        if left == values:
            return values, facts
        values = left
        facts = page_facts(env, page, values, draft)


def unanswered(page: PageDef, given: dict) -> dict:
    """What the form sends for the fields not answered yet: a field's `default`, an optional box
    unticked (as `coerce_posted` reads it). A page shown before it is answered applies the same
    conditions as its post will."""
    return {f.name: False if f.default is None else f.default for f in page.input_fields()
            if f.name not in given and (f.default is not None or (f.type == "boolean" and f.optional))}


def coerce_posted(page: PageDef, data: dict, from_form: bool) -> dict:
    """Posted values, typed; an unticked optional box is `false`; nothing given is left out."""
    posted = {}
    for f in page.input_fields():
        value = fieldcheck.coerce(f, data.get(f.name), from_form)
        if value is not fieldcheck.MISSING:
            posted[f.name] = value
        elif f.type == "boolean" and f.optional:
            posted[f.name] = False
    return posted


def validate_page(env, flow: FlowDef, page: PageDef, data: dict, draft=None, from_form: bool = False,
                  verify_sms: bool = True) -> PageCheck:
    """`verify_sms=False` checks everything but does not use up an SMS code (field-level checks)."""
    today = env.today()
    posted = coerce_posted(page, data, from_form)
    own = {name: fieldcheck.check_value(page.fields[name], value, env.picklists, today)
           for name, value in posted.items()}
    passed, facts = applying(env, page, {name: posted[name] for name, problem in own.items() if problem is None},
                             draft)
    chosen = sole_choices(env, page, posted, facts)      # the only option allowed: chosen for the citizen
    if chosen:
        posted.update(chosen)
        own.update(dict.fromkeys(chosen))
        passed, facts = applying(env, page, {**passed, **chosen}, draft)
    app = draft.app if draft is not None else None
    values: dict = {}
    problems: list[Problem] = []
    for f in page.input_fields():
        if not holds(f.condition, facts):
            continue
        if verifiers.already_verified(f, posted, draft):
            continue
        found = _field_problem(f, posted, own, app)
        if found is not None:
            problems.append(found)
        elif f.name in posted:
            values[f.name] = posted[f.name]
    if values != passed:
        facts = page_facts(env, page, values, draft)     # the rules see only answers that apply
    result = PageCheck(values=values, problems=problems, facts=facts, typed=posted)
    result.restrictions, evaluations = restrictions_for(env, page, facts)
    result.evaluations = [worded(flow, ev) for ev in evaluations]
    _apply_rules(page, result)
    if app is not None and result.popup is None:        # all of the page's errors in one round
        checked, result.unchecked = verifiers.run(env, page, values, draft, result.verified, verify_sms,
                                                skip={p.path for p in result.problems},
                                                use_codes=not result.problems)
        if checked:
            order = {name: i for i, name in enumerate(page.fields)}
            result.problems = sorted(result.problems + checked, key=lambda p: order.get(p.path or "", len(order)))
    return result


def _field_problem(f, posted: dict, own: dict, app) -> Problem | None:
    """Missing, refused by the field's own checks, or (`options_from`) not one of the records offered
    (only with an application: the records are its look-ups' facts)."""
    if f.name not in posted:
        if not f.required:
            return None
        if f.options_from and app is not None and not records.values(f, app.context):
            return records.check_choice(f, None, app.context)      # nothing to choose: the `empty` text
        return fieldcheck.problem(f, fieldcheck.missing_code(f))
    if own[f.name] is not None:
        return own[f.name]
    if f.options_from and app is not None:
        return records.check_choice(f, posted[f.name], app.context)
    return None


def _apply_rules(page: PageDef, result: PageCheck) -> None:
    with_error = {p.path for p in result.problems}
    for ev in result.evaluations:
        for fired in ev.fired:
            outcome = fired.outcome
            if "restrict" in outcome:
                spec = outcome["restrict"]
                value = result.values.get(spec["field"])
                if value is not None and value not in spec["to"] and spec["field"] not in with_error:
                    result.problems.append(_rule_problem(fired, spec["field"], spec.get("message")))
                    with_error.add(spec["field"])
            elif "refuse" in outcome:
                spec = outcome["refuse"]
                target = spec.get("field")
                if target and target in page.fields:
                    if target not in with_error:
                        result.problems.append(_rule_problem(fired, target, spec["message"]))
                        with_error.add(target)
                elif not result.problems and result.popup is None:
                    result.popup = Popup.from_rule(fired)
            elif "redirect" in outcome and not result.problems and result.popup is None:
                result.popup = Popup.from_rule(fired)


def _rule_problem(fired, path: str, message: str | None) -> Problem:
    return Problem(code=fired.rule_id, path=path, message=message or fired.title, hint=fired.citizen_basis or None)


def check_entry(env, page: PageDef, draft) -> tuple[Popup | None, list]:
    """Run the page's `on_enter` rule sets: a refusal keeps the citizen out (popup)."""
    evaluations = []
    for name in page.on_enter:
        ev = worded(draft.flow, env.rulebook.evaluate(name, draft.facts))
        evaluations.append(ev)
        for fired in ev.fired:
            if "refuse" in fired.outcome or "redirect" in fired.outcome:
                return Popup.from_rule(fired), evaluations
    return None, evaluations
