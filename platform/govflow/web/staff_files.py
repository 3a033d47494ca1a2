"""Staff pages: every file of an archived definition bundle in the YAML editor, read-only, and 试改.

GET  /staff/versions/<version>/files               the bundle's files
GET  /staff/versions/<version>/files/<path:name>   one file in the editor, read-only (?try=1: 试改)
POST /staff/versions/<version>/check               fields `name`, `text`: the checker's problems

试改 saves nothing anywhere: the check loads that bundle with the one file replaced by the posted
text (definitions/edits.py, the real checker) and answers `{"problems": [...]}` (editor_json), which
the editor (renderers/html/editor/) shows at their lines and lists under the editor. Without
JavaScript the page's form posts the same fields and gets the page again with the list drawn.
Files of a version never change, so they are read from the archive once and kept (a few versions).
"""
from __future__ import annotations

import re

from flask import current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..catalog import has as has_msg
from ..catalog import text as msg
from ..definitions.edits import caused_by_edit, check_edit, check_files
from ..errors import Problem
from . import errors
from .common import journey
from .staff import blueprint

TEXT_MAX_BYTES = 256 * 1024
CACHED_VERSIONS = 4
_CACHE = "govflow.staff_files"


class _Archived:
    """One version's files (relative path -> text) and, once asked for, its own problems."""

    def __init__(self, files: dict[str, str]):
        self.files = files
        self._before: list[Problem] | None = None

    def before(self) -> list[Problem]:
        if self._before is None:
            self._before = check_files(self.files)
        return self._before


def archived(version: str) -> _Archived | None:
    """The files of bundle `version` from the store's archive; None when there is no such bundle."""
    cache: dict[str, _Archived] = current_app.extensions.setdefault(_CACHE, {})
    found = cache.get(version)
    if found is None:
        try:
            files = journey().bundles.files(version)
        except LookupError:
            return None
        while len(cache) >= CACHED_VERSIONS:
            cache.pop(next(iter(cache)))
        found = cache[version] = _Archived(files)
    return found


def editor_json(problems: list[Problem], name: str) -> dict:
    """The editor's answer: each problem with its line in file `name` (null when it has none, or
    when it is in another file, which the message then names with its line)."""
    out = []
    for p in problems:
        mine = p.file in (name, None)
        message = p.message
        if not mine:
            message = (msg("edit.in_file", file=p.file, line=p.line, message=p.message) if p.line
                       else msg("edit.in_file_no_line", file=p.file, message=p.message))
        out.append({"line": p.line if mine else None, "severity": "warning" if p.severity == "warning" else "error",
                    "code": p.code, "message": message, "hint": p.hint})
    return {"problems": out}


def _refusal(status: int, code: str, **values):
    problem = Problem(code, "", msg(code, **values))
    response = jsonify(editor_json([problem], ""))
    response.status_code = status
    return response


def _not_found(message: str, version: str):
    return render_template("staff/files.html", version=version, files=None, error=message), 404


@blueprint.get("/versions/<version>/files")
def version_files(version):
    found = archived(version)
    if found is None:
        return _not_found(msg("edit.unknown_version"), version)
    files = [(name, len(text.encode("utf-8"))) for name, text in sorted(found.files.items())]
    return render_template("staff/files.html", version=version, files=files, error=None,
                           current=journey().env.bundle)


def _file_page(version: str, name: str, text: str, trying: bool, problems: dict | None = None, status: int = 200):
    return render_template("staff/file.html", version=version, name=name, text=text, trying=trying,
                           problems=problems["problems"] if problems else None,
                           check_url=url_for("staff.version_check", version=version)), status


@blueprint.get("/versions/<version>/files/<path:name>")
def version_file(version, name):
    found = archived(version)
    if found is None:
        return _not_found(msg("edit.unknown_version"), version)
    if name not in found.files:
        return _not_found(msg("staff.files.unknown_file"), version)
    return _file_page(version, name, found.files[name], trying=request.args.get("try") == "1")


def _wants_json() -> bool:
    """JSON (the editor's fetch), unless the request prefers a page (the form posted without JavaScript)."""
    accept = request.accept_mimetypes
    return not accept or accept.best_match(["text/html", "application/json"]) != "text/html"


_KEPT_ESCAPE = re.compile(r"%[89A-F][0-9A-F]")


def _not_utf8(value: str) -> bool:
    """The posted field was not UTF-8: a multipart field's bad bytes are decoded to U+FFFD; an
    urlencoded one's are left as their upper-case escapes (%FF). (The raw body is gone by now: the
    CSRF check read the form.) The page's own form is multipart, as is the editor's post."""
    if "\ufffd" in value:
        return True
    return request.mimetype == "application/x-www-form-urlencoded" and bool(_KEPT_ESCAPE.search(value))


@blueprint.post("/versions/<version>/check")
def version_check(version):
    """The problems of bundle `version` with file `name` replaced by `text` (nothing is saved)."""
    found = archived(version)
    if found is None:
        return _refusal(404, "edit.unknown_version") if _wants_json() else \
            _not_found(msg("edit.unknown_version"), version)
    name, text = request.form.get("name", ""), request.form.get("text", "")
    if len(text.encode("utf-8")) > TEXT_MAX_BYTES:
        return _refusal(413, "edit.too_large", kb=TEXT_MAX_BYTES // 1024)
    if _not_utf8(text) or _not_utf8(name):
        return _refusal(400, "edit.not_utf8")
    text = text.replace("\r\n", "\n")                 # a form posts its textarea with CRLF
    problems = caused_by_edit(check_edit(found.files, name, text), name, found.before())
    answer = editor_json(problems, name)
    if _wants_json():
        return jsonify(answer)
    return _file_page(version, name, text, trying=True, problems=answer)


def _refused(exc: HTTPException):
    """A check refused before it ran (no CSRF token, another site's post, a form too large for the
    server to read at all): for the editor, the same JSON with the reason in Chinese."""
    if request.endpoint != "staff.version_check" or not _wants_json():
        return errors._http_error(exc)
    if isinstance(exc, RequestEntityTooLarge):
        return _refusal(413, "edit.too_large", kb=TEXT_MAX_BYTES // 1024)
    code = errors._REASONS.get(str(exc.description), f"http.{exc.code}")
    return _refusal(exc.code or 400, code if has_msg(code) else "http.other")


for _status in (400, 403, 413):     # by status: the app's own handler of 413 would come first otherwise
    blueprint.register_error_handler(_status, _refused)
