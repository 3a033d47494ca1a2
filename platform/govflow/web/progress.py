"""办件进度 (/progress), the 电子回执 (a printable page and a PDF) and the QR code of a reference.

What a citizen may see: the applications submitted from this browser (its owner id), and, once
face-verified in this session (web/resume.py), every application of that person. Anything else
is the site's Chinese 404: an application's id alone opens nothing. The statuses are what the
outbox worker's poll round last stored (journey/progress.py); a GET changes nothing.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, make_response, render_template, session

from . import sessions
from .common import journey, no_store

blueprint = Blueprint("progress", __name__)


@blueprint.after_request
def _headers(response):
    return no_store(response)


def _who() -> tuple[str | None, str | None]:
    owner = session.get("owner")
    return session.get(sessions.PERSON_KEY), ("web:" + owner) if owner else None


def _own(app_id: str):
    """The application if this browser or the verified person owns it and it was accepted; else 404."""
    person, owner = _who()
    app = journey().env.store.applications.get(app_id)
    if app is None or app.status != "submitted" or not app.reference:
        abort(404)
    if not ((person and app.person_key == person) or (owner and app.owner == owner)):
        abort(404)
    return app


@blueprint.get("/progress")
def index():
    from ..journey.receipt import progress_view
    person, owner = _who()
    store = journey().env.store
    apps = store.applications.list_accepted(person, owner)
    known = store.progress.for_applications([a.id for a in apps])
    views = [progress_view(journey(), a, known.get(a.id)) for a in apps]
    return render_template("progress.html", applications=views, verified=bool(person))


@blueprint.get("/progress/<app_id>/receipt")
def receipt(app_id):
    from ..journey.receipt import receipt_view
    app = _own(app_id)
    view = receipt_view(journey(), app, journey().env.store.progress.get(app.id))
    return render_template("receipt.html", receipt=view)


@blueprint.get("/progress/<app_id>/receipt.pdf")
def receipt_pdf(app_id):
    from ..journey.receipt import receipt_pdf as pdf
    from ..journey.receipt import receipt_view
    app = _own(app_id)
    response = make_response(pdf(receipt_view(journey(), app, journey().env.store.progress.get(app.id))))
    response.headers["Content-Type"] = "application/pdf"
    name = re.sub(r"[^A-Za-z0-9_-]", "", app.reference)
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{name}.pdf"'
    return response


@blueprint.get("/progress/<app_id>/qr.svg")
def qr(app_id):
    from ..journey.receipt import qr_svg
    app = _own(app_id)
    response = make_response(qr_svg(app.reference))
    response.headers["Content-Type"] = "image/svg+xml"
    return response
