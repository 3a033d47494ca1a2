"""JSON API under /api/v1: the same flows and the same validation as the HTML pages.

Clients create an application and get a bearer token; every later call on that
application (and on flows it opens, such as the cleanup) needs the token.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, jsonify, request

from ..errors import Problem
from ..journey import FlowError, page_view, validate_page
from ..journey.fieldcheck import field_schema
from .common import engine, engine_for, no_store, owner_of_token, problem_response

blueprint = Blueprint("api", __name__)

STATUS_CODES = {"ok": 200, "handoff": 202, "refused": 409, "redirect": 409, "submitted": 200,
                "failed": 502, "locked": 409, "invalid": 422}


@blueprint.after_request
def _no_store(response):
    return no_store(response)


@blueprint.errorhandler(FlowError)
def _flow_error(exc: FlowError):
    return problem_response(404, "没有找到该页面或操作", [Problem(exc.code, "", str(exc))], code=exc.code)


def _flow_or_404(flow_id: str):
    flow = engine().env.flows.get(flow_id)
    if flow is None:
        raise FlowError("flow.unknown", flow_id)
    return flow


def _page_schema(page, picklists) -> dict:
    fields = page.input_fields()
    return {"type": "object", "properties": {f.name: field_schema(f, picklists) for f in fields},
            "required": [f.name for f in fields if f.required and not f.when],
            "additionalProperties": False}


@blueprint.get("/flows")
def list_flows():
    flows = engine().env.flows.values()
    return jsonify({"flows": [{"id": f.id, "title": f.title, "version": f.version,
                               "description": f.description} for f in flows]})


@blueprint.get("/flows/<flow_id>")
def read_flow(flow_id):
    flow = _flow_or_404(flow_id)
    picklists = engine().env.picklists
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
    page = flow.page(page_id)
    if page is None:
        raise FlowError("flow.unknown_page", page_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return problem_response(400, "请求内容必须是 JSON 对象", [Problem("request.not_json", "", "请求内容必须是 JSON 对象")])
    check = validate_page(engine().env, flow, page, data)
    if check.problems:
        return problem_response(422, "填写内容有误", check.problems, code="validation")
    return jsonify({"valid": True})


# -- applications ----------------------------------------------------------------------------

def _app_or_error(app_id: str):
    """The application if the bearer token owns it, else None (404: never confirm it exists)."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token:
        return None
    return engine().env.store.applications.get(app_id, owner=owner_of_token(token))


def _not_found():
    return problem_response(404, "没有找到该申请", [Problem("application.not_found", "", "没有找到该申请")],
                            code="application.not_found")


def _summary(app) -> dict:
    eng = engine_for(app)
    return {"id": app.id, "flow": app.flow_id, "status": app.status, "page": eng.current(app),
            "trail": eng.trail(app) if app.status == "draft" else [], "done": app.done,
            "reference": app.reference, "parent": app.parent_id, "flow_version": app.flow_version,
            "rule_versions": app.rule_versions}


def _step(result):
    status = STATUS_CODES.get(result.status, 200)
    body = result.as_dict()
    if result.status == "invalid":
        return problem_response(422, "填写内容有误", result.problems, code="validation",
                                application=body["application"], page=body["page"], popup=result.popup)
    response = jsonify(body)
    response.status_code = status
    return response


@blueprint.post("/applications")
def create_application():
    data = request.get_json(silent=True) or {}
    flow = _flow_or_404(str(data.get("flow", "")))
    if flow.launched_by:
        return problem_response(409, "该事项只能从相关申领流程进入",
                                [Problem("flow.launched_only", "flow", "该事项只能从相关申领流程进入")])
    token = secrets.token_urlsafe(32)
    app = engine().create(flow.id, owner_of_token(token))
    body = _summary(app)
    body["token"] = token
    return jsonify(body), 201


@blueprint.get("/applications/<app_id>")
def read_application(app_id):
    app = _app_or_error(app_id)
    return jsonify(_summary(app)) if app else _not_found()


@blueprint.get("/applications/<app_id>/pages/<page_id>")
def read_page(app_id, page_id):
    app = _app_or_error(app_id)
    if app is None:
        return _not_found()
    opened = engine_for(app).open(app, page_id)
    if opened.status != "ok":
        return _step(opened)
    return jsonify(page_view(engine_for(app), app, page_id))


