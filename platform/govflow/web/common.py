"""Helpers shared by the HTML and API blueprints: the journey, one step's transaction,
owners, problem+json, no-store."""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import timedelta
from io import BytesIO
from typing import Iterator

from flask import current_app, jsonify, request, send_file

from ..errors import NotFound, Problem
from ..journey import Draft, Journey
from ..store.throttle import Limit


def journey() -> Journey:
    return current_app.extensions["govflow"]


def load_draft(app_id: str, owner: str, lock: bool = False) -> Draft:
    """The owner's application as a Draft under the definitions it started with (404 otherwise:
    never confirm that someone else's application exists)."""
    app = journey().env.store.applications.get(app_id, owner=owner, lock=lock)
    if app is None:
        raise NotFound("application.not_found")
    return journey().draft(app)


@contextmanager
def step(app_id: str, owner: str) -> Iterator[Draft]:
    """One citizen step as one unit of work: the draft is loaded with the write lock held, and
    everything the step does (decisions, uploads, saves) commits together at the end."""
    with journey().env.store.transaction():
        yield load_draft(app_id, owner, lock=True)


def htmx() -> bool:
    """Whether htmx sent the request (a fragment is answered, or HX-Redirect)."""
    return request.headers.get("HX-Request") == "true"


def client_address() -> str:
    """The client's address: the peer, or, when the peer is one of the trusted reverse proxies
    (FORWARDED_ALLOW_IPS, as gunicorn's), the last address it appended to X-Forwarded-For."""
    peer = request.remote_addr or ""
    trusted = {a.strip() for a in str(current_app.config.get("FORWARDED_ALLOW_IPS", "")).split(",")}
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and (peer in trusted or "*" in trusted):
        return forwarded.split(",")[-1].strip()[:64] or peer
    return peer


def creation_wait() -> int:
    """Count one new application for this client address; the seconds to wait when over the
    hourly limit (APPLICATIONS_PER_ADDRESS_PER_HOUR), 0 when counted. Call inside the step's transaction."""
    limit = Limit("application", int(current_app.config.get("APPLICATIONS_PER_ADDRESS_PER_HOUR", 20)),
                  timedelta(hours=1))
    return journey().env.store.throttle.check_and_hit([(limit, client_address())])


def owner_of_token(token: str) -> str:
    return "api:" + hashlib.sha256(token.encode()).hexdigest()


def problem_response(status: int, title: str, problems=(), code: str | None = None, **extra):
    """RFC 9457 problem details with one `errors` entry per problem (path, code, message)."""
    body = {"type": f"about:blank#{code}" if code else "about:blank", "title": title, "status": status,
            "errors": [{"path": p.path, "code": p.code, "message": p.message, **({"basis": p.hint} if p.hint else {})}
                       for p in problems if p.severity == "error"]}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def image(data: bytes, mimetype: str, name: str):
    """An image as the server names it (never the citizen's file name), shown in the page, and
    not to be sniffed into anything else by the browser."""
    response = send_file(BytesIO(data), mimetype=mimetype)
    extension = {"image/jpeg": "jpg", "image/png": "png"}.get(mimetype, "bin")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.{extension}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def no_store(response):
    """Pages and answers with personal data must not be kept by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


__all__ = ["journey", "load_draft", "step", "client_address", "creation_wait", "sms_limits", "owner_of_token",
           "problem_response", "no_store", "image", "Problem"]


def sms_limits() -> dict:
    """The sender of an SMS code, for the per-address limit of store/codes.py."""
    return {"client": client_address(), "per_client": int(current_app.config.get("SMS_PER_ADDRESS_PER_HOUR", 20))}
