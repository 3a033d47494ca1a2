"""Who the citizen is: face verification hand-off, the registry snapshot, SMS codes to their phone."""
from __future__ import annotations

import dataclasses
from datetime import date

from .. import formats
from ..errors import Problem
from . import fieldcheck, messages
from .facts import flat_answers
from .results import StepResult

FACE_RETURN_PATH = "/verify/return"


def _plain(value):
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def subject_of(app) -> str | None:
    """ID number of the person the application is for (the registry's key)."""
    return app.context.get("subject") or (app.context.get("identity") or {}).get("ssn")


def refresh_registry(env, app, posted: dict | None = None) -> None:
    """Copy the registry's current view of the subject into the application (rules read it).
    The subject is named by the flow (`subject:`); a linked flow (cleanup) keeps its parent's."""
    flow = env.flows.get(app.flow_id)
    path = flow.subject if flow else "identity.ssn"
    if path.startswith("form."):
        name = path[5:]
        value = (posted or {}).get(name) or flat_answers(app.answers).get(name)
        ssn = str(value).strip().upper() if value else None
    elif app.parent_id and app.context.get("subject"):
        ssn = app.context["subject"]
    else:
        ssn = (app.context.get("identity") or {}).get("ssn")
    if not ssn:
        app.context.pop("registry", None)
        app.context.pop("subject", None)
        return
    record = env.services.registry.record(ssn)
    snapshot = _plain(record)
    snapshot["cards_in_province"] = record.cards_in_province
    person = env.services.registry.person_by_ssn(ssn)
    if person is not None:
        snapshot["person"] = {"name": person.name, "id_number": person.id_number, "ssn": person.ssn}
    app.context["registry"] = snapshot
    app.context["subject"] = ssn


def start(engine, app, flow, page, action) -> StepResult:
    handoff = engine.env.services.face.start(action.verify_identity, FACE_RETURN_PATH)
    app.context["pending_face"] = {"token": handoff.token, "page": page.id, "action": action.id,
                                   "role": action.verify_identity}
    engine.save(app)
    return StepResult("handoff", app, page.id, handoff={"token": handoff.token, "url": handoff.url_path})


def complete(engine, app, token: str) -> StepResult:
    env = engine.env
    pending = app.context.get("pending_face")
    flow = engine.flow_of(app)
    if not pending or pending.get("token") != token:
        return StepResult("refused", app, engine.current(app),
                          [Problem("face.unknown_token", "", messages.text("face.failed"))],
                          popup={"kind": "refuse", "message": messages.text("face.failed")})
    result = env.services.face.result(token)
    if result.status == "pending":
        return StepResult("handoff", app, pending["page"], [Problem("face.pending", "", messages.text("face.pending"))],
                          handoff={"token": token, "url": f"/sim/face/{token}"})
    app.context.pop("pending_face", None)
    if result.status != "passed":
        engine.save(app)
        return StepResult("refused", app, pending["page"], [Problem("face.failed", "", messages.text("face.failed"))],
                          popup={"kind": "refuse", "message": messages.text("face.failed")})
    env.services.face.consume(token)
    person = env.services.registry.person(result.person_id)
    app.context["identity"] = _plain(person)
    refresh_registry(env, app)
    page = flow.page(pending["page"])
    return engine.complete_step(app, flow, page, page.action(pending["action"]))


def send_code(engine, app, page_id: str, field_name: str, phone: str | None) -> StepResult:
    """【发送验证码】: issue a code for the phone typed in the field the code field verifies."""
    env = engine.env
    flow = engine.flow_of(app)
    page = flow.page(page_id)
    code_field = page.fields.get(field_name) if page else None
    opened = engine.open(app, page_id)
    if code_field is None or not code_field.sms_phone_field or opened.status != "ok":
        return opened if opened.status != "ok" else StepResult(
            "invalid", app, page_id, [Problem("sms.no_field", field_name, messages.text("sms.phone_invalid"))])
    phone_field = flow.field(code_field.sms_phone_field)
    value = fieldcheck.coerce(phone_field, phone, True)
    bad = None if value is not fieldcheck.MISSING else fieldcheck.problem(phone_field, "required")
    bad = bad or fieldcheck.check_value(phone_field, value, env.picklists, env.today())
    if bad:
        return StepResult("invalid", app, page_id, [bad])
    issued = env.store.codes.issue(app.id, value, phone_field.name)
    if not issued.ok:
        problem = issued.problem
        if isinstance(problem, str):
            problem = Problem(problem, field_name, messages.text(problem, retry_after=issued.retry_after_s))
        return StepResult("invalid", app, page_id, [problem])
    env.services.sms_gateway.send(value, messages.text("sms.text", code=issued.code))
    note = Problem("sms.sent", field_name, messages.text("sms.sent", phone=formats.mask_phone(value)), severity="info")
    return StepResult("ok", app, page_id, [note], values={"retry_after": issued.retry_after_s or 60})
