"""Helpers shared by the HTML and API blueprints: the engine, owners, problem+json, no-store."""
from __future__ import annotations

import hashlib

from flask import current_app, jsonify

from ..errors import Problem


def engine():
    return current_app.extensions["govflow"]


def engine_for(app):
    """The engine of the definitions this application started under (pinned versions)."""
    return engine().bound(app)


def owner_of_token(token: str) -> str:
    return "api:" + hashlib.sha256(token.encode()).hexdigest()


def problem_response(status: int, title: str, problems: list[Problem] = (), code: str | None = None, **extra):
    """RFC 9457 problem details with one `errors` entry per problem (path, code, message)."""
    body = {"type": f"about:blank#{code}" if code else "about:blank", "title": title, "status": status,
            "errors": [{"path": p.path, "code": p.code, "message": p.message, **({"basis": p.hint} if p.hint else {})}
                       for p in problems if p.severity == "error"]}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def no_store(response):
    """Pages and answers with personal data must not be kept by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
