"""【确认提交】 and 【清理】: hand the application to the back end exactly once.

A retry or double click returns the same reference; after a rejection 【重新提交】 tries again
on the same application (a new attempt number, never a second application).
"""
from __future__ import annotations

from ..services import ServiceError
from . import identity
from .results import Status, StepResult
from .validation import validate_page


def _recheck(journey, draft, page) -> StepResult | None:
    """The review page applies the same checks as the first time, each page once."""
    for page_id in draft.trail:
        if page_id == page.id:
            return None
        other = draft.flow.pages[page_id]
        check = validate_page(journey.env, draft.flow, other, draft.app.answers.get(page_id, {}), draft)
        if not check.ok:
            draft.reopen(page_id)
            return StepResult(Status.INVALID, draft, page_id, check.problems, popup=check.popup)
    return StepResult(Status.INVALID, draft, draft.trail[-1])


def _card_application(env, draft) -> tuple[bool, dict]:
    app, flow = draft.app, draft.flow
    ident = app.context.get("identity") or {}
    payload = {"flow": flow.id, "flow_version": flow.version, "ssn": identity.subject_of(app),
               "submitted_by": ident.get("ssn"),
               "id_type": ident.get("id_type"), "answers": dict(draft.answers)}
    try:
        result = env.services.card_backend.submit(app.id, payload, f"{app.id}:{app.submit_attempts}")
    except ServiceError as exc:
        return False, {"reason_code": exc.code, "reason": str(exc)}
    if result.accepted:   # the back end records the pending application in the registry itself
        return True, {"reference": result.reference}
    return False, {"reason_code": result.reason_code, "reason": result.reason}


def _card_cleanup(env, draft) -> tuple[bool, dict]:
    ssn = identity.subject_of(draft.app)
    try:
        cards = [c.card_number for c in env.services.registry.record(ssn).cards if c.cleanable]
        reference = env.services.registry.cleanup(ssn, cards)
    except ServiceError as exc:
        return False, {"reason_code": exc.code, "reason": str(exc)}
    return True, {"reference": reference, "cards": cards}


OPERATIONS = {"card_application": _card_application, "card_cleanup": _card_cleanup}


def submit(journey, draft, page, action) -> StepResult:
    env, app = journey.env, draft.app
    if app.status == "submitted":
        return StepResult(Status.SUBMITTED, draft, draft.current)
    blocked = _recheck(journey, draft, page)
    if blocked is not None:
        return blocked
    accepted, detail = OPERATIONS[action.submit](env, draft)
    app.last_outcome = {"accepted": accepted, **detail}
    env.store.decisions.record(application_id=app.id, ruleset=f"submit:{action.submit}", ruleset_version="-",
                               flow_id=draft.flow.id, flow_version=draft.flow.version, rule_ids=[],
                               outcome=app.last_outcome, facts={})
    draft.changed()
    if accepted:
        app.status = "submitted"
        app.reference = detail.get("reference")
        draft.mark_done(page.id)
        identity.refresh_registry(env, draft)
        draft.move_to(action.next.page)
        return StepResult(Status.SUBMITTED, draft, action.next.page)
    app.submit_attempts += 1
    draft.move_to(action.on_failure or page.id)
    return StepResult(Status.FAILED, draft, draft.current)
