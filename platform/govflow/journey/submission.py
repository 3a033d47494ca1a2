"""【确认提交】 and 【清理】: the application is handed to the outbox, in the step's transaction.

Submitting changes the application's status to `processing` and writes one outbox entry
(store/outbox.py) keyed by the application and the operation, so ten concurrent clicks write
one entry; a deliverer (journey/delivery.py: at once after the commit, and the outbox worker
for retries) calls the outside system and records its answer on the application. 【重新提交】
after a refusal queues the same entry again, under the same idempotency key.

Each operation is two small functions in a table: what to send (read at submit time, from the
draft) and how to send it (at delivery time, from the entry alone).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..services import ServiceError
from . import identity
from .results import Status, StepResult
from .validation import validate_page

ACCEPTED, REFUSED, RETRY = "accepted", "refused", "retry"     # what one delivery attempt got
TRANSIENT = frozenset({"backend.unavailable"})       # the back end's own word for "try again later"


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt got: accepted (detail has the reference), rejected (final:
    the citizen may resubmit) or retry (the outside system could not answer now)."""

    kind: str
    detail: dict


@dataclass(frozen=True)
class Operation:
    payload: Callable[..., dict]          # (env, draft) -> what to send; may raise ServiceError
    deliver: Callable[..., Outcome]       # (env, application id, payload, idempotency key) -> Outcome


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


def _application_payload(env, draft) -> dict:
    app, flow = draft.app, draft.flow
    ident = app.context.get("identity") or {}
    return {"flow": flow.id, "flow_version": flow.version, "ssn": identity.subject_of(app),
            "submitted_by": ident.get("ssn"), "id_type": ident.get("id_type"), "answers": dict(draft.answers)}


def _deliver_application(env, application_id: str, payload: dict, key: str) -> Outcome:
    try:
        result = env.services.card_backend.submit(application_id, payload, key)
    except ServiceError as exc:
        return Outcome(RETRY, {"reason_code": exc.code, "reason": str(exc)})
    if result.accepted:   # the back end records the pending application in the registry itself
        return Outcome(ACCEPTED, {"reference": result.reference})
    kind = RETRY if result.reason_code in TRANSIENT else REFUSED
    return Outcome(kind, {"reason_code": result.reason_code, "reason": result.reason})


def _cleanup_payload(env, draft) -> dict:
    ssn = identity.subject_of(draft.app)
    return {"ssn": ssn, "cards": [c.card_number for c in env.services.registry.record(ssn).cards if c.cleanable]}


def _deliver_cleanup(env, application_id: str, payload: dict, key: str) -> Outcome:
    try:
        reference = env.services.registry.cleanup(payload["ssn"], payload["cards"], idempotency_key=key)
    except ServiceError as exc:
        return Outcome(REFUSED, {"reason_code": exc.code, "reason": str(exc)})
    return Outcome(ACCEPTED, {"reference": reference, "cards": payload["cards"]})


OPERATIONS = {"card_application": Operation(_application_payload, _deliver_application),
              "card_cleanup": Operation(_cleanup_payload, _deliver_cleanup)}


def submit(journey, draft, page, action) -> StepResult:
    env, app = journey.env, draft.app
    if app.status == "submitted":
        return StepResult(Status.SUBMITTED, draft, draft.current)
    if app.status == "processing":
        return StepResult(Status.PROCESSING, draft, draft.current)
    blocked = _recheck(journey, draft, page)
    if blocked is not None:
        return blocked
    try:
        payload = OPERATIONS[action.submit].payload(env, draft)
    except ServiceError as exc:
        app.last_outcome = {"accepted": False, "reason_code": exc.code, "reason": str(exc)}
        draft.changed()
        draft.move_to(action.on_failure or page.id)
        return StepResult(Status.FAILED, draft, draft.current)
    route = {"from": page.id, "accepted": action.next.page, "rejected": action.on_failure or page.id}
    entry = env.store.outbox.enqueue(app.id, action.submit, payload, route)
    app.status = "processing"
    app.submit_attempts += 1
    app.last_outcome = None
    env.store.decisions.record(application_id=app.id, ruleset=f"submit:{action.submit}", ruleset_version="-",
                               flow_id=draft.flow.id, flow_version=draft.flow.version, rule_ids=[],
                               outcome={"queued": entry.key, "attempt": app.submit_attempts}, facts={})
    draft.changed()
    draft.move_to(action.next.page)
    return StepResult(Status.PROCESSING, draft, action.next.page)
