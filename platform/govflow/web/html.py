"""HTML pages for citizens: every page rendered from the flow definitions by one generic template.

Works as plain form posts (no JavaScript needed); each POST redirects on success (PRG) and
re-renders with the citizen's input and the errors when something is wrong.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from io import BytesIO

from flask import Blueprint, abort, make_response, redirect, render_template, request, send_file, session, url_for

from .. import catalog
from ..errors import NotFound, Problem
from ..journey import Draft, Popup, PopupKind, Status, StepResult, fieldcheck, page_view, validate_page
from ..journey.identity import verified_subject
from ..journey.uploads import read_limited
from ..store import StaleApplication
from ..store.records import Refusal
from . import cascade, csrf, sessions, widgets
from .common import creation_wait, journey, load_draft, no_store, sms_limits, step

blueprint = Blueprint("html", __name__)


@blueprint.before_request
def _protect():
    csrf.protect(first_post=("html.start",))


@blueprint.after_request
def _headers(response):
    if request.endpoint and request.endpoint != "html.index":
        no_store(response)
    return response


@blueprint.app_context_processor
def _template_globals():
    return {"csrf_token": csrf.token, "live_field": None, "msg": catalog.text, "photo_ref": widgets.photo_ref,
            "session_token": lambda: csrf.token() if session else "",
            "session_expires_in": lambda: _expires_in() if ("owner" in session or sessions.PERSON_KEY in session)
            else None}


def _expires_in() -> int:
    """Seconds before this citizen's session ends unless used (the page warns before)."""
    left = getattr(session, "expires_in", None)
    if left is None or getattr(session, "renewed", False):
        left = int(journey().env.store.sessions.idle.total_seconds())
    return left


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def owner() -> str:
    """This browser's owner id: made when it starts (or takes over) an application."""
    if "owner" not in session:
        session["owner"] = secrets.token_urlsafe(16)
    return "web:" + session["owner"]


def _known_owner() -> str:
    """The owner id of a browser that has one; an unknown application otherwise (404): opening a
    page with no or an expired session makes no session row."""
    if "owner" not in session:
        raise NotFound("session.expired" if getattr(session, "lost", False) else "application.not_found")
    return "web:" + session["owner"]


def _draft(app_id: str) -> Draft:
    return load_draft(app_id, _known_owner())


def _to(result: StepResult):
    """Go to the page the journey chose: a redirect, or for htmx an in-place swap of <main>."""
    url = url_for("html.page", app_id=result.application.id, page_id=result.page)
    if _htmx():
        response = make_response("", 200)
        response.headers["HX-Location"] = json.dumps({"path": url, "target": "#main", "select": "#main",
                                                      "swap": "outerHTML"})
        return response
    return redirect(url)


def _layout(view: dict) -> dict:
    """The page's field groups (fieldsets, in the flow's order) and the fields in none of them."""
    by_name = {f["name"]: f for f in view["fields"]}
    groups: list[dict] = []
    grouped: set[str] = set()
    for g in view["groups"]:
        fields = [by_name[n] for n in g["fields"] if n in by_name]
        grouped.update(f["name"] for f in fields)
        groups.append({"title": g["title"], "fields": fields})
    return {"groups": groups, "rest": [f for f in view["fields"] if f["name"] not in grouped]}


def _view(draft: Draft, page_id, posted=None, problems=None, popup=None, check=None) -> dict:
    view = page_view(draft, page_id, posted, problems, popup, check)
    view["layout"] = _layout(view)
    view["urls"] = widgets.PageUrls(draft.app.id, page_id)
    env = draft.env
    view["ui"] = {"upload_max_bytes": env.store.uploads.limits.max_bytes,
                  "picklists": env.picklists}
    return view


def _render(draft: Draft, page_id, posted=None, problems=None, popup=None, status=200, check=None):
    return render_template("page.html", view=_view(draft, page_id, posted, problems, popup, check)), status


