"""【确认提交】 and 【清理】: hand the application to the back end exactly once.

A retry or double click returns the same reference; after a rejection 【重新提交】 tries again
on the same application (a new attempt number, never a second application).
"""
from __future__ import annotations

from . import identity
from .facts import flat_answers
from .navigation import trail
from .results import StepResult
from .validation import validate_page


def _recheck(engine, app, flow, page) -> StepResult | None:
    """The review page applies the same checks as the first time, page by page."""
    facts = engine.facts(app, flow)
    for page_id in trail(flow, app, facts):
        if page_id == page.id:
            return None
        other = flow.page(page_id)
        check = validate_page(engine.env, flow, other, app.answers.get(page_id, {}), app)
        if not check.ok:
            if page_id in app.done:
                app.done.remove(page_id)
            engine.save(app)
            return StepResult("invalid", app, page_id, check.problems, popup=check.popup)
    return StepResult("invalid", app, trail(flow, app, facts)[-1])


def _card_application(env, app, flow) -> tuple[bool, dict]:
    ident = app.context.get("identity") or {}
    payload = {"flow": flow.id, "flow_version": flow.version, "ssn": identity.subject_of(app),
               "submitted_by": ident.get("ssn"),
               "id_type": ident.get("id_type"), "answers": flat_answers(app.answers)}
    result = env.services.card_backend.submit(app.id, payload, f"{app.id}:{app.submit_attempts}")
    if result.accepted:   # the back end records the pending application in the registry itself
        return True, {"reference": result.reference}
    return False, {"reason_code": result.reason_code, "reason": result.reason}


def _card_cleanup(env, app, flow) -> tuple[bool, dict]:
    ssn = identity.subject_of(app)
    cards = [c.card_number for c in env.services.registry.record(ssn).cards if c.cleanable]
    try:
        reference = env.services.registry.cleanup(ssn, cards)
    except (ValueError, LookupError) as exc:
        return False, {"reason_code": "cleanup.refused", "reason": str(exc)}
    return True, {"reference": reference, "cards": cards}


OPERATIONS = {"card_application": _card_application, "card_cleanup": _card_cleanup}


def submit(engine, app, flow, page, action) -> StepResult:
    env = engine.env
    if app.status == "submitted":
        return StepResult("submitted", app, engine.current(app))
    blocked = _recheck(engine, app, flow, page)
    if blocked is not None:
        return blocked
    accepted, detail = OPERATIONS[action.submit](env, app, flow)
    app.last_outcome = {"accepted": accepted, **detail}
    env.store.decisions.record(application_id=app.id, ruleset=f"submit:{action.submit}", ruleset_version="-",
                               flow_id=flow.id, flow_version=flow.version, rule_ids=[],
                               outcome=app.last_outcome, facts={})
    if accepted:
        app.status = "submitted"
        app.reference = detail.get("reference")
        if page.id not in app.done:
            app.done.append(page.id)
        identity.refresh_registry(env, app)
        app.context["page"] = action.next.page
        engine.save(app)
        return StepResult("submitted", app, action.next.page)
    app.submit_attempts += 1
    app.context["page"] = action.on_failure or page.id
    engine.save(app)
    return StepResult("failed", app, app.context["page"])
