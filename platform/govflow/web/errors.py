"""Errors become responses here, in one place: the journey's, the store's and the outside
services' error types, and HTTP errors. API paths get problem+json with a stable code;
pages get the site's layout with the message in Chinese. An English Werkzeug page never
reaches a citizen; an unexpected error is logged with its traceback and answered with 500.
"""
from __future__ import annotations

from flask import Flask, current_app, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .. import catalog
from ..errors import GovflowError, Problem
from ..services import ServiceError
from .common import no_store, problem_response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.mimetype == "application/json"


def respond(status: int, code: str, **values):
    message = catalog.text(code, **values)
    if _wants_json():
        return problem_response(status, message, [Problem(code, "", message)], code=code)
    response = render_template("error.html", message=message, code=code, status=status), status
    return response


def _govflow_error(exc: GovflowError):
    problems = getattr(exc, "problems", None)       # web/bodies.BodyRefused: one entry per reason
    if problems and _wants_json():
        title = problems[0].message if len(problems) == 1 else catalog.text("validation")
        return problem_response(exc.status, title, problems, code=exc.code)
    return respond(exc.status, exc.code)


def _service_error(exc: ServiceError):
    return respond(503, "service.unavailable")


_REASONS = {"csrf": "http.csrf", "cross_site": "http.cross_site"}    # abort(status, description=...)


def _http_error(exc: HTTPException):
    status = exc.code or 500
    code = _REASONS.get(str(exc.description), f"http.{status}")
    response = respond(status, code if code in catalog.catalog() else "http.other")
    methods = getattr(exc, "valid_methods", None)
    if status == 405 and methods:
        response = no_store(make_response(response))
        response.headers["Allow"] = ", ".join(methods)
    return response


def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    original = getattr(exc, "original_exception", None) or exc
    current_app.logger.error("unexpected error on %s %s", request.method, request.path, exc_info=original)
    return respond(500, "http.500")


def register(app: Flask) -> None:
    app.register_error_handler(GovflowError, _govflow_error)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
