"""CSRF tokens for the HTML forms: one random token per session, checked on every POST."""
from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

from .headers import from_this_site


def token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def protect(first_post: tuple[str, ...] = ()) -> None:
    """Every POST carries the session's token. `first_post`: endpoints a browser may post to before
    it has a session (the home page makes none, so it has no token to send): taken then only from
    this site's own pages (Sec-Fetch-Site, Origin)."""
    if request.method != "POST":
        return
    if request.endpoint in first_post and "csrf" not in session:
        if not from_this_site():
            abort(400, description="csrf")
        return
    sent = request.form.get("_csrf") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="csrf")

