"""Who the citizen is: face verification hand-off, what the outside systems know of the person
applied for (the subject look-ups of connectors/*.yaml), SMS codes to their phone."""
from __future__ import annotations

import dataclasses
from datetime import date

from .. import catalog, formats
from ..connectors.runtime import LookupFailed, Values
from ..errors import Problem
from . import fieldcheck
from .facts import LOOKED_UP
from .results import Popup, PopupKind, Status, StepResult

FACE_RETURN_PATH = "/verify/return"


def _plain(value):
    """JSON-ready copy: dataclasses as dicts of their fields, tuples as lists, dates in ISO form
    (what dataclasses.asdict and then this gave, without asdict's deep copies)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def subject_of(app) -> str | None:
    """ID number of the person the application is for (the key of the outside systems' records)."""
    return app.context.get("subject") or (app.context.get("identity") or {}).get("ssn")


VERIFIED_ROLE = "verified_as"     # the role the person was face-verified in (an action's verify_identity)
SUBJECT_KEYS = ("subject", "relation", "subject_person", LOOKED_UP)   # what refresh_subject may change


def reads_subject(flow, page, prefixes) -> bool:
    """Whether a step on `page` must ask the outside systems again: the page names the person
    applied for, or its rules and conditions read look-up facts (`prefixes`) or the relation.
    Other pages use the facts the application already holds (one outside call fewer per step)."""
    subject = flow.subject[5:] if flow.subject.startswith("form.") else None
    heads = {*prefixes, "relation"}
    return (subject is not None and subject in page.fields) or any(
        r == "subject" or r.split(".", 1)[0] in heads for r in page.reads)


def relation_facts(guardianship, applicant_ssn: str | None, subject_ssn: str) -> dict:
    """How the verified applicant stands to the person applied for, as the people directory knows
    it: the same person, or their legal guardian (relationship code and what proves it)."""
    facts: dict = {"applicant_is_subject": bool(applicant_ssn) and applicant_ssn == subject_ssn,
                   "applicant_is_guardian": guardianship is not None}
    if guardianship is not None:
        facts["applicant_relationship"] = guardianship.relationship
        facts["guardianship_basis"] = guardianship.basis
    return facts


def _snapshot(env, app, ssn: str) -> dict:
    """What the application holds about `ssn`: the relation, and for the person themself or their
    guardian only, each subject look-up's facts (under its prefix) and the person's name and
    numbers. To anyone else nothing but the relation (none) is answered, so no rule, page or trail
    can show someone else's record. Raises LookupFailed when a system cannot answer."""
    people, applicant = env.services.people, (app.context.get("identity") or {}).get("ssn")
    relation = relation_facts(people.guardianship(ssn, applicant), applicant, ssn)
    if not (relation["applicant_is_subject"] or relation["applicant_is_guardian"]):
        return {"relation": relation}
    snapshot: dict = {"relation": relation}
    values = Values(subject=ssn, applicant=applicant, identity=app.context.get("identity") or {})
    connectors = env.connectors
    for lookup in connectors.subject_lookups():
        snapshot[lookup.prefix] = _plain(connectors.look_up(lookup, values))
    snapshot[LOOKED_UP] = list(connectors.subject_prefixes)
    person = people.person_by_ssn(ssn)
    if person is not None:
        snapshot["subject_person"] = {"name": person.name, "id_number": person.id_number, "ssn": person.ssn}
    return snapshot


def _held(context: dict) -> dict:
    keys = [*SUBJECT_KEYS[1:], *(context.get(LOOKED_UP) or [])]
    return {k: context[k] for k in keys if k in context}


def verified_subject(draft) -> str | None:
    """The person applied for, once the journey has accepted them, or None: the verified identity
    itself; the person named on a page (`subject: form.<field>`) once that page is done with the
    same answer (its rules, e.g. the guardian check, passed); in a linked flow (cleanup), the
    parent's subject once the linked flow's first page is done. System photos and photos of
    receipts are given only for this person."""
    app, path = draft.app, draft.flow.subject
    subject = app.context.get("subject")
    if not subject:
        return None
    if path.startswith("form."):
        name = path[5:]
        page = next((p for p in draft.flow.pages.values() if name in p.fields), None)
        given = str((app.answers.get(page.id) or {}).get(name) or "").strip().upper() if page else ""
        return subject if page is not None and page.id in app.done and given == subject else None
    if app.parent_id:
        return subject if draft.flow.start in app.done else None
    return subject if subject == (app.context.get("identity") or {}).get("ssn") else None


def refresh_subject(env, draft, posted: dict | None = None) -> None:
    """Copy what the outside systems know of the subject into the application (rules read it).
    The subject is named by the flow (`subject:`); a linked flow keeps its parent's.
    Raises LookupFailed (nothing changed) when a system cannot answer."""
    app, path = draft.app, draft.flow.subject
    if path.startswith("form."):
        name = path[5:]
        value = _checked(env, draft, name, (posted or {}).get(name)) or draft.answers.get(name)
        ssn = str(value).strip().upper() if value else None
    elif app.parent_id and app.context.get("subject"):
        ssn = app.context["subject"]
    else:
        ssn = (app.context.get("identity") or {}).get("ssn")
    snapshot = _snapshot(env, app, ssn) if ssn else {}
    if _held(app.context) == snapshot and app.context.get("subject") == (ssn if snapshot else None):
        return
    draft.begin_change()
    for key in [*SUBJECT_KEYS, *(app.context.get(LOOKED_UP) or [])]:
        app.context.pop(key, None)
    if snapshot:
        app.context.update(snapshot)
        app.context["subject"] = ssn
    draft.changed()


def _checked(env, draft, name: str, value):
    """A posted subject number that fails its own field check names nobody (it never reaches a rule)."""
    field = draft.flow.field(name)
    if not value or field is None:
        return None
    typed = fieldcheck.coerce(field, value, True)
    if typed is fieldcheck.MISSING or fieldcheck.check_value(field, typed, env.picklists, env.today()):
        return None
    return typed


def keep_subject(draft) -> dict:
    """What refresh_subject may change, to put back with restore_subject."""
    context = draft.app.context
    kept = _held(context)
    if "subject" in context:
        kept["subject"] = context["subject"]
    return kept


def restore_subject(draft, kept: dict) -> None:
    """A step whose answers were not kept does not keep the person they named either."""
    context = draft.app.context
    if context.get("subject") == kept.get("subject"):
        return
    for key in [*SUBJECT_KEYS, *(context.get(LOOKED_UP) or [])]:
        context.pop(key, None)
    context.update(kept)
    draft.changed()


def verified_as(draft, role: str) -> bool:
    """Whether this application's person passed face verification in that role during this visit
    (here, or in the application it was opened from): one verification a visit, not one a button."""
    context = draft.app.context
    return "identity" in context and context.get(VERIFIED_ROLE) == role


def start(journey, draft, page, action) -> StepResult:
    handoff = journey.env.services.face.start(action.verify_identity, FACE_RETURN_PATH)
    draft.app.context["pending_face"] = {"token": handoff.token, "url": handoff.url_path, "page": page.id,
                                         "action": action.id, "role": action.verify_identity}
    draft.changed()
    return StepResult(Status.HANDOFF, draft, page.id, handoff={"token": handoff.token, "url": handoff.url_path})


def unavailable(draft, page_id: str, values: dict | None = None) -> StepResult:
    """An outside system could not answer a look-up: the step stops, nothing typed is lost."""
    return StepResult(Status.INVALID, draft, page_id, [catalog.problem("lookup.unavailable")], values=values or {})


def _face_failed(draft, page_id: str, code: str) -> StepResult:
    message = catalog.text("face.failed")
    return StepResult(Status.REFUSED, draft, page_id, [Problem(code, "", message)],
                      popup=Popup(kind=PopupKind.REFUSE, message=message))


def complete(journey, draft, token: str) -> StepResult:
    env, app = journey.env, draft.app
    pending = app.context.get("pending_face")
    if not pending or pending.get("token") != token:
        return _face_failed(draft, draft.current, "face.unknown_token")
    result = env.services.face.result(token)
    if result.status == "pending":
        return StepResult(Status.HANDOFF, draft, pending["page"], [catalog.problem("face.pending")],
                          handoff={"token": token, "url": pending.get("url") or ""})
    draft.begin_change()
    app.context.pop("pending_face", None)
    draft.changed()
    if result.status != "passed":
        return _face_failed(draft, pending["page"], "face.failed")
    env.services.face.consume(token)
    person = env.services.people.person(result.person_id)
    if person is None:                      # passed, but for nobody the people directory knows
        return _face_failed(draft, pending["page"], "face.failed")
    app.context["identity"] = _plain(person)
    app.context[VERIFIED_ROLE] = pending.get("role")
    app.person_key = env.store.person_key(person.id_number)    # 继续办理 finds the draft by the person
    draft.changed()
    page = draft.flow.pages[pending["page"]]
    try:
        refresh_subject(env, draft)
    except LookupFailed:
        return unavailable(draft, page.id)
    return journey.complete_step(draft, page, page.action(pending["action"]))


def send_code(journey, draft, page_id: str, field_name: str, phone: str | None,
              client: str | None = None, per_client: int | None = None) -> StepResult:
    """【发送验证码】: issue a code for the phone typed in the field the code field verifies.
    Limited per application and per client address (store/codes.py), never per phone alone."""
    env = journey.env
    page = draft.flow.pages.get(page_id)
    code_field = page.fields.get(field_name) if page else None
    opened = journey.open(draft, page_id)
    if opened.status != Status.OK:
        return opened
    if code_field is None or not code_field.sms_phone_field:
        return StepResult(Status.INVALID, draft, page_id, [catalog.problem("sms.no_field", field_name)])
    phone_field = draft.flow.field(code_field.sms_phone_field)
    value = fieldcheck.coerce(phone_field, phone, True)
    bad = None if value is not fieldcheck.MISSING else fieldcheck.problem(phone_field, "required")
    bad = bad or fieldcheck.check_value(phone_field, value, env.picklists, env.today())
    if bad:
        return StepResult(Status.INVALID, draft, page_id, [bad])
    limits = {"client": client, **({"per_client": per_client} if per_client else {})}
    issued = env.store.codes.issue(draft.app.id, value, phone_field.name, **limits)
    if not issued.ok:
        seconds = issued.retry_after_s
        problem = catalog.problem(issued.refusal, field_name, seconds=seconds, retry_after=seconds,
                                  minutes=max(1, -(-seconds // 60)))
        return StepResult(Status.INVALID, draft, page_id, [problem], values={"retry_after": seconds})
    env.services.sms_gateway.send(value, catalog.text("sms.text", code=issued.code))
    note = Problem("sms.sent", field_name, catalog.text("sms.sent", phone=formats.mask_phone(value)), severity="info")
    return StepResult(Status.OK, draft, page_id, [note], values={"retry_after": issued.retry_after_s or 60})
