"""CSRF tokens for the HTML forms: one random token per session, checked on every POST."""
from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session


def token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def protect() -> None:
    if request.method != "POST":
        return
    sent = request.form.get("_csrf") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="csrf")
