"""Drafts survive a restart; every decision that steers a citizen is in the trail, masked."""
from __future__ import annotations

import io

import pytest

from apptools import make_app
from walkers import ApiWalker

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)


def test_draft_survives_server_restart(tmp_path, definitions, db_url):
    first = make_app(tmp_path, definitions, DATABASE_URL=db_url)
    api = ApiWalker(first.test_client(), first)
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    api.upload_page()
    app_id, token = api.id, api.token

    first.extensions["govflow"].env.store.close()
    second = make_app(tmp_path, definitions, DATABASE_URL=db_url)   # same database, new process state
    again = ApiWalker(second.test_client(), second)
    again.id, again.token = app_id, token
    state = again.state()
    assert state["page"] == "photo" and state["done"] == ["guide", "eligibility", "upload"]
    assert again.photo_page()["page"] == "info"
    _, view = again.page("eligibility")
    assert next(f for f in view["fields"] if f["name"] == "issuing_city")["value"] == "440100"


def test_decision_trail_records_rules_with_masked_facts(api):
    api.create()
    api.verify("two_cards")
    api.eligibility(expect=409)
    body = api.client.get(f"/api/v1/applications/{api.id}/decisions", headers=api.headers).get_json()
    decision = next(d for d in body["decisions"] if d["ruleset"] == "eligibility")
    assert decision["rule_ids"] == ["ELIG-001"]
    assert decision["ruleset_version"] == api.journey.env.rulebook.versions()["eligibility"]
    assert decision["facts"]["registry.cards_in_province"] == 2
    assert decision["outcome"]["outcomes"]["ELIG-001"]["redirect"]["flow"] == "cleanup"
    text = str(body)
    assert "44060419860214042X" not in text and "刘晓燕" not in text


def test_applications_record_the_versions_they_started_under(api):
    created = api.create()
    flows = {f["id"]: f["version"] for f in api.client.get("/api/v1/flows").get_json()["flows"]}
    assert created["flow_version"] == flows["sscard_adult"]
    assert created["rule_versions"] == api.journey.env.rulebook.versions()


def test_sms_codes_are_rate_limited(api):
    api.walk_to_info()
    api.sms("info", "mobile_code", "13800138001")
    api.sms("info", "mobile_code", "13800138001", expect=429)
    bad = api.client.post(f"/api/v1/applications/{api.id}/pages/info/sms", headers=api.headers,
                          json={"field": "mobile_code", "phone": "12345"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["path"] == "mobile"


def test_upload_checks_content_not_name(api):
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    r = api.client.post(f"/api/v1/applications/{api.id}/uploads", headers=api.headers,
                        data={"slot": "id_card_emblem", "file": (io.BytesIO(b"%PDF-1.4 not an image"), "card.jpg")})
    assert r.status_code == 422 and r.get_json()["errors"][0]["code"] == "upload.not_image"


def test_unknown_api_page_or_action_is_404(api):
    api.create()
    assert api.client.post(f"/api/v1/applications/{api.id}/pages/nope/actions/next", json={},
                           headers=api.headers).status_code == 404
    assert api.client.post(f"/api/v1/applications/{api.id}/pages/guide/actions/nope", json={},
                           headers=api.headers).status_code == 404


def test_cleanup_cannot_be_started_on_its_own(client):
    r = client.post("/api/v1/applications", json={"flow": "cleanup"})
    assert r.status_code == 409
