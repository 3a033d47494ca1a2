"""Abuse of the citizen side: creating applications and sending SMS codes are limited per client
address (and SMS codes per application), never per phone alone, so one person cannot block
another's phone; the API answers 429 problem+json with Retry-After, the pages a Chinese message
with the wait."""
from __future__ import annotations

import pytest

from apptools import make_app
from walkers import ApiWalker, HtmlWalker

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)

VICTIM_PHONE = "13800138001"


@pytest.fixture
def app(tmp_path, definitions, database, db_url):
    app = make_app(tmp_path, definitions, DATABASE_URL=db_url, APPLICATIONS_PER_ADDRESS_PER_HOUR=3,
                   SMS_PER_ADDRESS_PER_HOUR=8)
    yield app
    app.extensions["govflow"].env.store.close()


def _client(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _at_info(app, address, persona="mainland_adult"):
    walker = ApiWalker(_client(app, address), app)
    walker.create()
    walker.verify(persona)
    walker.eligibility()
    walker.upload_page()
    walker.photo_page()
    return walker


def test_creating_applications_is_limited_per_address_over_the_api(app):
    client = _client(app, "203.0.113.9")
    for _ in range(3):
        assert client.post("/api/v1/applications", json={"flow": "sscard_adult"}).status_code == 201
    r = client.post("/api/v1/applications", json={"flow": "sscard_adult"})
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    assert 3500 < int(r.headers["Retry-After"]) <= 3600
    body = r.get_json()
    assert body["errors"][0]["code"] == "application.too_many" and "分钟后再试" in body["errors"][0]["message"]
    assert _client(app, "198.51.100.7").post("/api/v1/applications", json={"flow": "sscard_adult"}).status_code == 201


def test_creating_applications_is_limited_per_address_in_the_pages(app):
    client = _client(app, "203.0.113.9")
    for _ in range(3):
        assert client.post("/start/sscard_adult").status_code == 302
    r = client.post("/start/sscard_adult", data={"_csrf": _token(client)})
    assert r.status_code == 429 and "创建申请过于频繁，请60分钟后再试" in r.get_data(as_text=True)
    assert _client(app, "198.51.100.7").post("/start/sscard_adult").status_code == 302


def _token(client) -> str:
    import re
    return re.search(r'name="_csrf" value="([^"]*)"', client.get("/").get_data(as_text=True)).group(1)


def test_an_attacker_cannot_lock_the_victims_phone_out(app):
    attacker = _at_info(app, "203.0.113.9")
    sent = 0
    for _ in range(6):
        r = attacker.client.post(f"/api/v1/applications/{attacker.id}/pages/info/sms", headers=attacker.headers,
                                 json={"field": "mobile_code", "phone": VICTIM_PHONE})
        sent += r.status_code == 200
    assert sent == 1                                      # 60 s between codes of one application
    # the victim, on their own application from their own address, gets a code at once (a per-phone
    # limit refused it: "发送过于频繁")
    victim = _at_info(app, "198.51.100.7")
    assert victim.sms("info", "mobile_code", VICTIM_PHONE)


def test_sms_codes_are_limited_per_address_with_retry_after(app):
    walkers = [_at_info(app, "203.0.113.9") for _ in range(3)]
    phones = [f"1380013{i:04d}" for i in range(9)]
    for i, phone in enumerate(phones[:8]):
        walkers[i % 3].sms("info", "mobile_code", phone)
    w = walkers[0]
    r = w.client.post(f"/api/v1/applications/{w.id}/pages/info/sms", headers=w.headers,
                      json={"field": "mobile_code", "phone": phones[8]})
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    assert r.get_json()["errors"][0]["code"] == "sms.too_many" and int(r.headers["Retry-After"]) > 3500
    # another address is not affected
    other = _at_info(app, "198.51.100.7")
    assert other.sms("info", "mobile_code", phones[8])


def test_sms_refusal_in_the_pages_names_the_wait(app):
    store = app.extensions["govflow"].env.store
    # the address has used its 8 codes of the hour
    from datetime import timedelta

    from govflow.store.throttle import Limit
    for _ in range(8):
        store.throttle.hit("sms", "203.0.113.9")
    assert store.throttle.wait(Limit("sms", 8, timedelta(hours=1)), "203.0.113.9") > 0
    web = HtmlWalker(_client(app, "203.0.113.9"), app)
    web.walk_to_info()
    r = web.client.post(f"/a/{web.id}/info/sms/mobile_code", data={"_csrf": web._csrf(), "mobile": VICTIM_PHONE})
    assert r.status_code == 303                 # Post/Redirect/Get: the refusal is shown by the page it leads to
    r = web.client.get(r.headers["Location"])
    assert r.status_code == 200 and 'data-code="sms.too_many"' in r.get_data(as_text=True)
    assert "验证码获取次数过多，请60分钟后再试" in r.get_data(as_text=True)
