"""Staff pages for changing the definitions: drafts, their files, review, publishing, roll-back.

Registered on the staff blueprint (its login and CSRF guard apply). The rules of who may do
what are publishing/workflow.py's; these views only read forms, call it and show what it says.
A refused step shows the draft again with the reason in Chinese and what was typed kept.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import current_app, redirect, render_template, request, session, url_for

from ..catalog import text as msg
from ..errors import GovflowError, NotFound
from ..formats import SHANGHAI
from ..publishing import scenarios
from ..publishing.forms import editable
from ..publishing.migration import migrate
from ..publishing.workflow import MAX_FILE_BYTES, STEPS, Invalid, Workflow
from .common import client_address, journey, problem_response
from .preview import PREFIX as PREVIEW_PREFIX
from .preview import ticket
from .staff import STAFF_KEY, accounts, blueprint
from .staff_files import editor_json

HISTORY = 200


def workflow() -> Workflow:
    found = current_app.extensions.get("govflow.workflow")
    if found is None:
        engine = journey()
        found = current_app.extensions["govflow.workflow"] = Workflow(engine.env.store, engine.bundles)
    return found


def _who() -> tuple[str, tuple[str, ...]]:
    user = session.get(STAFF_KEY) or "-"
    return user, accounts().roles(user)


def _status(exc: GovflowError) -> int:
    return exc.status if exc.status in (403, 404, 409, 422) else 422


def _refusal(exc: GovflowError) -> str:
    return msg(exc.code) if exc.code.startswith("draft.") else msg("staff.drafts.failed")


def _event(action: str, **detail) -> None:
    journey().env.store.staff_events.record(session.get(STAFF_KEY) or "-", action, detail=detail or None,
                                            client=client_address())


def _revision() -> int:
    try:
        return int(request.form.get("revision", ""))
    except ValueError:
        return -1


def _publish_time(raw: str) -> datetime | None:
    """The form's 生效时间 (datetime-local, Beijing time); None: now."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise Invalid("draft.bad_time", raw) from exc
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI))


# -- the list ----------------------------------------------------------------------------------

@blueprint.get("/drafts")
def drafts():
    return _drafts_page()


def _drafts_page(error: str | None = None, reason: str = "", status: int = 200):
    _user, roles = _who()
    return render_template("staff/drafts.html", drafts=workflow().store.drafts.all(), roles=roles,
                           error=error, reason=reason), status


@blueprint.post("/drafts")
def draft_new():
    user, roles = _who()
    reason = request.form.get("reason", "")
    try:
        draft = workflow().create(user, roles, reason)
    except GovflowError as exc:
        return _drafts_page(_refusal(exc), reason, _status(exc))
    _event("draft_created", draft=draft.id)
    return redirect(url_for("staff.draft", draft_id=draft.id))


# -- one draft -----------------------------------------------------------------------------------

@blueprint.get("/drafts/<int:draft_id>")
def draft(draft_id: int):
    return _draft_page(draft_id)


def _draft_page(draft_id: int, error: str | None = None, form: dict | None = None, status: int = 200):
    flow = workflow()
    record = flow.get(draft_id)
    user, roles = _who()
    checked = flow.check(record)
    files = flow.files(record)
    changes = flow.changes(record)
    changed = {f["name"]: f["status"] for f in changes}
    writers = flow.writers(record)
    events = flow.store.drafts.events(record.id)
    ran = next((e for e in reversed(events) if e.action == "scenarios" and e.detail.get("version") == checked.version),
               None)
    return render_template(
        "staff/draft.html", draft=record, files=sorted(files), changed=changed, changes=changes,
        form_files={name for name in files if editable(name)},
        problems=checked.problems, errors=checked.errors, events=events, scenarios=ran,
        scenarios_running=(record.id, checked.version) in scenarios.RUNNING,
        impact=flow.impact(record),
        roles=roles, user=user, steps=_steps_for(record, roles, user in writers),
        error=error, form=form or {}, live=flow.bundles.current_version), status


def _steps_for(record, roles, wrote_it: bool) -> list[str]:
    """The steps this staff member may take on the draft now, in the order shown."""
    out = []
    for name in ("submit", "approve", "return", "publish", "discard"):
        step = STEPS[name]
        if record.status in step.starts_from and step.role in roles and not (name == "approve" and wrote_it):
            out.append(name)
    return out


@blueprint.post("/drafts/<int:draft_id>/<step>")
def draft_step(draft_id: int, step: str):
    user, roles = _who()
    form = {k: request.form.get(k, "") for k in ("comment", "publish_at")}
    try:
        at = _publish_time(form["publish_at"]) if step == "publish" else None
        workflow().act(step, user, roles, draft_id, _revision(), form["comment"], at)
    except GovflowError as exc:
        if exc.code == "draft.unknown":
            raise
        return _draft_page(draft_id, _refusal(exc), form, _status(exc))
    _event(f"draft_{step}", draft=draft_id)
    return redirect(url_for("staff.draft", draft_id=draft_id))


