"""Pages of the local simulators (only registered when SERVICES=simulator).

The face-verification hand-off lets a tester pick a demo persona and pass or fail; the
SMS outbox shows the codes that were "sent", since no real SMS leaves this machine. The page is
named by the check's ticket, not its token (URLs are logged), and sends the browser back to the
platform without either: the platform knows which check it started.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request

from ..services import ServiceError
from ..services.face_sim import FaceSimulator
from . import csrf
from .common import journey, no_store

blueprint = Blueprint("sim", __name__)


@blueprint.after_request
def _headers(response):
    return no_store(response)


def _token(ticket: str) -> str:
    face = journey().env.services.face
    token = face.token_of(ticket) if isinstance(face, FaceSimulator) else None
    if token is None:
        abort(404)
    return token


@blueprint.get("/sim/face/<ticket>")
def face(ticket):
    services = journey().env.services
    result = services.face.result(_token(ticket))
    if result.status != "pending":
        abort(404)
    return render_template("sim_face.html", role=result.role, personas=services.personas)


@blueprint.post("/sim/face/<ticket>")
def face_done(ticket):
    """Browser form (CSRF-checked) or JSON from an API client: {persona, passed}."""
    services = journey().env.services
    token = _token(ticket)
    if request.is_json:
        data = request.get_json(silent=True) or {}
        persona, passed = str(data.get("persona", "")), bool(data.get("passed", True))
    else:
        csrf.protect()
        persona, passed = request.form.get("persona", ""), request.form.get("result") == "pass"
    before = services.face.result(token)
    try:
        services.face.complete(token, persona, passed)
    except ServiceError as exc:
        if request.is_json:
            return jsonify({"error": exc.code}), 422
        abort(422)
    if request.is_json:
        return jsonify({"status": "passed" if passed else "failed"})
    return redirect(before.return_to or "/")


@blueprint.get("/dev/sms")
def outbox():
    return render_template("outbox.html", messages=list(reversed(journey().env.services.sms_gateway.outbox())))
