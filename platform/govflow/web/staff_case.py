"""Staff pages: one case (an application), from its case document (cases/document.py).

GET  /staff/applications/<id>                       the case, masked           (cases.view)
POST /staff/applications/<id>/reveal                one value, or the uploads, for a reason (cases.reveal)
GET  /staff/applications/<id>/uploads/<upload_id>   an uploaded image, only after a reveal of them (cases.reveal)
GET  /staff/applications/<id>.json | .pdf           the case document, masked  (cases.export)
POST /staff/applications/<id>.json | .pdf           with personal data: field `reason` (cases.export_personal)

Every reveal is an audit event `reveal` (field, reason) and every download an event `export`
(what=case, format, personal, reason), written before the answer. The case is read, never
written: nothing here changes the application, its decisions or its rule inputs.
"""
from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from flask import abort, render_template, request, send_file, session, url_for

from ..cases.document import case_document, contents
from ..cases.export import case_pdf
from ..cases.export import when as stamp
from ..catalog import text as msg
from .common import journey
from .staff import STAFF_KEY, _event, _vocab, blueprint
from .staff_roles import REASON_MAX, REASON_MIN, can, reason_ok, refuse, require, stated_reason

UPLOADS_KEY = "uploads"                  # the reveal of a case's uploads (thumbnails)
UPLOAD_GRANT = "staff_case_uploads"      # session: [application id, until (epoch seconds)]
UPLOAD_GRANT_SECONDS = 15 * 60


def _app_or_404(app_id: str):
    app = journey().env.store.applications.get(app_id)
    if app is None:
        abort(404)
    return app


def _file_url(version: str, name: str) -> str:
    return url_for("staff.version_file", version=version, name=name)


def _document(app, revealed: frozenset[str] = frozenset(), personal: bool = False, exported: dict | None = None):
    return case_document(journey(), app, revealed=revealed, personal=personal, titles=_vocab()[0],
                         file_url=_file_url, exported=exported)


def _page(app, revealed: frozenset[str] = frozenset(), error: str | None = None, status: int = 200,
          export_error: str | None = None):
    doc = _document(app, revealed)
    return render_template("staff/application.html", app=app, doc=doc, contents=doc["contents"],
                           uploads_shown=UPLOADS_KEY in revealed, reveal_error=error, export_error=export_error,
                           can=can, stamp=stamp, reason_min=REASON_MIN, reason_max=REASON_MAX), status


@blueprint.get("/applications/<app_id>")
@require("cases.view")
def application(app_id):
    app = _app_or_404(app_id)
    _event("view", application_id=app.id)              # who looked at which case (masked), for the audit log
    return _page(app)


@blueprint.post("/applications/<app_id>/reveal")
@require("cases.reveal")
def reveal(app_id):
    """Show one masked value (or the uploaded images) in full, once, for a stated reason: an audit
    event (who, when, which application and value, why) is recorded first; the value itself is
    never in the event."""
    app = _app_or_404(app_id)
    key, reason = request.form.get("field", ""), stated_reason()
    keys = {i["key"] for i in contents(journey(), app) if i["maskable"]}
    if journey().env.store.uploads.for_application(app.id):
        keys.add(UPLOADS_KEY)
    if key not in keys:
        return _page(app, error=msg("staff.reveal.unknown"), status=400)
    if not reason_ok(reason):
        return _page(app, error=msg("staff.reveal.reason", min=REASON_MIN, max=REASON_MAX), status=400)
    _event("reveal", application_id=app_id, field=key, reason=reason)
    if key == UPLOADS_KEY:
        session[UPLOAD_GRANT] = [app.id, journey().env.store.now().timestamp() + UPLOAD_GRANT_SECONDS]
    return _page(app, revealed=frozenset({key}))


@blueprint.get("/applications/<app_id>/uploads/<upload_id>")
@require("cases.reveal")
def case_upload(app_id, upload_id):
    """An uploaded image, for the thumbnails of a reveal: only in the session that revealed the
    uploads of this application, for a quarter of an hour."""
    grant = session.get(UPLOAD_GRANT) or ["", 0]
    if grant[0] != app_id or journey().env.store.now().timestamp() > float(grant[1]):
        return refuse("cases.reveal")
    store = journey().env.store.uploads
    upload = store.get(app_id, upload_id)
    if upload is None:
        abort(404)
    response = send_file(BytesIO(store.read_bytes(upload)), mimetype=upload.content_type)
    extension = {"image/jpeg": "jpg", "image/png": "png"}.get(upload.content_type, "bin")
    response.headers["Content-Disposition"] = f'inline; filename="upload-{upload.id}.{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _export(app_id: str, fmt: str):
    app = _app_or_404(app_id)
    personal, reason = request.method == "POST", ""
    if personal:
        if not can("cases.export_personal"):
            return refuse("cases.export_personal")
        reason = stated_reason()
        if not reason_ok(reason):
            return _page(app, export_error=msg("staff.case.export.reason", min=REASON_MIN, max=REASON_MAX),
                         status=400)
    store = journey().env.store
    exported = {"by": session.get(STAFF_KEY) or "-", "at": store.now().isoformat(), "personal": personal,
                "reason": reason}
    doc = _document(app, personal=personal, exported=exported)
    detail: dict[str, Any] = {"what": "case", "format": fmt, "personal": personal}
    if personal:
        detail["reason"] = reason
    _event("export", application_id=app.id, **detail)
    if fmt == "pdf":
        data, mimetype = case_pdf(doc), "application/pdf"
    else:
        data, mimetype = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"), "application/json"
    response = send_file(BytesIO(data), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="case-{app.id}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.route("/applications/<app_id>.json", methods=["GET", "POST"])
@require("cases.export")
def case_json(app_id):
    return _export(app_id, "json")


@blueprint.route("/applications/<app_id>.pdf", methods=["GET", "POST"])
@require("cases.export")
def case_pdf_file(app_id):
    return _export(app_id, "pdf")
