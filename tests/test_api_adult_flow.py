"""Every branch of SPEC.md flows 1 and 2 walked over the JSON API, persona by persona."""
from __future__ import annotations

import pytest

from walkers import ApiWalker

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)


def test_flows_are_listed(client):
    flows = {f["id"]: f for f in client.get("/api/v1/flows").get_json()["flows"]}
    assert {"sscard_adult", "cleanup"} <= set(flows)
    assert all(len(f["version"]) == 12 for f in flows.values())


def test_flow_pages_export_json_schema(client):
    body = client.get("/api/v1/flows/sscard_adult").get_json()
    pages = {p["id"]: p for p in body["pages"]}
    assert list(pages)[:7] == ["guide", "eligibility", "upload", "photo", "info", "pickup", "confirm"]
    info = pages["info"]["schema"]
    assert info["properties"]["valid_from"] == {**info["properties"]["valid_from"], "type": "string", "format": "date"}
    assert len(info["properties"]["ethnicity"]["enum"]) == 56
    assert "ethnicity" in info["required"]
    assert pages["info"]["readonly"]["name"]["from"] == "identity.name"


def test_mainland_adult_happy_path_with_branch_pickup(api):
    api.walk_to_confirm("mainland_adult")
    status, view = api.page("confirm")
    titles = [s["title"] for s in view["review"]]
    assert titles == ["个人信息", "制卡相片", "社保卡信息", "社保卡领卡方式", "领卡网点", "上传材料"]
    personal = {i["name"]: i["display"] for i in view["review"][0]["items"]}
    assert personal["id_number"] == "4401**********3510"       # masked where only displayed
    assert personal["mobile"] == "138****8001"
    result = api.act("confirm", "submit", expect=200)
    assert result["status"] == "submitted" and result["page"] == "success"
    state = api.state()
    assert state["status"] == "submitted" and state["reference"]
    again = api.act("confirm", "submit")           # a double click returns the same reference
    assert api.state()["reference"] == state["reference"]
    assert api.last.status_code == 409 or again["status"] == "submitted"


def test_mail_delivery_with_changed_recipient_phone(api):
    api.walk_to_confirm("mainland_adult")
    missing = api.act("pickup", "next", {"pickup_method": "mail", "branch_id": api.branch()}, expect=422)
    assert {e["path"] for e in missing["errors"]} == {"mail_notice_ack", "recipient_region", "recipient_address"}
    code = api.sms("pickup", "recipient_mobile_code", "13912345678")
    data = {"pickup_method": "mail", "branch_id": api.branch(), "mail_notice_ack": True,
            "change_recipient_mobile": True, "recipient_mobile": "13912345678", "recipient_mobile_code": code,
            "recipient_region": "440106", "recipient_address": "天河路100号3栋501房"}
    assert api.act("pickup", "next", data, expect=200)["page"] == "confirm"
    _, view = api.page("confirm")
    recipient = next(s for s in view["review"] if s["title"] == "收件人信息")
    assert {i["name"]: i["display"] for i in recipient["items"]}["recipient_mobile"] == "139****5678"
    assert api.act("confirm", "submit", expect=200)["status"] == "submitted"


def test_wrong_sms_code_is_refused(api):
    api.walk_to_info()
    api.sms("info", "mobile_code", "13800138001")
    from walkers import ADULT_INFO
    data = {**ADULT_INFO, "insurance_type": api.insurance_type(), "mobile": "13800138001", "mobile_code": "000000"}
    body = api.act("info", "next", data, expect=422)
    assert [e["code"] for e in body["errors"]] == ["sms.wrong"]


