"""HTML pages for citizens: every page rendered from the flow definitions by one generic template.

Works as plain form posts (no JavaScript needed); each POST redirects on success (PRG) and
re-renders with the citizen's input and the errors when something is wrong.
"""
from __future__ import annotations

import json
import secrets

from flask import (Blueprint, abort, make_response, redirect, render_template, request, send_file,
                   session, url_for)
from io import BytesIO

from ..errors import Problem
from ..journey import FlowError, page_view, validate_page
from ..journey import messages
from ..journey.identity import subject_of
from . import csrf
from .common import engine, engine_for, no_store

blueprint = Blueprint("html", __name__)


@blueprint.before_request
def _protect():
    csrf.protect()


@blueprint.after_request
def _headers(response):
    if request.endpoint and request.endpoint != "html.index":
        no_store(response)
    return response


@blueprint.app_context_processor
def _template_globals():
    env = engine().env
    return {"csrf_token": csrf.token, "live_field": None, "msg": messages.text,
            "upload_max_bytes": env.store.uploads.limits.max_bytes,
            "branch_regions": env.picklists.get("guangdong_regions")}


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@blueprint.errorhandler(FlowError)
def _flow_error(exc):
    return render_template("error.html", message="没有找到该页面"), 404


def _owner() -> str:
    if "owner" not in session:
        session["owner"] = secrets.token_urlsafe(16)
    return "web:" + session["owner"]


def _app(app_id: str):
    app = engine().env.store.applications.get(app_id, owner=_owner())
    if app is None:
        abort(404)
    return app


def _to(result):
    """Go to the page the engine chose: a redirect, or for htmx an in-place swap of <main>."""
    url = url_for("html.page", app_id=result.application.id, page_id=result.page)
    if _htmx():
        response = make_response("", 200)
        response.headers["HX-Location"] = json.dumps({"path": url, "target": "#main", "select": "#main",
                                                      "swap": "outerHTML"})
        return response
    return redirect(url)


def _render(app, page_id, posted=None, problems=None, popup=None, status=200):
    view = page_view(engine_for(app), app, page_id, posted, problems, popup)
    return render_template("page.html", view=view), status


@blueprint.get("/")
def index():
    flows = [f for f in engine().env.flows.values() if not f.launched_by]
    return render_template("index.html", flows=flows)


@blueprint.post("/start/<flow_id>")
def start(flow_id):
    flow = engine().flow(flow_id)
    if flow.launched_by:
        abort(404)
    app = engine().create(flow.id, _owner())
    return redirect(url_for("html.page", app_id=app.id, page_id=flow.start))


@blueprint.get("/a/<app_id>/")
def resume(app_id):
    app = _app(app_id)
    return redirect(url_for("html.page", app_id=app.id, page_id=engine_for(app).current(app)))


@blueprint.get("/a/<app_id>/<page_id>")
def page(app_id, page_id):
    app = _app(app_id)
    opened = engine_for(app).open(app, page_id)
    if opened.status != "ok":
        return _to(opened)
    flow = engine_for(app).flow_of(app)
    prefill = {f.name: request.args[f.name] for f in flow.page(page_id).input_fields()
               if f.widget == "branch" and f.name in request.args}
    posted = None
    if prefill:
        stored = dict(app.answers.get(page_id, {}))
        posted = {**stored, **prefill}
    return _render(app, page_id, posted)


def _form_data(app, page_def) -> tuple[dict, list[Problem]]:
    """Form fields plus files: a new file is stored first and the field then holds its id."""
    data = {k: v for k, v in request.form.items() if not k.startswith("_")}
    problems = []
    for f in page_def.input_fields():
        if f.type != "upload":
            continue
        file = next((f_ for f_ in request.files.getlist(f.name) if f_.filename), None)   # 拍照 or 相册
        if file is not None:
            saved = engine().env.store.uploads.save(app.id, f.name, file.read(), file.filename)
            if isinstance(saved, Problem):
                problems.append(Problem(saved.code, f.name, saved.message))
            else:
                data[f.name] = saved.id
    return data, problems


@blueprint.post("/a/<app_id>/<page_id>")
def post(app_id, page_id):
    app = _app(app_id)
    flow = engine_for(app).flow_of(app)
    page_def = flow.page(page_id)
    if page_def is None:
        abort(404)
    data, upload_problems = _form_data(app, page_def)
    if "_delete" in request.form:
        name = request.form["_delete"]
        if data.get(name):
            engine_for(app).remove_upload(app, data[name])
        data.pop(name, None)
        return _render(app, page_id, data)
    if "_preview" in request.form:
        return _render(app, page_id, data)
    action_id = request.form.get("_action", "")
    action = page_def.action(action_id)
    if action is None:
        abort(400)
    if action.confirm and request.form.get("_confirmed") != "1":
        carry = {k: v for k, v in data.items() if isinstance(v, str)}   # the answers go along with 确认
        popup = {"kind": "confirm", "action": action.id, "carry": carry, **action.confirm}
        return _render(app, page_id, data, popup=popup)
    if upload_problems:
        return _render(app, page_id, data, upload_problems, status=422)
    result = engine_for(app).act(app, page_id, action_id, data, from_form=True,
                          return_to=request.form.get("_return_to") or None)
    if result.status == "handoff":
        if _htmx():
            response = make_response("", 200)
            response.headers["HX-Redirect"] = result.handoff["url"]
            return response
        return redirect(result.handoff["url"])
    if result.status == "invalid" and result.page == page_id and result.application.id == app.id:
        return _render(result.application, page_id, data, result.problems, result.popup, status=422)
    if result.status in ("refused", "redirect") and result.popup:
        shown = data if result.page == page_id else None
        return _render(result.application, result.page, shown, result.problems, result.popup, status=409)
    return _to(result)


