"""Size limits of uploads and of the requests that carry them.

Two limits, so that a file too large is an error next to its field and not a lost form:
- each file: `UPLOAD_MAX_MB` (5; store/imaging.py Limits.max_bytes), checked by the journey
  (journey/uploads.py) while the rest of the posted form is kept and shown again;
- a whole multipart request to the endpoints that take files (the pages' posts, the htmx
  refresh, the API's upload): `UPLOAD_REQUEST_MAX_MB` (40), large enough for a few photos at
  the per-file limit. Werkzeug keeps file parts of a large request in temporary files, and only
  `max_bytes + 1` of a file are read, so a big file never sits whole in memory.
Any other request keeps Flask's MAX_CONTENT_LENGTH.

A request over its limit is refused before its body is read (Werkzeug's RequestEntityTooLarge):
the API answers 413 problem+json `request.too_large`; a page is shown again from the saved draft
with the same message in Chinese (what the citizen had saved stays; nothing of this post could be
read), never Werkzeug's English page.
Other per-application limits (count and bytes of stored files) are in Limits too: UPLOAD_MAX_FILES
(20), UPLOAD_QUOTA_MB (30); UPLOAD_MAX_MEGAPIXELS (25) refuses decompression bombs.
"""
from __future__ import annotations

import os

from flask import Flask, current_app, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from .. import catalog
from ..errors import GovflowError
from ..store.imaging import Limits, megabytes
from . import errors, html
from .common import problem_response

FILE_ENDPOINTS = frozenset({"html.post", "html.refresh", "api.upload"})
MB = 1024 * 1024


def default_config(env=os.environ) -> dict:
    def number(name: str, default: float) -> float:
        return float(env.get(name) or default)
    return {"UPLOAD_MAX_MB": number("UPLOAD_MAX_MB", 5), "UPLOAD_MAX_MEGAPIXELS": number("UPLOAD_MAX_MEGAPIXELS", 25),
            "UPLOAD_MAX_FILES": int(number("UPLOAD_MAX_FILES", 20)),
            "UPLOAD_QUOTA_MB": number("UPLOAD_QUOTA_MB", 30),
            "UPLOAD_REQUEST_MAX_MB": number("UPLOAD_REQUEST_MAX_MB", 40)}


def upload_limits(config: dict) -> Limits:
    return Limits(max_bytes=int(float(config["UPLOAD_MAX_MB"]) * MB),
                  max_pixels=int(float(config["UPLOAD_MAX_MEGAPIXELS"]) * 1_000_000),
                  max_files=int(config["UPLOAD_MAX_FILES"]),
                  max_total_bytes=int(float(config["UPLOAD_QUOTA_MB"]) * MB))


def _raise_for_files() -> None:
    if request.endpoint in FILE_ENDPOINTS and request.mimetype == "multipart/form-data":
        request.max_content_length = int(float(current_app.config["UPLOAD_REQUEST_MAX_MB"]) * MB)


def _too_large(exc: RequestEntityTooLarge):
    if request.endpoint not in FILE_ENDPOINTS:
        return errors._http_error(exc)
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH") or 0
    # nothing of the body is read: the page is drawn as if nothing was posted (reading the form
    # again would raise again)
    request.form = ImmutableMultiDict()
    request.files = ImmutableMultiDict()
    problem = catalog.problem("request.too_large", "", limit=f"{megabytes(int(limit))}MB")
    if request.endpoint.startswith("api."):
        return problem_response(413, problem.message, [problem], code="request.too_large")
    args = request.view_args or {}
    try:
        draft = html._draft(args["app_id"])
        page_id = args["page_id"] if html.journey().can_open(draft, args["page_id"]) else draft.current
        return html._render(draft, page_id, None, [problem], status=413)
    except (GovflowError, KeyError):
        return errors.respond(413, "request.too_large", limit=f"{megabytes(int(limit))}MB")


def register(app: Flask) -> None:
    app.before_request(_raise_for_files)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