def test_hong_kong_resident_documents_and_branch_only(api):
    api.create()
    api.verify("hong_kong_resident")
    api.eligibility()
    wrong = api.upload_page("id_card", expect=422)
    assert [(e["path"], e["code"]) for e in wrong["errors"]] == [("document_set", "DOC-002")]
    assert api.upload_page("hk_macao_permit")["page"] == "photo"
    no_photo = api.photo_page(expect=422)                       # no system photo for this persona
    assert no_photo["errors"][0]["code"] == "system_photo.none"
    assert api.photo_page(receipt="XP2024051301")["page"] == "info"
    api.info_page()
    refused = api.act("pickup", "next", {"pickup_method": "mail", "branch_id": api.branch()}, expect=422)
    assert ("pickup_method", "PICK-001") in [(e["path"], e["code"]) for e in refused["errors"]]
    _, view = api.page("pickup")
    method = next(f for f in view["fields"] if f["name"] == "pickup_method")
    assert [o["value"] for o in method["options"]] == ["branch"]
    assert api.pickup_branch()["page"] == "confirm"
    assert api.act("confirm", "submit")["status"] == "submitted"


def test_macau_and_taiwan_residents_use_their_documents(client, app):
    for persona, docs, receipt in (("macau_resident", "residence_permit", "XP2024062718"),
                                   ("taiwan_resident", "taiwan_permit", "XP2024081125")):
        walker = ApiWalker(client, app)
        walker.walk_to_confirm(persona, docs, receipt)
        assert walker.act("confirm", "submit")["status"] == "submitted"


def test_pending_application_blocks_entry_with_popup(api):
    api.create()
    body = api.verify("pending_application")
    assert api.last.status_code == 409
    assert body["step"] == "refused" and body["page"] == "guide"
    assert body["popup"]["rule_id"] == "PRE-002" and body["popup"]["message"]
    status, _ = api.page("eligibility")
    assert status == 409


def test_foreign_national_is_refused_clearly(api):
    api.create()
    body = api.verify("foreign_national")
    assert body["popup"]["rule_id"] == "PRE-001"
    assert "网点" in body["popup"]["message"]


def test_two_cards_cleanup_then_continue_application(api):
    api.create()
    api.verify("two_cards")
    popup = api.eligibility(expect=409)
    assert popup["step"] == "redirect" and popup["popup"]["flow"] == "cleanup"
    adult_id = api.id
    child = api.client.post(f"/api/v1/applications/{api.id}/redirect", headers=api.headers).get_json()
    assert child["flow"] == "cleanup" and child["page"] == "guide"
    api.id = child["application"]
    assert api.act("guide", "start", {}, expect=422)["errors"][0]["code"] == "required.check"
    assert api.act("guide", "start", {"consent": True})["page"] == "cards"
    _, cards = api.page("cards")
    rows = cards["content"][0]["rows"]
    assert [r["card_number"] for r in rows] == ["A40127356", "A60288941"]
    assert api.act("cards", "next")["page"] == "confirm"
    assert api.act("confirm", "clean")["status"] == "submitted"
    back = api.act("success", "continue")
    assert back["application"] == adult_id and back["page"] == "eligibility"
    api.id = adult_id
    assert api.eligibility()["page"] == "upload"


def test_submit_failure_then_resubmit_same_application(api):
    api.walk_to_confirm("rejected_once")
    failed = api.act("confirm", "submit", expect=502)
    assert failed["step"] == "failed" and failed["page"] == "failure"
    assert api.state()["status"] == "draft"
    assert api.act("failure", "resubmit")["page"] == "confirm"
    ok = api.act("confirm", "submit", expect=200)
    assert ok["status"] == "submitted" and ok["application"] == api.id
    assert api.state()["reference"]


def test_pages_cannot_be_skipped(api):
    api.create()
    body = api.act("pickup", "next", {"pickup_method": "branch"}, expect=409)
    assert body["page"] == "guide" and body["errors"][0]["code"] == "flow.page_locked"
    api.verify("mainland_adult")
    assert api.act("info", "next", {}, expect=409)["page"] == "eligibility"