def index_page(notice: str | None = None, error: str | None = None, status: int = 200):
    flows = [f for f in journey().env.flows.values() if not f.launched_by]
    return render_template("index.html", flows=flows, notice=notice, error=error), status


@blueprint.get("/")
def index():
    notice = "session.ended" if request.args.get("ended") == "1" else None
    return index_page(notice)


@blueprint.post("/start/<flow_id>")
def start(flow_id):
    flow = journey().flow(flow_id)
    if flow.launched_by:
        abort(404)
    with journey().env.store.transaction():
        wait = creation_wait()
        if wait:
            return index_page(error=catalog.text("application.too_many", minutes=max(1, -(-wait // 60))), status=429)
        draft = journey().create(flow.id, owner())
    return redirect(url_for("html.page", app_id=draft.app.id, page_id=flow.start))


@blueprint.get("/a/<app_id>/")
def resume(app_id):
    draft = _draft(app_id)
    return redirect(url_for("html.page", app_id=app_id, page_id=draft.current))


@blueprint.get("/a/<app_id>/<page_id>")
def page(app_id, page_id):
    draft = _draft(app_id)
    opened = journey().open(draft, page_id)
    if opened.status != Status.OK:
        return _to(opened)
    prefill = {f.name: request.args[f.name] for f in draft.flow.pages[page_id].input_fields()
               if f.widget == "branch" and f.name in request.args}
    posted = None
    if prefill:
        posted = {**draft.app.answers.get(page_id, {}), **prefill}
    return _render(draft, page_id, posted)


def _form_data(draft: Draft, page_def) -> tuple[dict, list[Problem]]:
    """Form fields plus files: a new file is taken first (journey/uploads.py: it replaces the
    slot's earlier one) and the field then holds its id; a refused file is a field error and
    the rest of the form is kept."""
    data = {k: v for k, v in request.form.items() if not k.startswith("_")}
    data.update(cascade.chosen(request.form, page_def, journey().env.picklists))    # region pickers' levels
    problems = []
    max_bytes = journey().env.store.uploads.limits.max_bytes
    for f in page_def.input_fields():
        if f.type != "upload":
            continue
        file = next((f_ for f_ in request.files.getlist(f.name) if f_.filename), None)   # 拍照 or 相册
        if file is not None:
            saved = journey().accept_upload(draft, f.name, read_limited(file.stream, max_bytes), page_def.id)
            if isinstance(saved, Refusal):
                problems.append(catalog.problem(saved.code, f.name, **saved.params))
            else:
                data[f.name] = saved.id
    return data, problems


def _stale(draft: Draft) -> bool:
    """The form was rendered before another tab or window saved this draft."""
    sent = request.form.get("_revision") or ""
    return sent.isdigit() and int(sent) != draft.app.revision


def _handoff(result: StepResult):
    if not result.handoff:
        return _to(result)
    if _htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = result.handoff["url"]
        return response
    return redirect(result.handoff["url"])


@dataclass
class _Reshow:
    """A posted page shown again without a step (stale revision, upload removed, preview,
    confirmation asked, upload refused): the posted data is kept."""

    draft: Draft
    data: dict
    problems: list | None = None
    popup: Popup | None = None
    status: int = 200


def _page_step(draft: Draft, page_id: str) -> tuple[_Reshow | StepResult, dict]:
    """The POST of a page inside the step's transaction: what to render after it commits."""
    page_def = draft.flow.pages.get(page_id)
    if page_def is None:
        abort(404)
    data, upload_problems = _form_data(draft, page_def)
    if _stale(draft):
        return _Reshow(draft, data, [catalog.problem("application.stale")], status=409), data
    if "_delete" in request.form:
        name = request.form["_delete"]
        if data.get(name):
            journey().remove_upload(draft, data[name])
        data.pop(name, None)
        return _Reshow(draft, data), data
    if "_preview" in request.form or cascade.STEP in request.form:   # a photo or a picker's next level: not saved
        shown = page_def.fields.get(request.form.get("_preview") or "")
        empty = [fieldcheck.problem(shown, "preview.empty")] if shown is not None and not data.get(shown.name) else None
        return _Reshow(draft, data, empty, status=422 if empty else 200), data
    action = page_def.action(request.form.get("_action", ""))
    if action is None:
        abort(400)
    if action.confirm and request.form.get("_confirmed") != "1":
        carry = {k: v for k, v in data.items() if isinstance(v, str)}   # the answers go along with 确认
        popup = Popup(kind=PopupKind.CONFIRM, action=action.id, carry=carry,
                      **{k: v for k, v in action.confirm.items() if k in ("title", "message", "confirm_label",
                                                                          "cancel_label")})
        return _Reshow(draft, data, popup=popup), data
    if upload_problems:
        return _Reshow(draft, data, upload_problems, status=422), data
    result = journey().act(draft, page_id, action.id, data, from_form=True,
                           return_to=request.form.get("_return_to") or None)
    return result, data


@blueprint.post("/a/<app_id>/<page_id>")
def post(app_id, page_id):
    try:
        with step(app_id, _known_owner()) as draft:
            proven = dict(draft.app.context.get("verified_phones") or {})
            result, data = _page_step(draft, page_id)
            if not isinstance(result, _Reshow) and _newly_proven(proven, result.application):
                sessions.renew(session)         # a phone proven by SMS code: a new session id
    except StaleApplication:
        return _render(_draft(app_id), page_id, request.form.to_dict(),
                       [catalog.problem("application.stale")], status=409)
    if isinstance(result, _Reshow):
        return _render(result.draft, page_id, result.data, result.problems, result.popup, status=result.status)
    result = journey().settle(result)
    if result.status == Status.HANDOFF:
        return _handoff(result)
    if result.status == Status.INVALID and result.page == page_id and result.application.id == app_id:
        return _render(result.draft, page_id, data, result.problems, result.popup, status=422, check=result.check)
    if result.status in (Status.REFUSED, Status.REDIRECT) and result.popup:
        same = result.page == page_id and result.application.id == app_id
        return _render(result.draft, result.page, data if same else None, result.problems, result.popup,
                       status=409, check=result.check if same else None)
    return _to(result)


def _newly_proven(before: dict, app) -> bool:
    after = app.context.get("verified_phones") or {}
    return any(before.get(name) != phone for name, phone in after.items())


@blueprint.post("/a/<app_id>/_redirect")
def follow(app_id):
    with step(app_id, _known_owner()) as draft:
        result = journey().follow_redirect(draft)
    return _to(result)


@blueprint.post("/a/<app_id>/<page_id>/sms/<field>")
def send_code(app_id, page_id, field):
    data = {k: v for k, v in request.form.items() if not k.startswith("_")}
    with step(app_id, _known_owner()) as draft:
        code_field = draft.flow.field(field)
        phone = data.get(code_field.sms_phone_field) if code_field and code_field.sms_phone_field else None
        result = journey().send_code(draft, page_id, field, phone, **sms_limits())
    if result.status == Status.LOCKED:
        return _to(result)
    problems = [p for p in result.problems if p.severity == "error"]
    if _htmx():
        return _fragment(draft, page_id, data, problems, live_field=problems[0].path if problems else None), 200
    return _render(draft, page_id, data, problems, status=200 if result.status == Status.OK else 422)


def _fragment(draft: Draft, page_id, data, problems=(), live_field=None, check=None):
    view = _view(draft, page_id, data, list(problems), check=check)
    return render_template("form_body.html", view=view, live_field=live_field)


@blueprint.post("/a/<app_id>/<page_id>/_refresh")
def refresh(app_id, page_id):
    """htmx: one field changed (or a file was chosen): re-show the form with that field checked.
    Nothing is saved and no SMS code is used up; the page is saved by its own button."""
    with step(app_id, _known_owner()) as draft:
        page_def = draft.flow.pages.get(page_id)
        if page_def is None or journey().open(draft, page_id).status != Status.OK:
            abort(404)
        data, upload_problems = _form_data(draft, page_def)
        check = validate_page(draft.env, draft.flow, page_def, data, draft, from_form=True, verify_sms=False)
    changed = request.args.get("field", "")
    problems = [p for p in upload_problems + check.problems if p.path == changed]
    return _fragment(draft, page_id, data, problems[:1], live_field=changed, check=check)


@blueprint.get("/a/<app_id>/<page_id>/_branches/<field>")
def branch_results(app_id, page_id, field):
    _draft(app_id)
    area, keyword = request.args.get("area") or None, (request.args.get("q") or "").strip() or None
    found = journey().env.services.branches.search(area, keyword) if (area or keyword) else []
    return render_template("branch_results.html", found=found, searched=bool(area or keyword),
                           app_id=app_id, page_id=page_id, field=field)


@blueprint.get("/a/<app_id>/<page_id>/branches/<field>")
def branches(app_id, page_id, field):
    draft = _draft(app_id)
    area, keyword = request.args.get("area") or None, request.args.get("q") or None
    found = journey().env.services.branches.search(area, keyword) if (area or keyword) else []
    spec = draft.flow.pages[page_id].fields.get(field) if page_id in draft.flow.pages else None
    cities = journey().env.picklists.get(spec.regions) if spec is not None and spec.regions else None
    return render_template("branches.html", app=draft.app, page_id=page_id, field=field, found=found,
                           area=area or "", keyword=keyword or "", regions=cities)


@blueprint.get("/a/<app_id>/_uploads/<upload_id>")
def uploaded(app_id, upload_id):
    draft = _draft(app_id)
    store = journey().env.store.uploads
    upload = store.get(draft.app.id, upload_id)
    if upload is None:
        abort(404)
    return _image(store.read_bytes(upload), upload.content_type, f"upload-{upload.id}")


def _image(data: bytes, mimetype: str, name: str):
    """An image as the server names it (never the citizen's file name), shown in the page, and
    not to be sniffed into anything else by the browser."""
    response = send_file(BytesIO(data), mimetype=mimetype)
    extension = {"image/jpeg": "jpg", "image/png": "png"}.get(mimetype, "bin")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/a/<app_id>/_photo")
def card_photo(app_id):
    """The card photo the citizen chose: by receipt number (sealed in `ref`), or the registry's own; only a photo
    of the verified person applied for (404 before the journey accepted them, or for another's)."""
    draft = _draft(app_id)
    services = journey().env.services
    subject = verified_subject(draft)
    ref = request.args.get("ref")
    receipt = widgets.receipt_of(app_id, ref) if ref else None
    if not subject or (ref and not receipt):
        data = None
    elif receipt:
        found = services.photos.lookup(receipt)
        data = found.jpeg if found and found.ssn == subject else None
    else:
        data = services.people.system_photo(subject)
    if not data:
        abort(404)
    return _image(data, "image/jpeg", "card-photo")


@blueprint.get("/verify/return")
def verified():
    """Back from face verification, with nothing in the URL (URLs are logged): the check is the one an
    application of this browser started (its token is in the draft); of several, a finished one."""
    owner = _known_owner()
    face = journey().env.services.face
    waiting = [(app, pending["token"]) for app in journey().env.store.applications.list_for_owner(owner)
               if (pending := app.context.get("pending_face") or {}).get("token")]
    app, token = next(((a, t) for a, t in waiting if face.result(t).status != "pending"), None) or \
        (waiting[0] if waiting else (None, ""))
    if app is None:
        abort(404)
    with step(app.id, owner) as draft:
        result = journey().complete_verification(draft, token)
    if draft.app.context.get("identity"):
        sessions.renew(session)         # the person is verified: a new session id
    if result.popup:
        return _render(result.draft, result.page, None, result.problems, result.popup, status=409)
    return _to(result)
