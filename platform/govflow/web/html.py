"""HTML pages for citizens: every page rendered from the flow definitions by one generic template.

Works as plain form posts (no JavaScript needed); each POST redirects on success (PRG) and
re-renders with the citizen's input and the errors when something is wrong.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from flask import Blueprint, abort, make_response, redirect, render_template, request, session, url_for

from .. import catalog
from ..journey import Draft, Popup, PopupKind, Status, StepResult, entries, fieldcheck, page_view
from ..journey.identity import verified_subject
from ..store import StaleApplication
from . import cascade, csrf, keep, layout, sessions, summary, widgets
from .common import creation_wait, htmx, image, journey, load_draft, no_store, sms_limits, step

blueprint = Blueprint("html", __name__)


@blueprint.before_request
def _protect():
    if request.view_args and "app_id" in request.view_args:
        keep.require_session()          # no session: the page that offers to verify again, not a CSRF error
    csrf.protect(first_post=("html.start",))


@blueprint.after_request
def _headers(response):
    if request.endpoint and (request.endpoint != "html.index" or sessions.PERSON_KEY in session):
        no_store(response)          # the home page too once it lists the verified person's applications
    return response


@blueprint.app_context_processor
def _template_globals():
    return {"csrf_token": csrf.token, "live_field": None, "msg": catalog.text, "photo_ref": widgets.photo_ref,
            "why": widgets.why,
            "session_token": lambda: csrf.token() if session else "",
            "session_expires_in": lambda: _expires_in() if ("owner" in session or sessions.PERSON_KEY in session)
            else None}


def _expires_in() -> int:
    """Seconds before this citizen's session ends unless used (the page warns before)."""
    left = getattr(session, "expires_in", None)
    if left is None or getattr(session, "renewed", False):
        left = int(journey().env.store.sessions.idle.total_seconds())
    return left


def owner() -> str:
    """This browser's owner id: made when it starts (or takes over) an application."""
    if "owner" not in session:
        session["owner"] = secrets.token_urlsafe(16)
    return "web:" + session["owner"]


def _known_owner() -> str:
    """The owner id of a browser that has one; with no or an expired session, the page that says so
    (web/keep.py): opening a page then makes no session row."""
    keep.require_session()
    return "web:" + session["owner"]


def _draft(app_id: str) -> Draft:
    return load_draft(app_id, _known_owner())


def _to(result: StepResult):
    """Go to the page the journey chose: a redirect, or for htmx an in-place swap of <main>."""
    url = url_for("html.page", app_id=result.application.id, page_id=result.page)
    if htmx():
        response = make_response("", 200)
        response.headers["HX-Location"] = json.dumps({"path": url, "target": "#main", "select": "#main",
                                                      "swap": "outerHTML"})
        return response
    return redirect(url)


def _view(draft: Draft, page_id, posted=None, problems=None, popup=None, check=None) -> dict:
    view = page_view(draft, page_id, posted, problems, popup, check)
    view["kept"] = layout.kept(draft.flow.pages[page_id], posted, view)
    view["application"]["revision"] = entries.form_revision(draft.app)    # saves of entries only do not count
    view["layout"] = layout.groups(view)
    view["urls"] = widgets.PageUrls(draft.app.id, page_id)
    env = draft.env
    view["ui"] = {"upload_max_bytes": env.store.uploads.limits.max_bytes,
                  "picklists": env.picklists}
    return view


def _render(draft: Draft, page_id, posted=None, problems=None, popup=None, status=200, check=None):
    return render_template("page.html", view=_view(draft, page_id, posted, problems, popup, check)), status


def index_page(notice: str | None = None, error: str | None = None, status: int = 200):
    flows = [f for f in journey().env.flows.values() if not f.launched_by]
    return render_template("index.html", flows=flows, notice=notice, error=error,
                           open=keep.open_applications()), status


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
    posted = entries.shown(draft, draft.flow.pages[page_id])     # typed and uploaded, not yet saved by 下一步
    if prefill:
        posted = {**(posted if posted is not None else draft.app.answers.get(page_id, {})), **prefill}
    problems = keep.recall(app_id, page_id)               # of the POST that redirected here (发送验证码)
    return _render(draft, page_id, posted, problems or None)


def _stale(draft: Draft) -> bool:
    """The form was rendered before another tab or window saved this draft."""
    sent = request.form.get("_revision") or ""
    return sent.isdigit() and int(sent) != entries.form_revision(draft.app)


def _handoff(result: StepResult):
    if not result.handoff:
        return _to(result)
    if htmx():
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
    check: object = None               # its PageCheck, when one was made (reused to render it)


def _recheck(draft: Draft, page_def, data: dict, changed: str | None = None, gone: str | None = None) -> _Reshow:
    """The page after a 【获取图片】 or an X, with the errors it still has (web/summary.py)."""
    problems, check = summary.current(draft, page_def, data, request.form, changed)
    return _Reshow(draft, data, [p for p in problems if p.path != gone] or None, check=check)


