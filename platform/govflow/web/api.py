"""JSON API under /api/v1: the same flows and the same validation as the HTML pages.

Clients create an application and get a bearer token; every later call on that
application (and on flows it opens, such as the cleanup) needs the token.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, jsonify, request

from .. import catalog, hant
from ..errors import NotFound
from ..journey import Status, StepResult, outcome_view, page_view, validate_page
from ..journey.fieldcheck import field_schema
from ..journey.uploads import read_limited
from ..store import StaleApplication
from ..store.records import Refusal
from .bodies import json_object, refuse_unknown
from .common import creation_wait, journey, load_draft, no_store, owner_of_token, problem_response, sms_limits, step

blueprint = Blueprint("api", __name__)

# how a step's Status is answered over HTTP (the HTML pages interpret it in web/html.py)
STATUS_CODES = {Status.OK: 200, Status.HANDOFF: 202, Status.REFUSED: 409, Status.REDIRECT: 409,
                Status.PROCESSING: 202, Status.SUBMITTED: 200, Status.FAILED: 502, Status.LOCKED: 409,
                Status.INVALID: 422}


@blueprint.after_request
def _no_store(response):
    return no_store(response)


def _problem(status: int, code: str, path: str = "", **extra):
    """A problem+json answer whose title and single error are the catalogue's text for `code`."""
    problem = catalog.problem(code, path)
    return problem_response(status, problem.message, [problem], code=code, **extra)


