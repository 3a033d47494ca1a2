"""The citizen's session: 退出, the expiry warning's keep-alive, and 继续办理 — a draft belongs to the
face-verified person, not to a cookie: after a new face check that person's open drafts are
listed and one can be taken over into this session."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from .. import catalog
from ..formats import SHANGHAI
from . import csrf, html, sessions
from .common import journey, no_store

blueprint = Blueprint("resume", __name__)
RETURN_PATH = "/resume/return"
ROLE = "applicant"


@blueprint.before_request
def _protect():
    csrf.protect(first_post=("resume.start",))


@blueprint.after_request
def _headers(response):
    return no_store(response)


@blueprint.post("/logout")
def logout():
    """退出: the session ends on the server (its row is deleted, the old cookie opens nothing);
    drafts stay and are found again after face verification (继续办理)."""
    sessions.end(session)
    return redirect(url_for("html.index", ended=1))


@blueprint.get("/session/ping")
def ping():
    """The expiry warning's 【继续办理】: using the session keeps it alive."""
    return "", 204


@blueprint.post("/resume")
def start():
    """Face verification first; then that person's open drafts are listed."""
    handoff = journey().env.services.face.start(ROLE, RETURN_PATH)
    session["resume_face"] = handoff.token
    session["resume_then"] = "progress" if request.form.get("then") == "progress" else "drafts"   # 办件进度
    return redirect(handoff.url_path)


@blueprint.get(RETURN_PATH)
def verified():
    """Back from face verification: the check is this session's (no token in the URL: URLs are logged)."""
    token = session.get("resume_face")
    if not token:
        abort(404)
    env = journey().env
    result = env.services.face.consume(token)
    session.pop("resume_face", None)
    person = env.services.people.person(result.person_id) if result.status == "passed" else None
    if person is None:                          # failed, or a person the registry does not know
        return html.index_page(error=catalog.text("face.failed"), status=409)
    session[sessions.PERSON_KEY] = env.store.person_key(person.id_number)
    sessions.renew(session)                     # a new session id once the person is verified
    if session.pop("resume_then", None) == "progress":
        return redirect(url_for("progress.index"))
    return redirect(url_for("resume.drafts"))


@blueprint.get("/resume")
def drafts():
    key = session.get(sessions.PERSON_KEY)
    if not key:
        return redirect(url_for("html.index"))
    found = journey().env.store.applications.list_for_person(key)
    flows = journey().env.flows
    return render_template("drafts.html", drafts=[a for a in found if a.flow_id in flows], flows=flows,
                           when=lambda moment: moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"))


@blueprint.post("/resume/<app_id>")
def take_over(app_id):
    """Take a verified person's draft over into this session (the old session's cookie, if any
    is still alive, no longer opens it)."""
    key = session.get(sessions.PERSON_KEY)
    store = journey().env.store
    with store.transaction():
        app = store.applications.get(app_id, lock=True)
        if not key or app is None or app.person_key != key or app.status != "draft":
            abort(404)
        app.owner = html.owner()
        store.applications.claim(app)
    return redirect(url_for("html.resume", app_id=app_id))
