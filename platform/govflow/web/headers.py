"""Hardened answers for the whole app: security headers on every response (citizen and staff
pages, the JSON API, the simulators' pages, static files, errors and redirects) and posts from
other sites refused, in one place.

The Content-Security-Policy allows scripts from this site only: no inline script, no event
handler attribute, no eval (htmx runs with allowEval off, see base.html's htmx-config). Styles
likewise, except on the one staff page that draws a Mermaid diagram (`inline_styles()`). The staff
YAML editor needs no exception: CodeMirror's styles go into a constructed stylesheet of its shadow
root (adoptedStyleSheets, which style-src does not govern), never a style element or attribute.
"""
from __future__ import annotations

from flask import Flask, abort, current_app, g, request

# directive -> sources; `HANDOFF_ORIGINS` (config) is added to form-action (see _policy)
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # photos and uploads are served by the app itself (no data: or blob: previews in app.js)
    "img-src": "'self'",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# Mermaid writes its SVG with a style element and style attributes: that page (staff only,
# behind the login, text labels only: securityLevel strict) allows inline styles, never scripts.
# Mermaid 11 needs no eval (lodash's `Function("return this")` fallback is never reached in a
# browser, where `self` exists), so script-src stays 'self' there too.
INLINE_STYLES = {"style-src": "'self' 'unsafe-inline'"}

HEADERS = {
    "X-Frame-Options": "DENY",                  # frame-ancestors for browsers without CSP level 2
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on this site's own
    # posts, which would defeat the origin check below; same-origin still sends other sites nothing
    "Referrer-Policy": "same-origin",
}

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAFE_FETCH_SITES = frozenset({"same-origin", "none"})


def inline_styles() -> None:
    """This response's page allows inline styles (the staff flow diagram); scripts stay 'self'."""
    g.csp_inline_styles = True


_POLICIES: dict[tuple[bool, str], str] = {}     # (inline styles, HANDOFF_ORIGINS) -> the header's text


def _policy() -> str:
    key = (bool(g.get("csp_inline_styles")), str(current_app.config.get("HANDOFF_ORIGINS") or ""))
    policy = _POLICIES.get(key)
    if policy is None:
        policy = _POLICIES[key] = _policy_text(*key)
    return policy


def _policy_text(inline_styles: bool, handoff_origins: str) -> str:
    directives = dict(CSP)
    if inline_styles:
        directives.update(INLINE_STYLES)
    extra = handoff_origins.split()
    if extra:      # a real face-verification service on another site: the form's redirect goes there
        directives["form-action"] = " ".join([directives["form-action"], *extra])
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _harden(response):
    response.headers["Content-Security-Policy"] = _policy()
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def own_origin() -> str:
    """This site's origin as browsers see it: PUBLIC_ORIGIN when set (behind a proxy that does not
    pass the Host header on), else the scheme and host of the request as the server resolved them
    (behind the proxy: gunicorn takes the scheme from X-Forwarded-Proto of FORWARDED_ALLOW_IPS)."""
    public = str(current_app.config.get("PUBLIC_ORIGIN") or "").strip()
    return (public or request.host_url).rstrip("/").lower()


def from_this_site() -> bool:
    """The request was not sent by another site's page: Sec-Fetch-Site is absent, same-origin or
    none (typed by the user), and Origin is absent or this site's own (`null` is another's)."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in SAFE_FETCH_SITES:
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/").lower() == own_origin()


def _refuse_cross_site():
    """Every unsafe method, on every blueprint. The HTML, 继续办理 and staff pages carry a session
    cookie: their posts also need the CSRF token (csrf.py), this is the second lock. The JSON API
    uses bearer tokens and no cookies, so a cross-site post is no CSRF there; it is refused all the
    same: the API sends no CORS headers, so no legitimate browser caller is on another site, and
    another site must not make its visitors' browsers open drafts or send SMS codes from their
    addresses (the per-address limits). Server-side API clients send neither header and pass."""
    if request.method in UNSAFE_METHODS and not from_this_site():
        abort(403, description="cross_site")


def register(app: Flask) -> None:
    app.before_request(_refuse_cross_site)
    app.after_request(_harden)