def _too_many(code: str, seconds: int):
    """429 with Retry-After and the catalogue's text with the wait in minutes."""
    problem = catalog.problem(code, "", minutes=max(1, -(-seconds // 60)), seconds=seconds)
    response = problem_response(429, problem.message, [problem], code=code, retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def _flow_or_404(flow_id: str):
    return journey().flow(flow_id)


def _page_schema(page, picklists) -> dict:
    fields = page.input_fields()
    return {"type": "object", "properties": {f.name: field_schema(f, picklists) for f in fields},
            "required": [f.name for f in fields if f.required and not f.when],
            "additionalProperties": False}


@blueprint.get("/flows")
def list_flows():
    flows = journey().env.flows.values()
    return jsonify({"flows": [{"id": f.id, "title": f.title, "version": f.version,
                               "description": f.description} for f in flows]})


@blueprint.get("/flows/<flow_id>")
def read_flow(flow_id):
    flow = _flow_or_404(flow_id)
    picklists = journey().env.picklists
    pages = []
    for page in flow.pages.values():
        pages.append({"id": page.id, "title": page.title, "manual": page.manual, "final": page.final,
                      "schema": _page_schema(page, picklists),
                      "conditions": {f.name: f.when for f in page.input_fields() if f.when},
                      "readonly": {f.name: {"title": f.title, "from": f.source} for f in page.fields.values()
                                   if f.readonly},
                      "actions": [{"id": a.id, "label": a.label, "saves": a.saves} for a in page.actions]})
    return jsonify({"id": flow.id, "title": flow.title, "version": flow.version, "start": flow.start,
                    "basis": flow.basis, "pages": pages})


@blueprint.post("/flows/<flow_id>/pages/<page_id>/validate")
def validate(flow_id, page_id):
    flow = _flow_or_404(flow_id)
    page = flow.pages.get(page_id)
    if page is None:
        raise NotFound("flow.unknown_page", page_id)
    data = json_object(page.input_names)
    check = validate_page(journey().env, flow, page, data)
    if check.problems:
        return problem_response(422, catalog.text("validation"), check.problems, code="validation")
    return jsonify({"valid": True})


# -- applications ----------------------------------------------------------------------------

def _owner() -> str:
    """The owner named by the bearer token (404 without one: never confirm an application exists)."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token:
        raise NotFound("application.not_found")
    return owner_of_token(token)


def _check_revision(draft) -> None:
    """`If-Match: "<revision>"` (the ETag of GET /applications/<id>): refuse a stale save."""
    wanted = request.headers.get("If-Match", "").strip().strip('"')
    if wanted and wanted != "*" and wanted != str(draft.app.revision):
        raise StaleApplication(draft.app.id, int(wanted) if wanted.isdigit() else -1)


def _summary(draft) -> dict:
    app = draft.app
    return {"id": app.id, "flow": app.flow_id, "status": app.status, "page": draft.current,
            "trail": draft.trail if app.status == "draft" else [], "done": app.done,
            "reference": app.reference, "parent": app.parent_id, "flow_version": app.flow_version,
            "rule_versions": app.rule_versions, "revision": app.revision, "outcome": outcome_view(app)}


def _step(result: StepResult):
    body = result.as_dict()
    body["revision"] = result.application.revision
    if result.status == Status.INVALID:
        return problem_response(422, catalog.text("validation"), result.problems, code="validation",
                                application=body["application"], page=body["page"],
                                popup=result.popup.as_dict() if result.popup else None,
                                revision=body["revision"])
    status = STATUS_CODES[result.status]
    if status >= 400:
        body = _step_problem(body, status)
    response = jsonify(body)
    response.status_code = status
    if status >= 400:
        response.mimetype = "application/problem+json"
    response.headers["ETag"] = f'"{result.application.revision}"'
    return response


def _step_problem(body: dict, status: int) -> dict:
    """A refused, locked or failed step as problem+json: `status` is the HTTP status (RFC 9457),
    the step's own status moves to `step`; the title is the first error's or the popup's message."""
    errors = body.get("errors") or []
    popup = body.get("popup") or {}
    code = errors[0]["code"] if errors else popup.get("rule_id") or f"step.{body['status']}"
    title = errors[0]["message"] if errors else popup.get("message") or catalog.text(code)
    return {**body, "type": f"about:blank#{code}", "title": title, "status": status, "step": body["status"]}


@blueprint.post("/applications")
def create_application():
    data = json_object(("flow",))
    flow = _flow_or_404(str(data.get("flow", "")))
    if flow.launched_by:
        return _problem(409, "flow.launched_only", "flow")
    token = secrets.token_urlsafe(32)
    with journey().env.store.transaction():
        wait = creation_wait()
        if wait:
            return _too_many("application.too_many", wait)
        draft = journey().create(flow.id, owner_of_token(token))
    body = _summary(draft)
    body["token"] = token
    return jsonify(body), 201


@blueprint.get("/applications/<app_id>")
def read_application(app_id):
    draft = load_draft(app_id, _owner())
    response = jsonify(_summary(draft))
    response.headers["ETag"] = f'"{draft.app.revision}"'
    return response


@blueprint.get("/applications/<app_id>/pages/<page_id>")
def read_page(app_id, page_id):
    draft = load_draft(app_id, _owner())
    opened = journey().open(draft, page_id)
    if opened.status != Status.OK:
        return _step(opened)
    return jsonify(hant.localised(page_view(draft, page_id)))   # Accept-Language: zh-Hant (web/preferences.py)


@blueprint.post("/applications/<app_id>/pages/<page_id>/actions/<action_id>")
def act(app_id, page_id, action_id):
    data = json_object(empty_ok=True)
    with step(app_id, _owner()) as draft:
        _check_revision(draft)
        page = draft.flow.pages.get(page_id)
        if page is not None:
            refuse_unknown(data, page.input_names)
        result = journey().act(draft, page_id, action_id, data, return_to=request.args.get("return_to"))
    return _step(journey().settle(result))


@blueprint.post("/applications/<app_id>/verification")
def complete_verification(app_id):
    token = str(json_object(("token",), empty_ok=True).get("token", ""))
    with step(app_id, _owner()) as draft:
        result = journey().complete_verification(draft, token)
    return _step(result)


@blueprint.post("/applications/<app_id>/redirect")
def follow_redirect(app_id):
    with step(app_id, _owner()) as draft:
        result = journey().follow_redirect(draft)
    return _step(result)


@blueprint.post("/applications/<app_id>/pages/<page_id>/sms")
def send_sms(app_id, page_id):
    data = json_object(("field", "phone"))
    with step(app_id, _owner()) as draft:
        result = journey().send_code(draft, page_id, str(data.get("field", "")), data.get("phone"), **sms_limits())
    if result.status == Status.LOCKED:
        return _step(result)
    if result.status == Status.INVALID:
        retry = next((p for p in result.problems if p.code in ("sms.too_soon", "sms.too_many")), None)
        response = problem_response(429 if retry else 422, catalog.text("sms.not_sent"), result.problems, code="sms")
        if retry:
            response.headers["Retry-After"] = str(result.values.get("retry_after", 60))
        return response
    return jsonify({"sent": True, "message": result.problems[0].message, "retry_after": result.values["retry_after"]})


# how an upload's refusal is answered (the rest: 422); the reasons are in journey/uploads.py
UPLOAD_STATUS = {"upload.too_large": 413, "upload.not_verified": 409, "upload.quota_files": 409,
                 "upload.quota_bytes": 409, "upload.scanner_unavailable": 503}


@blueprint.post("/applications/<app_id>/uploads")
def upload(app_id):
    """multipart `slot` + `file`: `slot` is an upload field of a page the citizen may open now."""
    file = request.files.get("file")
    slot = request.form.get("slot", "")
    with step(app_id, _owner()) as draft:
        if file is None:
            return _problem(422, "upload.none", "file")
        data = read_limited(file.stream, journey().env.store.uploads.limits.max_bytes)
        saved = journey().accept_upload(draft, slot, data)
    if isinstance(saved, Refusal):
        refused = catalog.problem(saved.code, "slot" if saved.code == "upload.unknown_slot" else slot,
                                  **saved.params)
        status = UPLOAD_STATUS.get(saved.code, 422)
        response = problem_response(status, catalog.text("upload.refused"), [refused], code=saved.code)
        if status == 503:
            response.headers["Retry-After"] = "60"
        return response
    return jsonify({"id": saved.id, "slot": saved.slot, "size": saved.size, "width": saved.width,
                    "height": saved.height}), 201


@blueprint.delete("/applications/<app_id>/uploads/<upload_id>")
def delete_upload(app_id, upload_id):
    with step(app_id, _owner()) as draft:
        removed = journey().remove_upload(draft, upload_id)
    return ("", 204) if removed else _problem(404, "application.not_found")


@blueprint.get("/branches")
def branches():
    area = request.args.get("area") or None
    keyword = request.args.get("q") or None
    found = journey().env.services.branches.search(area, keyword)
    return jsonify({"branches": [{"id": b.id, "name": b.name, "address": b.address, "city_code": b.city_code,
                                  "county_code": b.county_code, "phone": b.phone, "hours": b.hours}
                                 for b in found]})


@blueprint.get("/picklists/<name>")
def picklist(name):
    """Options of a pick-list; for a cascade, the children of `?parent=` (the roots without it)."""
    pl = journey().env.picklists.get(name)
    if pl is None:
        return _problem(404, "picklist.unknown")
    parent = request.args.get("parent")
    options = pl.children(parent) if parent else pl.options
    return jsonify({"name": name, "title": pl.title, "cascade": pl.is_cascade,
                    "options": [{**o, "leaf": not pl.children(o["value"])} for o in options]})


@blueprint.get("/applications/<app_id>/decisions")
def decisions(app_id):
    draft = load_draft(app_id, _owner())
    rows = journey().env.store.decisions.for_application(draft.app.id)
    return jsonify({"decisions": [{"ruleset": d.ruleset, "ruleset_version": d.ruleset_version,
                                   "rule_ids": d.rule_ids, "outcome": d.outcome, "facts": d.facts,
                                   "flow_version": d.flow_version, "at": d.at.isoformat()} for d in rows]})
