"""Citizen sessions: no row for an anonymous visit, cookie attributes over http and https, a new id
after face and after SMS verification (the old cookie opens nothing), 退出 ends the session on the
server, idle and absolute expiry keep the draft, and 继续办理 after a new face verification finds the
draft of that person only (a draft belongs to the verified person, not to a cookie)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from walkers import ADULT_INFO, HtmlWalker

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)
CLOCKED = True                               # the app runs on the `clock` fixture (conftest.py)




@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def _rows(app) -> int:
    with app.extensions["govflow"].env.store.session() as db:
        return db.execute(text("SELECT COUNT(*) FROM web_sessions")).scalar_one()


def _cookie(client, name="session"):
    found = client.get_cookie(name)
    return found.value if found else None


def _token(html: str) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', html).group(1)


def _eligibility_done(web, persona="mainland_adult"):
    web.start()
    assert web.verify(persona).headers["Location"].endswith("/eligibility")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    assert web.location().endswith("/upload")


def _resume(client, persona: str):
    """继续办理 from the index: face verification, then the list of that person's drafts."""
    found = re.search(r'name="_csrf" value="([^"]*)"', client.get("/").get_data(as_text=True))
    r = client.post("/resume", data={"_csrf": found.group(1) if found else ""})
    assert r.status_code == 302 and r.headers["Location"].startswith("/sim/face/")
    face = r.headers["Location"]
    page = client.get(face).get_data(as_text=True)
    r = client.post(face, data={"_csrf": _token(page), "persona": persona, "result": "pass"})
    assert r.headers["Location"].startswith("/resume/return")
    r = client.get(r.headers["Location"])
    assert r.status_code == 302 and r.headers["Location"] == "/resume"
    return client.get("/resume")


