"""How a citizen reads the site: 长辈版 (large text and targets, after the MIIT 适老化 guidance)
and 简体 / 繁體 (hant.py). Each is a link in the page header to a GET that sets a cookie and
redirects back to the page it came from, so both work without JavaScript (and with it the
same link is followed). 长辈版 lasts for the visit (a browser-session cookie); the script is
kept for a year. The JSON API takes the script from Accept-Language (zh-Hant, zh-HK, zh-MO,
zh-TW) when the cookie does not say it.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, redirect, request
from werkzeug.exceptions import HTTPException

from .. import hant
from .common import no_store

blueprint = Blueprint("prefs", __name__)
LARGE, SCRIPT = "gf_large", "gf_script"
HANT = "hant"
_HANT_TAGS = ("zh-hant", "zh-hk", "zh-mo", "zh-tw")
YEAR = 365 * 24 * 3600


def large() -> bool:
    return request.cookies.get(LARGE) == "1"


def wants_hant() -> bool:
    chosen = request.cookies.get(SCRIPT)
    if chosen is not None:
        return chosen == HANT
    if not request.path.startswith("/api/"):
        return False
    accepted = request.accept_languages
    best = accepted.best_match(["zh-CN", *_HANT_TAGS], default="")
    return best.lower() in _HANT_TAGS


def _back():
    """Back to the page the link was on (`next`, a path on this site), else the home page."""
    target = request.args.get("next") or ""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        target = (request.script_root or "") + "/"
    return no_store(redirect(target, code=303))


@blueprint.get("/prefs/large/<state>")
def set_large(state):
    response = _back()
    if state == "on":
        response.set_cookie(LARGE, "1", httponly=True, samesite="Lax", path="/")
    else:
        response.delete_cookie(LARGE, path="/")
    return response


@blueprint.get("/prefs/script/<name>")
def set_script(name):
    response = _back()
    response.set_cookie(SCRIPT, HANT if name == HANT else "hans", max_age=YEAR, httponly=True,
                        samesite="Lax", path="/")
    return response


def _here() -> str:
    """This page's address to come back to: after a POST, its path if a GET shows it (a page
    re-shown with its errors), else the home page."""
    root = request.script_root or ""
    if request.method == "GET":
        return root + request.full_path.rstrip("?")
    try:
        current_app.url_map.bind("").match(request.path, method="GET")
    except HTTPException:
        return root + "/"
    return root + request.path


def _prefs() -> dict:
    return {"large_text": large(), "hant": hant.active(), "lang": hant.LANG if hant.active() else "zh-CN",
            "here": _here()}


def _start():
    g.hant_token = hant.use(wants_hant())


def _end(_exc=None):
    token = g.pop("hant_token", None)
    if token is not None:
        hant.reset(token)


def register(app: Flask) -> None:
    app.before_request(_start)
    app.teardown_request(_end)
    app.context_processor(lambda: {"prefs": _prefs})
    app.jinja_env.finalize = hant.text
    app.jinja_env.filters["verbatim"] = hant.verbatim
    app.register_blueprint(blueprint)
