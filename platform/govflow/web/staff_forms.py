"""The form editor of a draft's flow or rule file (表单编辑): the values policy staff change most,
as a plain HTML form, without YAML and without JavaScript.

Registered on the staff blueprint (its login and CSRF guard apply). What a form may change and how a
change is written into the file are publishing/forms.py's; who may save, the revision check and the
history entry are Workflow.save_file's, exactly as for the YAML editor. A save that the values'
kinds refuse, that the checker finds new errors in (unless 仍然保存 is ticked), or that the workflow
refuses shows the form again with what was typed and the reasons in Chinese.
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ..catalog import text as msg
from ..errors import GovflowError, NotFound
from ..publishing import forms
from ..publishing.workflow import OPEN
from .staff import blueprint
from .staff_publishing import _event, _refusal, _revision, _status, _who, workflow

PREFIX = "v:"          # the form's names: v:<item key>


@blueprint.get("/drafts/<int:draft_id>/form/<path:name>")
def draft_form(draft_id: int, name: str):
    flow = workflow()
    record = flow.get(draft_id)
    files = flow.files(record)
    if name not in files:
        raise NotFound("draft.unknown_file", name)
    return _form_page(record, name, files)


def _form_page(record, name: str, files: dict[str, str], typed: dict[str, str] | None = None,
               errors: dict[str, str] | None = None, error: str | None = None, problems=None,
               status: int = 200):
    _user, roles = _who()
    groups: list[forms.Group] = []
    if not forms.editable(name):
        error, status = error or msg("staff.form.not_editable"), 404 if status == 200 else status
    else:
        try:
            groups = forms.items(name, files[name], forms.fact_titles(files))
        except forms.Unreadable:
            error, status = error or msg("staff.form.unreadable"), 422 if status == 200 else status
    new = problems is not None
    problems = problems if new else [p for p in workflow().check(record).problems if p.file == name]
    by_group = {g.key: [p for p in problems if g.key and _under(p.path, g.key)] for g in groups}
    return render_template(
        "staff/draft_form.html", draft=record, name=name, groups=groups, typed=typed or {}, errors=errors or {},
        error=error, problems=problems, new_problems=new, by_group=by_group, shown=forms.shown, prefix=PREFIX,
        editable="editor" in roles and record.status in OPEN, roles=roles), status


def _under(path: str, key: str) -> bool:
    return path == key or path.startswith((key + ".", key + "["))


@blueprint.post("/drafts/<int:draft_id>/form/<path:name>")
def draft_form_save(draft_id: int, name: str):
    user, roles = _who()
    flow = workflow()
    record = flow.get(draft_id)
    files = flow.files(record)
    typed = {k[len(PREFIX):]: v for k, v in request.form.items() if k.startswith(PREFIX)}

    def again(error: str, status: int, **extra):
        return _form_page(record, name, files, typed, error=error, status=status, **extra)

    if "editor" not in roles:
        return again(msg("draft.role_missing"), 403)
    if name not in files or not forms.editable(name):
        raise NotFound("draft.unknown_file", name)
    if record.revision != _revision():
        return again(msg("draft.stale"), 409)
    try:
        applied = forms.apply(name, files[name], typed, forms.fact_titles(files))
    except forms.Unreadable:
        return again(msg("staff.form.unreadable"), 422)
    if applied.errors:
        return again(msg("staff.form.not_saved"), 422, errors=applied.errors)
    if applied.changed and not request.form.get("force"):
        caused = [p for p in flow.check_edit(record, name, applied.text) if p.severity == "error"]
        if caused:
            return again(msg("staff.form.has_problems"), 422, problems=caused)
    try:
        flow.save_file(user, roles, draft_id, _revision(), name, applied.text)
    except GovflowError as exc:
        if exc.code == "draft.unknown":
            raise
        return again(_refusal(exc), _status(exc))
    if applied.changed:
        _event("draft_edited", draft=draft_id, file=name, by="form", values=len(applied.changed))
    return redirect(url_for("staff.draft", draft_id=draft_id) + "#files")