@blueprint.post("/a/<app_id>/_redirect")
def follow(app_id):
    app = _app(app_id)
    return _to(engine_for(app).follow_redirect(app))


@blueprint.post("/a/<app_id>/<page_id>/sms/<field>")
def send_code(app_id, page_id, field):
    app = _app(app_id)
    data = {k: v for k, v in request.form.items() if not k.startswith("_")}
    code_field = engine_for(app).flow_of(app).field(field)
    phone = data.get(code_field.sms_phone_field) if code_field and code_field.sms_phone_field else None
    result = engine_for(app).send_code(app, page_id, field, phone)
    status = 200 if result.status == "ok" else 422
    if _htmx():
        problems = [p for p in result.problems if p.severity == "error"]
        return _fragment(app, page_id, data, problems, live_field=problems[0].path if problems else None), 200
    return _render(app, page_id, data, [p for p in result.problems if p.severity == "error"], status=status)


def _fragment(app, page_id, data, problems=(), live_field=None):
    view = page_view(engine_for(app), app, page_id, data, list(problems))
    return render_template("form_body.html", view=view, live_field=live_field)


@blueprint.post("/a/<app_id>/<page_id>/_refresh")
def refresh(app_id, page_id):
    """htmx: one field changed (or a file was chosen): re-show the form with that field checked.
    Nothing is saved and no SMS code is used up; the page is saved by its own button."""
    app = _app(app_id)
    page_def = engine_for(app).flow_of(app).page(page_id)
    opened = engine_for(app).open(app, page_id)
    if page_def is None or opened.status != "ok":
        abort(404)
    data, upload_problems = _form_data(app, page_def)
    changed = request.args.get("field", "")
    check = validate_page(engine_for(app).env, engine_for(app).flow_of(app), page_def, data, app, from_form=True, verify_sms=False)
    problems = [p for p in upload_problems + check.problems if p.path == changed]
    return _fragment(app, page_id, data, problems[:1], live_field=changed)


@blueprint.get("/a/<app_id>/<page_id>/_branches/<field>")
def branch_results(app_id, page_id, field):
    _app(app_id)
    area, keyword = request.args.get("area") or None, (request.args.get("q") or "").strip() or None
    found = engine().env.services.branches.search(area, keyword) if (area or keyword) else []
    return render_template("branch_results.html", found=found, searched=bool(area or keyword),
                           app_id=app_id, page_id=page_id, field=field)


@blueprint.get("/a/<app_id>/<page_id>/branches/<field>")
def branches(app_id, page_id, field):
    app = _app(app_id)
    area, keyword = request.args.get("area") or None, request.args.get("q") or None
    found = engine().env.services.branches.search(area, keyword) if (area or keyword) else []
    cities = engine().env.picklists.get("guangdong_regions")
    return render_template("branches.html", app=app, page_id=page_id, field=field, found=found,
                           area=area or "", keyword=keyword or "", regions=cities)


@blueprint.get("/a/<app_id>/_uploads/<upload_id>")
def uploaded(app_id, upload_id):
    app = _app(app_id)
    store = engine().env.store.uploads
    upload = store.get(app.id, upload_id)
    if upload is None:
        abort(404)
    return send_file(BytesIO(store.read_bytes(upload)), mimetype=upload.content_type)


@blueprint.get("/a/<app_id>/_photo")
def card_photo(app_id):
    """The card photo the citizen chose: by receipt number, or the registry's own."""
    app = _app(app_id)
    services = engine().env.services
    receipt = request.args.get("receipt")
    if receipt:
        found = services.photos.lookup(receipt)
        data = found.jpeg if found else None
    else:
        data = services.registry.system_photo(subject_of(app) or "")
    if not data:
        abort(404)
    return send_file(BytesIO(data), mimetype="image/jpeg")


@blueprint.get("/verify/return")
def verified():
    token = request.args.get("token", "")
    for app in engine().env.store.applications.list_for_owner(_owner()):
        if (app.context.get("pending_face") or {}).get("token") == token:
            result = engine_for(app).complete_verification(app, token)
            if result.popup:
                return _render(result.application, result.page, None, result.problems, result.popup, status=409)
            return _to(result)
    abort(404)