def test_edit_from_review_returns_to_review(api):
    api.walk_to_confirm()
    body = api.act("photo", "use_photo", {"photo_source": "receipt", "photo_receipt_number": "XP2025010316"},
                   return_to="confirm")
    assert body["page"] == "confirm"
    bad = api.act("photo", "use_photo", {"photo_source": "receipt", "photo_receipt_number": "XP0000000000"},
                  return_to="confirm", expect=422)
    assert bad["errors"][0]["code"] == "photo_receipt.not_found"


def test_switching_pickup_method_drops_mail_answers(api):
    api.walk_to_confirm()
    code = api.sms("pickup", "recipient_mobile_code", "13912345678")
    api.act("pickup", "next", {"pickup_method": "mail", "branch_id": api.branch(), "mail_notice_ack": True,
                               "change_recipient_mobile": True, "recipient_mobile": "13912345678",
                               "recipient_mobile_code": code, "recipient_region": "440106",
                               "recipient_address": "天河路100号3栋501房"}, expect=200)
    api.act("pickup", "next", {"pickup_method": "branch", "branch_id": api.branch()}, expect=200)
    app = api.journey.env.store.applications.get(api.id)
    assert set(app.answers["pickup"]) == {"pickup_method", "branch_id"}
    _, view = api.page("confirm")
    assert "收件人信息" not in [s["title"] for s in view["review"]]


def test_switching_document_type_drops_old_uploads(api):
    api.create()
    api.verify("hong_kong_resident")
    api.eligibility()
    api.upload_page("hk_macao_permit")
    old = api.journey.env.store.applications.get(api.id).answers["upload"]["permit_front"]
    api.upload_page("residence_permit")
    answers = api.journey.env.store.applications.get(api.id).answers["upload"]
    assert "permit_front" not in answers and "residence_permit_emblem" in answers
    assert api.journey.env.store.uploads.get(api.id, old) is None


def test_identity_fields_cannot_be_overwritten(api):
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    _, view = api.page("eligibility")
    name = next(f for f in view["fields"] if f["name"] == "name")
    assert name["readonly"] and name["value"] == "陈志明"
    api.act("eligibility", "check", {"issuing_city": "440100", "name": "别人"})
    _, view = api.page("eligibility")
    assert next(f for f in view["fields"] if f["name"] == "name")["value"] == "陈志明"


def test_tokens_protect_applications(api, client):
    api.create()
    r = client.get(f"/api/v1/applications/{api.id}", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 404
    assert client.get(f"/api/v1/applications/{api.id}").status_code == 404
    assert client.get(f"/api/v1/applications/{api.id}", headers=api.headers).headers["Cache-Control"] == "no-store"


def test_cleanup_refused_when_there_is_nothing_to_clean(api):
    api.create()
    api.verify("mainland_adult")
    parent = api.journey.env.store.applications.get(api.id)
    with api.journey.env.store.transaction():
        child = api.journey.create("cleanup", parent.owner, parent=api.journey.draft(parent)).app
    api.id = child.id
    body = api.act("guide", "start", {"consent": True}, expect=409)
    assert body["popup"]["rule_id"] == "CLN-001"


def test_sms_code_is_not_kept_as_an_answer(api):
    api.walk_to_confirm()
    app = api.journey.env.store.applications.get(api.id)
    assert "mobile_code" not in app.answers["info"]
    _, view = api.page("confirm")
    assert "mobile_code" not in [i["name"] for s in view["review"] for i in s["items"]]
    assert api.act("info", "next", {**{k: v for k, v in app.answers["info"].items()}},
                   return_to="confirm")["page"] == "confirm"      # the proven phone needs no new code


def test_rule_refusals_carry_the_rule_and_its_basis(api, client):
    api.create()
    api.verify("hong_kong_resident")
    api.eligibility()
    body = api.upload_page("id_card", expect=422)
    error = body["errors"][0]
    assert error["code"] == "DOC-002" and "手册" in error["basis"]
    trail = client.get(f"/api/v1/applications/{api.id}/decisions", headers=api.headers).get_json()["decisions"]
    assert "DOC-002" in [r for d in trail for r in d["rule_ids"]]