@blueprint.post("/applications/<app_id>/pages/<page_id>/actions/<action_id>")
def act(app_id, page_id, action_id):
    app = _app_or_error(app_id)
    if app is None:
        return _not_found()
    data = request.get_json(silent=True) or {}
    return _step(engine_for(app).act(app, page_id, action_id, data, return_to=request.args.get("return_to")))


@blueprint.post("/applications/<app_id>/verification")
def complete_verification(app_id):
    app = _app_or_error(app_id)
    if app is None:
        return _not_found()
    token = str((request.get_json(silent=True) or {}).get("token", ""))
    return _step(engine_for(app).complete_verification(app, token))


@blueprint.post("/applications/<app_id>/redirect")
def follow_redirect(app_id):
    app = _app_or_error(app_id)
    if app is None:
        return _not_found()
    return _step(engine_for(app).follow_redirect(app))


@blueprint.post("/applications/<app_id>/pages/<page_id>/sms")
def send_sms(app_id, page_id):
    app = _app_or_error(app_id)
    if app is None:
        return _not_found()
    data = request.get_json(silent=True) or {}
    result = engine_for(app).send_code(app, page_id, str(data.get("field", "")), data.get("phone"))
    if result.status == "invalid":
        retry = next((p for p in result.problems if p.code in ("sms.too_soon", "sms.too_many")), None)
        return problem_response(429 if retry else 422, "验证码未发送", result.problems, code="sms")
    return jsonify({"sent": True, "message": result.problems[0].message, "retry_after": result.values["retry_after"]})


@blueprint.post("/applications/<app_id>/uploads")
def upload(app_id):
    app = _app_or_error(app_id)
    if app is None:
        return _not_found()
    file = request.files.get("file")
    slot = request.form.get("slot", "")
    if file is None:
        return problem_response(422, "请选择文件", [Problem("upload.empty", slot, "请选择要上传的文件")])
    saved = engine().env.store.uploads.save(app.id, slot, file.read(), file.filename or "")
    if isinstance(saved, Problem):
        return problem_response(422, "文件未上传", [saved], code="upload")
    return jsonify({"id": saved.id, "slot": saved.slot, "size": saved.size, "width": saved.width,
                    "height": saved.height}), 201


@blueprint.delete("/applications/<app_id>/uploads/<upload_id>")
def delete_upload(app_id, upload_id):
    app = _app_or_error(app_id)
    if app is None:
        return _not_found()
    return ("", 204) if engine_for(app).remove_upload(app, upload_id) else _not_found()


@blueprint.get("/branches")
def branches():
    area = request.args.get("area") or None
    keyword = request.args.get("q") or None
    found = engine().env.services.branches.search(area, keyword)
    return jsonify({"branches": [{"id": b.id, "name": b.name, "address": b.address, "city_code": b.city_code,
                                  "county_code": b.county_code, "phone": b.phone, "hours": b.hours}
                                 for b in found]})


@blueprint.get("/picklists/<name>")
def picklist(name):
    """Options of a pick-list; for a cascade, the children of `?parent=` (the roots without it)."""
    pl = engine().env.picklists.get(name)
    if pl is None:
        return problem_response(404, "没有该选项列表", [Problem("picklist.unknown", "", "没有该选项列表")])
    parent = request.args.get("parent")
    options = pl.children(parent) if parent else pl.options
    return jsonify({"name": name, "title": pl.title, "cascade": pl.is_cascade,
                    "options": [{**o, "leaf": not pl.children(o["value"])} for o in options]})


@blueprint.get("/applications/<app_id>/decisions")
def decisions(app_id):
    app = _app_or_error(app_id)
    if app is None:
        return _not_found()
    rows = engine().env.store.decisions.for_application(app.id)
    return jsonify({"decisions": [{"ruleset": d.ruleset, "ruleset_version": d.ruleset_version,
                                   "rule_ids": d.rule_ids, "outcome": d.outcome, "facts": d.facts,
                                   "flow_version": d.flow_version, "at": d.at.isoformat()} for d in rows]})
