"""Nothing lost: a page's entries saved as the citizen goes (journey/entries.py), the page a browser
with no session is shown instead of an error (会话已过期, then face verification and 继续办理), the
verified person's open applications on the home page, the no-JS branch chooser that saves the page
first, and the notes a Post/Redirect/Get carries over to the page it redirects to.
"""
from __future__ import annotations

from flask import Blueprint, abort, make_response, redirect, render_template, request, session, url_for

from .. import catalog
from ..errors import Problem
from ..formats import SHANGHAI
from ..journey import Draft, entries
from ..journey.uploads import read_limited
from ..store.records import Refusal
from . import cascade, csrf, sessions
from .common import htmx, journey, no_store, step

blueprint = Blueprint("keep", __name__)
NOTES = "page_notes"          # session key: problems of a POST shown by the GET it redirects to


def require_session() -> None:
    """A request for an application from a browser whose session is gone (expired, 退出, browser
    closed): the page that says so and offers to verify again and continue; htmx is redirected to it."""
    if "owner" in session:
        return
    lost = bool(getattr(session, "lost", False))
    url = url_for("keep.expired", lost="1" if lost else None)
    if htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
    else:
        response = make_response(_gone_page(lost), 404)
    abort(no_store(response))


def _gone_page(lost: bool) -> str:
    return render_template("expired.html", code="session.expired" if lost else "session.gone")


@blueprint.after_request
def _headers(response):
    return no_store(response)


@blueprint.before_request
def _protect():
    if request.view_args and "app_id" in request.view_args:
        require_session()
    csrf.protect()


@blueprint.get("/session/expired")
def expired():
    return _gone_page(request.args.get("lost") == "1")


def form_data(draft: Draft, page_def) -> tuple[dict, list[Problem]]:
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


def keep_entries(draft: Draft, page_id: str, data: dict) -> None:
    """Save what the page's form holds now into the draft (not its answers: the page is not done)."""
    page = draft.flow.pages.get(page_id)
    if page is not None and journey().can_open(draft, page_id):
        entries.keep(journey(), draft, page, data)


def stale_note() -> Problem:
    """An older copy of the page was posted (another tab, 后退): not the citizen's error, a note
    above the page, which is shown with their input and the current revision."""
    note = catalog.problem("application.stale")
    return Problem(note.code, note.path, note.message, severity="info")


def remember(app_id: str, page_id: str, problems) -> None:
    """Problems of a POST answered with a redirect, for the page it redirects to (once)."""
    kept = [[p.code, p.path, p.message] for p in problems if p.severity == "error"]
    if kept:
        session[NOTES] = {"app": app_id, "page": page_id, "problems": kept}
    else:
        session.pop(NOTES, None)


def recall(app_id: str, page_id: str) -> list[Problem]:
    notes = session.get(NOTES)
    if not notes or notes.get("app") != app_id or notes.get("page") != page_id:
        return []
    session.pop(NOTES, None)
    return [Problem(code, path, message) for code, path, message in notes.get("problems") or []]


def open_applications() -> list[dict]:
    """The face-verified person's unfinished applications (this session verified them): flow, the
    page they were left on, when; 继续办理 takes one over (web/resume.py)."""
    key = session.get(sessions.PERSON_KEY)
    if not key:
        return []
    out = []
    for app in journey().env.store.applications.list_for_person(key):
        if app.flow_id not in journey().env.flows:
            continue
        draft = journey().draft(app)
        page = draft.flow.pages.get(draft.current)
        out.append({"id": app.id, "flow": draft.flow.title, "page": page.title if page else "",
                    "updated": app.updated_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")})
    return out


@blueprint.post("/a/<app_id>/<page_id>/branches/<field>")
def choose_branch(app_id, page_id, field):
    """Without JavaScript 【选择网点】 is a button of the page's form: the page's entries are saved,
    then the branch search opens (choosing a branch comes back to the page with them)."""
    with step(app_id, "web:" + session["owner"]) as draft:        # the session is there (_protect)
        page_def = draft.flow.pages.get(page_id)
        if page_def is None or not journey().can_open(draft, page_id):
            abort(404)
        data, _ = form_data(draft, page_def)       # a refused file is said when the page is posted
        keep_entries(draft, page_id, data)
    return redirect(url_for("html.branches", app_id=app_id, page_id=page_id, field=field), code=303)
