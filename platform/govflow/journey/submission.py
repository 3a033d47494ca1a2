"""【确认提交】 and 【清理】: the application is handed to the outbox, in the step's transaction.

Submitting changes the application's status to `processing` and writes one outbox entry
(store/outbox.py) keyed by the application and the operation, so ten concurrent clicks write
one entry; a deliverer (journey/delivery.py: at once after the commit, and the outbox worker
for retries) calls the outside system and records its answer on the application. 【重新提交】
after a refusal queues the same entry again, under the same idempotency key.

What is sent is the operation's request as its connector declares it (connectors/*.yaml), each
field read at submit time from the draft; the delivery calls the operation by name.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..connectors.checks import flow_source
from ..connectors.runtime import ACCEPTED, REFUSED, RETRY, UnknownOperation, Values
from . import identity
from .results import Status, StepResult
from .validation import validate_page

__all__ = ["ACCEPTED", "REFUSED", "RETRY", "Outcome", "deliver", "payload", "submit"]


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt got: accepted (detail has the reference), rejected (final:
    the citizen may resubmit) or retry (the outside system could not answer now)."""

    kind: str
    detail: dict


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


def values_of(draft) -> Values:
    """What the request's sources read: the person applied for, the verified person, the answers,
    the look-up facts the application holds, the flow."""
    app, flow = draft.app, draft.flow
    ident = app.context.get("identity") or {}
    facts = {prefix: app.context.get(prefix) or {} for prefix in app.context.get(identity.LOOKED_UP) or []}
    return Values(subject=identity.subject_of(app), applicant=ident.get("ssn"), identity=ident,
                  answers=dict(draft.answers), facts=facts, flow_id=flow.id, flow_version=flow.version,
                  application_id=app.id)


def payload(env, draft, action) -> dict:
    """The operation's request, read at submit time from the draft (the outbox keeps it)."""
    given = {name: flow_source(spec) for name, spec in action.submit_request.items() if isinstance(spec, dict)}
    return env.connectors.request(action.submit, values_of(draft), given)


def deliver(env, entry) -> Outcome:
    """One call of the entry's operation, from the entry alone (the outbox worker has no draft)."""
    try:
        answer = env.connectors.call(entry.operation, entry.application_id, entry.payload, entry.key)
    except UnknownOperation:
        return Outcome(REFUSED, {"reason_code": "outbox.unknown_operation", "reason": entry.operation})
    if answer.kind == ACCEPTED:
        return Outcome(ACCEPTED, {**answer.response, "reference": answer.response.get("reference")})
    return Outcome(answer.kind, {"reason_code": answer.code, "reason": answer.reason})


def submit(journey, draft, page, action) -> StepResult:
    env, app = journey.env, draft.app
    if app.status == "submitted":
        return StepResult(Status.SUBMITTED, draft, draft.current)
    if app.status == "processing":
        return StepResult(Status.PROCESSING, draft, draft.current)
    blocked = _recheck(journey, draft, page)
    if blocked is not None:
        return blocked
    request = payload(env, draft, action)
    route = {"from": page.id, "accepted": action.next.page, "rejected": action.on_failure or page.id}
    entry = env.store.outbox.enqueue(app.id, action.submit, request, route)
    app.status = "processing"
    app.submit_attempts += 1
    app.last_outcome = None
    env.store.decisions.record(application_id=app.id, ruleset=f"submit:{action.submit}", ruleset_version="-",
                               flow_id=draft.flow.id, flow_version=draft.flow.version, rule_ids=[],
                               outcome={"queued": entry.key, "attempt": app.submit_attempts}, facts={})
    draft.changed()
    draft.move_to(action.next.page)
    return StepResult(Status.PROCESSING, draft, action.next.page)