def test_an_anonymous_visit_of_the_index_makes_no_session(app):
    client = app.test_client()
    r = client.get("/")
    assert r.status_code == 200 and "Set-Cookie" not in r.headers
    assert "退出" not in r.get_data(as_text=True)
    assert _rows(app) == 0
    # starting an application from that page (no token yet) makes the session then
    r = client.post("/start/sscard_adult")
    assert r.status_code == 302 and _rows(app) == 1
    # ... but not from another site (refused for every post: web/headers.py)
    other = app.test_client()
    assert other.post("/start/sscard_adult", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert other.post("/start/sscard_adult", headers={"Origin": "https://evil.example"}).status_code == 403
    assert _rows(app) == 1


def test_cookie_attributes_over_http_and_https(app):
    plain = app.test_client().post("/start/sscard_adult").headers["Set-Cookie"]
    assert plain.startswith("session=") and "HttpOnly" in plain and "SameSite=Lax" in plain and "Path=/" in plain
    assert "Secure" not in plain
    secure = app.test_client().post("/start/sscard_adult", base_url="https://localhost").headers["Set-Cookie"]
    assert secure.startswith("__Host-session=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert attribute in secure
    assert "Domain" not in secure
    # over https the plain name opens nothing
    client = app.test_client()
    r = client.post("/start/sscard_adult", base_url="https://localhost")
    page = r.headers["Location"]
    assert client.get(page, base_url="https://localhost").status_code == 200
    sid = _cookie(client, "__Host-session")
    other = app.test_client()
    other.set_cookie("session", sid)
    assert other.get(page, base_url="https://localhost").status_code == 404


def test_behind_the_proxy_https_is_taken_from_x_forwarded_proto(app):
    from werkzeug.middleware.proxy_fix import ProxyFix  # what gunicorn's forwarded_allow_ips does
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)
    r = app.test_client().post("/start/sscard_adult", headers={"X-Forwarded-Proto": "https"})
    assert r.headers["Set-Cookie"].startswith("__Host-session=") and "Secure" in r.headers["Set-Cookie"]


def test_the_session_id_is_renewed_after_face_verification(app, web):
    web.start()
    before = _cookie(web.client)
    assert web.verify("mainland_adult").headers["Location"].endswith("/eligibility")
    after = _cookie(web.client)
    assert after and after != before
    assert web.get("eligibility").status_code == 200
    stale = app.test_client()
    stale.set_cookie("session", before)
    assert stale.get(f"/a/{web.id}/eligibility").status_code == 404
    assert _rows(app) == 1


def test_the_session_id_is_renewed_after_sms_verification(app, web):
    web.walk_to_info()
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001"}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    before = _cookie(web.client)
    web.post("info", "next", data, expect=302)
    after = _cookie(web.client)
    assert after and after != before
    assert web.get("pickup").status_code == 200
    stale = app.test_client()
    stale.set_cookie("session", before)
    assert stale.get(f"/a/{web.id}/pickup").status_code == 404


def test_logout_ends_the_session_on_the_server(app, web):
    _eligibility_done(web)
    page = web.get("upload").get_data(as_text=True)
    assert 'action="/logout"' in page and "退出" in page
    old = _cookie(web.client)
    r = web.client.post("/logout", data={"_csrf": web._csrf()})
    assert r.status_code == 302 and r.headers["Location"] == "/?ended=1"
    assert "session=;" in r.headers["Set-Cookie"] or "Expires=Thu, 01 Jan 1970" in r.headers["Set-Cookie"]
    assert _rows(app) == 0
    home = web.client.get("/?ended=1").get_data(as_text=True)
    assert 'data-code="session.ended"' in home
    stale = app.test_client()
    stale.set_cookie("session", old)
    assert stale.get(f"/a/{web.id}/upload").status_code == 404
    # a forged logout (no token) ends nothing
    _eligibility_done(web := HtmlWalker(app.test_client(), app))
    assert web.client.post("/logout", data={"_csrf": "forged"}).status_code == 400
    assert web.get("upload").status_code == 200


def test_pages_carry_the_expiry_warning(app, web):
    web.start()
    page = web.get("guide").get_data(as_text=True)
    assert 'data-session-expires="900"' in page and 'data-session-warn="120"' in page
    assert 'id="session-warning"' in page and "{seconds}秒后自动退出" in page
    assert web.client.get("/session/ping").status_code == 204
    assert 'data-session-expires' not in app.test_client().get("/").get_data(as_text=True)


def test_idle_expiry_keeps_the_draft_and_resume_after_face_verification_opens_it(app, web, clock):
    _eligibility_done(web)
    store = app.extensions["govflow"].env.store
    clock.advance(minutes=14)
    assert web.get("upload").status_code == 200          # used again: the idle window starts again
    clock.advance(minutes=16)
    assert web.get("upload").status_code == 404          # expired: the cookie opens nothing
    assert 'data-code="session.expired"' in web.text()   # ... and the page says why and what to do
    assert "Expires=Thu, 01 Jan 1970" in web.last.headers["Set-Cookie"]
    kept = store.applications.get(web.id)
    assert kept is not None and kept.status == "draft" and kept.answers["eligibility"]["issuing_city"] == "440100"
    listing = _resume(web.client, "mainland_adult")
    html = listing.get_data(as_text=True)
    assert f'data-application="{web.id}"' in html and "社保卡申领" in html
    r = web.client.post(f"/resume/{web.id}", data={"_csrf": _token(html)})
    assert r.status_code == 302 and r.headers["Location"] == f"/a/{web.id}/"
    r = web.client.get(r.headers["Location"])
    assert r.headers["Location"].endswith("/upload")
    assert web.client.get(r.headers["Location"]).status_code == 200
    assert store.applications.get(web.id).answers["eligibility"]["issuing_city"] == "440100"


def test_the_absolute_limit_ends_a_busy_session_too(app, web, clock):
    _eligibility_done(web)
    for _ in range(23):
        clock.advance(minutes=10)
        assert web.get("upload").status_code == 200
    clock.advance(minutes=11)                            # 4 h 1 min after it began
    assert web.get("upload").status_code == 404
    assert app.extensions["govflow"].env.store.applications.get(web.id).status == "draft"


def test_another_person_does_not_see_or_open_the_draft(app, web, clock):
    _eligibility_done(web)
    web.client.post("/logout", data={"_csrf": web._csrf()})
    stranger = app.test_client()
    html = _resume(stranger, "hong_kong_resident").get_data(as_text=True)
    assert web.id not in html and 'data-code="ui.drafts_none"' in html
    assert stranger.post(f"/resume/{web.id}", data={"_csrf": _token(html)}).status_code == 404
    assert stranger.get(f"/a/{web.id}/upload").status_code == 404
    # the owner, verified again, finds it (the draft belongs to the person, not to the old cookie)
    html = _resume(web.client, "mainland_adult").get_data(as_text=True)
    assert f'data-application="{web.id}"' in html


def test_resume_needs_the_face_check_of_this_session(app, web):
    client = app.test_client()
    assert client.get("/resume/return?token=made-up").status_code == 404
    assert client.get("/resume").headers["Location"] == "/"
    r = client.post("/resume")
    face = r.headers["Location"]
    page = client.get(face).get_data(as_text=True)
    r = client.post(face, data={"_csrf": _token(page), "persona": "mainland_adult", "result": "fail"})
    assert client.get(r.headers["Location"]).status_code == 409
    assert client.get("/resume").headers["Location"] == "/"


def test_resume_by_a_person_the_registry_does_not_know_is_refused_not_a_500(app, monkeypatch):
    registry = app.extensions["govflow"].env.services.people
    monkeypatch.setattr(registry, "person", lambda person_id: None)
    client = app.test_client()
    face = client.post("/resume").headers["Location"]
    page = client.get(face).get_data(as_text=True)
    r = client.post(face, data={"_csrf": _token(page), "persona": "mainland_adult", "result": "pass"})
    refused = client.get(r.headers["Location"])
    assert refused.status_code == 409 and "人脸" in refused.get_data(as_text=True)
    assert client.get("/resume").headers["Location"] == "/"


def test_a_face_check_of_a_person_the_registry_does_not_know_is_a_failed_check_not_a_500(app, api, monkeypatch):
    registry = app.extensions["govflow"].env.services.people
    monkeypatch.setattr(registry, "person", lambda person_id: None)
    api.create()
    body = api.verify("mainland_adult")
    assert api.last.status_code < 500 and body["page"] == "guide", body
    assert [e["code"] for e in body["errors"]] == ["face.failed"]


def test_the_person_key_is_a_keyed_hash_not_the_id_number(app, web):
    _eligibility_done(web)
    with app.extensions["govflow"].env.store.session() as db:
        key = db.execute(text("SELECT person_key FROM applications")).scalar_one()
    assert key and len(key) == 64 and "440106198805123510" not in key
