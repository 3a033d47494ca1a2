"""Validate one page's input: the single function behind the HTML forms, the API and re-checks.

Order: which fields apply (`when:`), presence, schema and format, then checks that need an
application (SMS codes, uploads, photo receipts, branches), then the page's rule sets.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

from ..definitions.model import FieldDef, FlowDef, PageDef
from ..errors import Problem
from . import fieldcheck, verifiers
from .conditions import holds
from .facts import build_facts, flat_answers


@dataclass
class PageCheck:
    values: dict                                   # cleaned values of the fields that apply
    problems: list[Problem]                        # one per field at most, page order
    popup: dict | None = None                      # refusal or redirect decided by a rule
    evaluations: list = dc_field(default_factory=list)   # rule evaluations, for the audit trail
    verified: dict = dc_field(default_factory=dict)      # phones proven by SMS code: field -> phone
    restrictions: dict = dc_field(default_factory=dict)  # field -> allowed values

    @property
    def ok(self) -> bool:
        return not self.problems and self.popup is None


def applicable(page: PageDef, facts: dict) -> list[FieldDef]:
    return [f for f in page.input_fields() if holds(f.when, facts)]


def restrictions_for(env, flow: FlowDef, page: PageDef, facts: dict) -> tuple[dict, list]:
    """Allowed options per field from the page's `restrict` rules, plus the evaluations made."""
    allowed, evaluations = {}, []
    for name in page.checks:
        ev = env.rulebook.evaluate(name, facts)
        evaluations.append(ev)
        for fired in ev.fired:
            spec = fired.outcome.get("restrict")
            if spec:
                prev = allowed.get(spec["field"])
                allowed[spec["field"]] = [v for v in spec["to"] if prev is None or v in prev]
    return allowed, evaluations


def validate_page(env, flow: FlowDef, page: PageDef, data: dict, app=None, from_form: bool = False,
                  verify_sms: bool = True) -> PageCheck:
    """`verify_sms=False` checks everything but does not use up an SMS code (field-level checks)."""
    context = app.context if app is not None else {}
    answers = flat_answers(app.answers) if app is not None else {}
    raw = {f.name: fieldcheck.coerce(f, data.get(f.name), from_form) for f in page.input_fields()}
    posted = {k: v for k, v in raw.items() if v is not fieldcheck.MISSING}
    for f in page.input_fields():   # optional booleans: an unticked box is `false`
        if f.type == "boolean" and f.optional and f.name not in posted:
            posted[f.name] = False
    merged = {**{k: v for k, v in answers.items() if k not in raw}, **posted}
    facts = build_facts(flow, context, merged, env.today())
    values, problems = {}, []
    for f in applicable(page, facts):
        if verifiers.already_verified(f, merged, app):
            continue
        value = posted.get(f.name, fieldcheck.MISSING)
        if value is fieldcheck.MISSING:
            if f.required:
                problems.append(fieldcheck.problem(f, fieldcheck.missing_code(f)))
            continue
        found = fieldcheck.check_value(f, value, env.picklists, env.today())
        if found:
            problems.append(found)
        else:
            values[f.name] = value
    result = PageCheck(values=values, problems=problems)
    facts = build_facts(flow, context, {**merged, **values}, env.today())
    result.restrictions, result.evaluations = restrictions_for(env, flow, page, facts)
    _apply_rules(page, result)
    if app is not None and not result.problems and result.popup is None:
        result.problems += verifiers.run(env, flow, page, values, app, result.verified, verify_sms)
    return result


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
                    result.popup = popup_for(fired)
            elif "redirect" in outcome and not result.problems and result.popup is None:
                result.popup = popup_for(fired)


def _rule_problem(fired, path: str, message: str | None) -> Problem:
    return Problem(code=fired.rule_id, path=path, message=message or fired.title, hint=getattr(fired, "basis", None))


def popup_for(fired) -> dict:
    """A manual 弹窗 decided by a rule: the message, the rule and its policy basis."""
    outcome = fired.outcome
    kind = "redirect" if "redirect" in outcome else "refuse"
    spec = outcome[kind]
    popup = {"kind": kind, "rule_id": fired.rule_id, "title": fired.title, "message": spec["message"],
             "basis": getattr(fired, "basis", None)}
    if kind == "redirect":
        popup["flow"] = spec["flow"]
        popup["page"] = spec.get("page")
        popup["confirm_label"] = spec.get("confirm_label")
    return popup


def check_entry(env, flow: FlowDef, page: PageDef, app) -> tuple[dict | None, list]:
    """Run the page's `on_enter` rule sets: a refusal keeps the citizen out (popup)."""
    facts = build_facts(flow, app.context, flat_answers(app.answers), env.today())
    evaluations = []
    for name in page.on_enter:
        ev = env.rulebook.evaluate(name, facts)
        evaluations.append(ev)
        for fired in ev.fired:
            if "refuse" in fired.outcome or "redirect" in fired.outcome:
                return popup_for(fired), evaluations
    return None, evaluations