def _page_step(draft: Draft, page_id: str) -> tuple[_Reshow | StepResult, dict]:
    """The POST of a page inside the step's transaction: what to render after it commits."""
    page_def = draft.flow.pages.get(page_id)
    if page_def is None:
        abort(404)
    data, upload_problems = keep.form_data(draft, page_def)
    if _stale(draft):          # an older copy of the page (another tab, 后退): shown again, newest revision
        return _Reshow(draft, data, [keep.stale_note()], status=409), data
    if "_delete" in request.form:
        name = request.form["_delete"]
        if data.get(name):
            journey().remove_upload(draft, data[name])
        data.pop(name, None)
        keep.keep_entries(draft, page_id, data)
        return _recheck(draft, page_def, data, gone=name), data
    if "_preview" in request.form or cascade.STEP in request.form:   # 【获取图片】, a choice's 【确定】, 【下一级】
        keep.keep_entries(draft, page_id, data)
        shown = page_def.fields.get(request.form.get("_preview") or "")
        if shown is not None and shown.verify and not data.get(shown.name):       # 【获取图片】 with nothing typed
            return _Reshow(draft, data, [fieldcheck.problem(shown, "preview.empty")], status=422), data
        return _recheck(draft, page_def, data, changed=request.form.get("_preview")), data
    action = page_def.action(request.form.get("_action", ""))
    if action is None:
        abort(400)
    if action.confirm and request.form.get("_confirmed") != "1":
        carry = {k: v for k, v in data.items() if isinstance(v, str)}   # the answers go along with 确认
        popup = Popup(kind=PopupKind.CONFIRM, action=action.id, carry=carry,
                      **{k: v for k, v in action.confirm.items() if k in ("title", "message", "confirm_label",
                                                                          "cancel_label")})
        keep.keep_entries(draft, page_id, data)
        return _Reshow(draft, data, popup=popup), data
    if upload_problems:
        keep.keep_entries(draft, page_id, data)
        return _Reshow(draft, data, upload_problems, status=422), data
    result = journey().act(draft, page_id, action.id, data, from_form=True,
                           return_to=request.form.get("_return_to") or None)
    if result.status == Status.INVALID and result.draft is draft:
        keep.keep_entries(draft, page_id, data)      # a reload of the page with its errors keeps the input
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
        return _render(_draft(app_id), page_id, request.form.to_dict(), [keep.stale_note()], status=409)
    if isinstance(result, _Reshow):
        return _render(result.draft, page_id, result.data, result.problems, result.popup, status=result.status,
                       check=result.check)
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
        page_def = draft.flow.pages[page_id]
        data, upload_problems = keep.form_data(draft, page_def)     # the region levels and files too
        keep.keep_entries(draft, page_id, data)
        sent = [p for p in result.problems if p.severity == "error"]
        problems, check = summary.current(draft, page_def, data, request.form, field, sent + upload_problems)
    if htmx():
        return _fragment(draft, page_id, data, problems, live_field=sent[0].path if sent else None, check=check), 200
    keep.remember(app_id, page_id, problems)       # Post/Redirect/Get: a reload does not send again
    return redirect(url_for("html.page", app_id=app_id, page_id=page_id), code=303)


def _fragment(draft: Draft, page_id, data, problems=(), live_field=None, check=None):
    view = _view(draft, page_id, data, list(problems), check=check)
    return render_template("fragment.html", view=view, live_field=live_field)


@blueprint.post("/a/<app_id>/<page_id>/_refresh")
def refresh(app_id, page_id):
    """htmx: one field changed (or a file was chosen): re-show the form with that field checked.
    The page's entries are kept in the draft (a reload shows them); no SMS code is used up, and the
    page's answers are saved (and checked by its rules) by its own button only."""
    with step(app_id, _known_owner()) as draft:
        page_def = draft.flow.pages.get(page_id)
        if page_def is None or journey().open(draft, page_id).status != Status.OK:
            abort(404)
        data, upload_problems = keep.form_data(draft, page_def)
        keep.keep_entries(draft, page_id, data)
        changed = request.args.get("field", "")
        problems, check = summary.current(draft, page_def, data, request.form, changed, upload_problems)
    return _fragment(draft, page_id, data, problems, live_field=changed, check=check)


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
    return image(store.read_bytes(upload), upload.content_type, f"upload-{upload.id}")


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
    return image(data, "image/jpeg", "card-photo")


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
        if draft.app.person_key:        # the home page's 继续办理 lists this person's open applications
            session[sessions.PERSON_KEY] = draft.app.person_key
        sessions.renew(session)         # the person is verified: a new session id
    if result.popup:
        return _render(result.draft, result.page, None, result.problems, result.popup, status=409)
    return _to(result)
