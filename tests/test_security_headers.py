"""Hardened answers (web/headers.py): every route of the app answers with the security headers and
the exact policies, whoever asks and whatever the outcome; no template, widget or script needs
more than the policy allows; posts from other sites are refused, this site's own are taken."""
from __future__ import annotations

import json
import re

import pytest

from apptools import ROOT
from govflow import catalog
from govflow.web import headers
from test_staff_pages import login
from walkers import ApiWalker, HtmlWalker

ROOT_HTML = "renderers/html"
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
          "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# the staff flow page only: Mermaid's SVG carries its own <style>; scripts stay 'self'
DIAGRAM_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
EXPECTED = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
EVIL = "https://evil.example"


def _assert_hardened(response, what: str) -> None:
    assert response.status_code != 500, what
    policy = DIAGRAM_POLICY if re.fullmatch(r"GET /staff/flows/[^/]+ staff", what) and \
        response.status_code == 200 else POLICY
    assert response.headers.get("Content-Security-Policy") == policy, what
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (what, name)


def _values(citizen: HtmlWalker, ticket: str) -> dict:
    """A value for every URL variable of the app's rules: real ones where a real one matters."""
    return {"app_id": citizen.id, "page_id": "eligibility", "flow_id": "sscard_adult", "action_id": "check",
            "filename": "app.js", "field": "mobile_code", "ticket": ticket, "name": "eligibility",
            "upload_id": "nothing", "flow": "sscard_adult", "draft_id": 1, "step": "submit",
            "version": citizen.journey.env.bundle, "fmt": "csv"}         # the files of the current definition bundle


def _urls(app, values: dict):
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        url = adapter.build(rule.endpoint, {a: values.get(a, "x") for a in rule.arguments})
        for method in METHODS:
            if method in (rule.methods or ()):
                yield method, url


def test_every_route_answers_with_the_security_headers(app):
    anonymous = app.test_client()
    citizen = HtmlWalker(app.test_client(), app)
    citizen.start()
    ticket = citizen.post("guide", "start", {"consent": "true"}, expect=302).headers["Location"].rsplit("/", 1)[1]
    staff = app.test_client()
    assert login(staff).status_code == 302
    clients = {"anonymous": anonymous, "citizen": citizen.client, "staff": staff}
    urls = sorted(set(_urls(app, _values(citizen, ticket))), key=lambda mu: mu[0] != "GET")   # GETs first
    assert len({u for _, u in urls}) >= 40                       # the walk covers the whole url_map
    seen_statuses = set()
    for method, url in urls:
        for who, client in clients.items():
            response = client.open(url, method=method)
            seen_statuses.add(response.status_code)
            _assert_hardened(response, f"{method} {url} {who}")
    assert {200, 302, 400, 404} <= seen_statuses                 # pages, redirects and errors alike
    staff_flow = staff.get("/staff/flows/sscard_adult")
    assert staff_flow.status_code == 200
    assert staff_flow.headers["Content-Security-Policy"] == DIAGRAM_POLICY
    assert staff_flow.headers["X-Robots-Tag"] == "noindex"       # staff's own header stays
    # the YAML editor's pages keep the normal policy (CodeMirror's styles: a constructed stylesheet)
    editor = staff.get(f"/staff/versions/{citizen.journey.env.bundle}/files/rules/eligibility.yaml?try=1")
    assert editor.status_code == 200 and editor.headers["Content-Security-Policy"] == POLICY


def test_static_files_errors_and_api_answers_are_hardened_too(app):
    client = app.test_client()
    for response, what in ((client.get("/static/vendor/htmx.min.js"), "static"),
                           (client.get("/nowhere"), "404"),
                           (client.delete("/"), "405"),
                           (client.get("/api/v1/flows"), "api"),
                           (client.post("/api/v1/applications", data="{", content_type="application/json"), "bad json"),
                           (client.post("/start/sscard_adult", headers={"Origin": EVIL}), "cross-site")):
        _assert_hardened(response, what)


def test_face_verification_elsewhere_is_allowed_as_a_form_target(app):
    app.config["HANDOFF_ORIGINS"] = "https://face.example.gov.cn"
    policy = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "form-action 'self' https://face.example.gov.cn" in policy


# -- nothing in the pages needs more than the policy allows -------------------------------------------

def _sources():
    for path in sorted((ROOT / ROOT_HTML / "templates").rglob("*.html")):
        yield path, path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "platform/govflow/web").glob("*.py")):        # HTML built in Python
        yield path, path.read_text(encoding="utf-8")