@blueprint.post("/drafts/<int:draft_id>/preview")
def draft_preview(draft_id: int):
    """A preview ticket for the draft as it is now, and off to its citizen pages."""
    flow = workflow()
    record = flow.get(draft_id)
    if flow.check(record).errors:
        return _draft_page(draft_id, msg("staff.draft.preview_unavailable"), status=409)
    _event("draft_preview", draft=draft_id)
    return redirect(request.script_root + PREVIEW_PREFIX + ticket(current_app, draft_id, _who()[0]) + "/")


@blueprint.post("/drafts/<int:draft_id>/scenarios")
def draft_scenarios(draft_id: int):
    """Run the draft's scenarios (in the background; the result joins the history)."""
    flow = workflow()
    record = flow.get(draft_id)
    user, roles = _who()
    if not {"editor", "reviewer"} & set(roles):
        return _draft_page(draft_id, msg("draft.role_missing"), status=403)
    if flow.check(record).errors:
        return _draft_page(draft_id, msg("draft.has_errors"), status=409)
    scenarios.start(flow, record, user, Path(current_app.config["PROJECT_DIR"]))
    _event("draft_scenarios", draft=draft_id)
    return redirect(url_for("staff.draft", draft_id=draft_id) + "#scenarios")


# -- a file of a draft ---------------------------------------------------------------------------

@blueprint.get("/drafts/<int:draft_id>/files/<path:name>")
def draft_file(draft_id: int, name: str):
    flow = workflow()
    record = flow.get(draft_id)
    files = flow.files(record)
    if name not in files and request.args.get("new") != "1":
        raise NotFound("draft.unknown_file", name)
    return _file_page(record, name, files.get(name, ""))


def _file_page(record, name: str, text: str, error: str | None = None, status: int = 200):
    _user, roles = _who()
    problems = [p for p in workflow().check(record).problems if p.file == name]
    return render_template("staff/draft_file.html", draft=record, name=name, text=text, error=error,
                           problems=problems, roles=roles), status


@blueprint.post("/drafts/<int:draft_id>/files/<path:name>")
def draft_file_save(draft_id: int, name: str):
    user, roles = _who()
    text = request.form.get("text", "")
    try:
        workflow().save_file(user, roles, draft_id, _revision(), name, text)
    except GovflowError as exc:
        if exc.code == "draft.unknown":
            raise
        record = workflow().get(draft_id)
        return _file_page(record, name, text, _refusal(exc), _status(exc))
    _event("draft_edited", draft=draft_id, file=name)
    return redirect(url_for("staff.draft", draft_id=draft_id) + "#files")


@blueprint.post("/drafts/<int:draft_id>/check")
def draft_check(draft_id: int):
    """The checker's problems for the draft with one file as it is being typed (JSON, for the editor)."""
    flow = workflow()
    name, text = request.form.get("name", ""), request.form.get("text", "")
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return problem_response(413, msg("draft.file_too_large"), code="draft.file_too_large")
    try:
        problems = flow.check_edit(flow.get(draft_id), name, text)
    except GovflowError as exc:
        return problem_response(_status(exc), _refusal(exc), code=exc.code)
    return editor_json(problems, name)


# -- published versions and roll-back ----------------------------------------------------------

@blueprint.get("/versions")
def versions():
    return _versions_page()


def _versions_page(error: str | None = None, status: int = 200, migrated=None):
    flow = workflow()
    store = flow.store
    live = store.publications.live()
    _user, roles = _who()
    bundles = store.versions.versions("bundle", "manifest")
    current = live.version if live else flow.bundles.current_version
    previous = next((v for v, _ in bundles if v != current), current)
    return render_template("staff/versions.html", publications=store.publications.history(HISTORY),
                           live=live, now=store.now(), roles=roles, error=error, bundles=bundles,
                           old=previous, new=current, migrated=migrated), status


@blueprint.post("/versions/rollback")
def versions_rollback():
    user, roles = _who()
    version = request.form.get("version", "")
    try:
        workflow().rollback(user, roles, version, request.form.get("reason", ""))
    except GovflowError as exc:
        return _versions_page(_refusal(exc), _status(exc))
    _event("rollback", version=version)
    return redirect(url_for("staff.versions"))


@blueprint.post("/versions/migrate")
def versions_migrate():
    """Move the open drafts of citizens that still validate onto the live version (publisher)."""
    user, roles = _who()
    if "publisher" not in roles:
        return _versions_page(msg("draft.role_missing"), 403)
    engine = journey()
    result = migrate(engine)
    _event("migrate", version=result.version, moved=result.moved, kept=sum(result.kept.values()))
    return _versions_page(migrated=result)