INLINE = {
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S),
    "inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "inline <style>": re.compile(r"<style", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "hx-on": re.compile(r"\b(data-)?hx-on[\w:.-]*\s*=", re.I),
    "hx-vars (eval)": re.compile(r"\b(data-)?hx-vars\s*=", re.I),
    "js: in hx-vals": re.compile(r"hx-vals\s*=\s*['\"]\s*(js|javascript):", re.I),
    "hx-trigger filter (eval)": re.compile(r"hx-trigger\s*=\s*['\"][^'\"]*\[", re.I),
}


@pytest.mark.parametrize("kind", sorted(INLINE))
def test_no_template_or_widget_needs_inline_script_or_eval(kind):
    found = [f"{path.name}: {m.group(0)[:80]}" for path, text in _sources() for m in INLINE[kind].finditer(text)]
    assert found == [], f"{kind} (the Content-Security-Policy forbids it; use app.js): {found}"


def test_own_scripts_use_no_eval_and_htmx_is_configured_for_the_policy():
    static = ROOT / ROOT_HTML / "static"
    for name in ("app.js", "staff.js"):
        text = (static / name).read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function|setTimeout\(\s*['\"]|insertAdjacentHTML|<style", text), name
    base = (ROOT / ROOT_HTML / "templates/base.html").read_text(encoding="utf-8")
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert config, "htmx must be configured before it starts (a meta tag, not app.js)"
    settings = json.loads(config.group(1))
    assert settings["allowEval"] is False and settings["includeIndicatorStyles"] is False
    assert settings["allowScriptTags"] is False and "style" not in settings["attributesToSettle"]
    assert ".htmx-indicator" in (static / "app.css").read_text(encoding="utf-8")


# -- posts from other sites --------------------------------------------------------------------------

def _refused(response, html=True):
    assert response.status_code == 403
    if html:
        page = response.get_data(as_text=True)
        assert 'data-code="http.cross_site"' in page and catalog.text("http.cross_site") in page
    else:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["errors"][0]["code"] == "http.cross_site"


@pytest.mark.parametrize("sent", [{"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                  {"Origin": "null"}, {"Origin": "http://localhost:8080"},
                                  {"Origin": "https://localhost"}])
def test_posts_from_another_site_are_refused_with_a_chinese_page(app, sent):
    web = HtmlWalker(app.test_client(), app)
    web.start()
    form = {"_csrf": web._csrf(), "_action": "start", "consent": "true"}
    _refused(web.client.post(f"/a/{web.id}/guide", data=form, headers=sent))
    _refused(web.client.post("/start/sscard_adult", headers=sent))
    _refused(web.client.post("/logout", data={"_csrf": web._csrf()}, headers=sent))
    staff = app.test_client()
    _refused(staff.post("/staff/login", data={"username": "staff", "password": "staff-demo"}, headers=sent))
    _refused(app.test_client().post("/api/v1/applications", json={"flow": "sscard_adult"}, headers=sent), html=False)
    # the refused post changed nothing: the guide is still where it was
    assert web.get("guide").status_code == 200 and web.get("eligibility").status_code == 302


def test_posts_from_this_site_are_taken(app):
    web = HtmlWalker(app.test_client(), app)
    same = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    r = web.client.post("/start/sscard_adult", headers=same)
    assert r.status_code == 302
    web.id = r.headers["Location"].split("/")[2]
    form = {"_csrf": web._csrf(), "_action": "start", "consent": "true"}
    assert web.client.post(f"/a/{web.id}/guide", data=form, headers=same).status_code == 302
    assert web.client.post(f"/a/{web.id}/guide", data=form, headers={"Sec-Fetch-Site": "none"}).status_code == 302
    # server-side API clients send neither header
    api = ApiWalker(app.test_client(), app)
    assert api.create()["token"]


def test_behind_a_proxy_the_origin_is_the_public_one(app):
    from werkzeug.middleware.proxy_fix import ProxyFix  # what gunicorn's forwarded_allow_ips does
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https", "Origin": "https://localhost"}
    assert client.post("/start/sscard_adult", headers=https).status_code == 302
    assert client.post("/start/sscard_adult", headers={**https, "Origin": "http://localhost"}).status_code == 403
    # a proxy that does not pass the Host on: PUBLIC_ORIGIN names the site
    app.config["PUBLIC_ORIGIN"] = "https://sscard.example.gov.cn"
    public = {"Origin": "https://sscard.example.gov.cn"}
    assert client.post("/start/sscard_adult", headers=public).status_code == 302
    assert client.post("/start/sscard_adult", headers={"Origin": "http://localhost"}).status_code == 403


def test_the_policy_table_is_the_one_tested():
    assert "; ".join(f"{k} {v}" for k, v in headers.CSP.items()) == POLICY
    assert headers.HEADERS == EXPECTED
