"""SPEC.md flow 3 over the JSON API: a guardian applies for a child (户口簿 or 居民身份证),
the refusals, the links between flows, cleanup of the child's cards, failure -> resubmit."""
from __future__ import annotations

import pytest

from apptools import registry_record
from walkers import CHILDREN, MinorWalker

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)


@pytest.fixture
def minor(client, app):
    return MinorWalker(client, app)


def _registry(walker, ssn) -> dict:
    """The registry's record of `ssn` as its look-up answers it (cards_in_province: the live cards)."""
    record = registry_record(walker.journey.env.services, ssn)
    live = [c for c in record.get("cards", []) if c["status"] != "注销"]
    return {"pending_applications": 0, **record, "cards_in_province": len(live)}


def test_flow_is_listed(client):
    assert "sscard_minor" in {f["id"] for f in client.get("/api/v1/flows").get_json()["flows"]}


@pytest.mark.parametrize("child", ["child_with_household_register", "child_with_id_card"])
def test_guardian_applies_for_child(minor, child):
    minor.walk_to_confirm(child)
    _, view = minor.page("confirm")
    sections = {s["title"]: {i["name"]: i["display"] for i in s["items"]} for s in view["review"]}
    assert list(sections)[:2] == ["监护人信息", "申领人信息"]
    assert sections["监护人信息"]["guardian_name"] == "张伟"
    assert sections["监护人信息"]["relationship"] == "父亲"
    assert sections["申领人信息"]["name"] == CHILDREN[child][0]
    assert sections["申领人信息"]["id_number"].startswith("4403") and "*" in sections["申领人信息"]["id_number"]
    uploads = set(sections["上传材料"])
    assert {"guardian_id_emblem", "guardian_id_portrait"} <= uploads
    assert minor.act("confirm", "submit")["status"] == "submitted"
    child_ssn = CHILDREN[child][2]
    assert _registry(minor, child_ssn)["pending_applications"] == 1          # the child's, not the guardian's
    assert _registry(minor, "440305198401201134")["pending_applications"] == 0


def test_no_occupation_and_no_long_term_for_minors(minor):
    minor.start_for("child_with_household_register")
    minor.eligibility()
    minor.upload_page()
    minor.photo_page()
    _, view = minor.page("info")
    names = [f["name"] for f in view["fields"]]
    assert "occupation" not in names and "long_term" not in names
    assert next(f for f in view["fields"] if f["name"] == "name")["value"] == "张子轩"
    assert "出生日期" in next(f for f in view["fields"] if f["name"] == "valid_from")["help"]


def test_validity_dates_follow_the_id_type(minor):
    minor.start_for("child_with_household_register")
    minor.eligibility()
    minor.upload_page()
    minor.photo_page()
    body = minor.info_page(expect=422, valid_from="2020-01-01", valid_to="2036-06-01")
    assert {(e["path"], e["code"]) for e in body["errors"]} == {("valid_from", "MINV-001"), ("valid_to", "MINV-002")}


def test_id_card_child_needs_five_year_card(minor):
    minor.start_for("child_with_id_card")
    minor.eligibility()
    minor.upload_page()
    minor.photo_page()
    body = minor.info_page(expect=422, valid_from="2022-03-01", valid_to="2032-03-01")
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("valid_to", "MINV-003")]


def test_seventeen_year_old_is_told_to_apply_alone(minor):
    minor.start_for("teen_aged_17")
    body = minor.eligibility(expect=422)
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("applicant_id_number", "MIN-001")]
    assert "本人" in body["errors"][0]["message"]


def test_guardian_cannot_apply_for_himself(minor):
    minor.start_for("child_with_id_card")
    body = minor.eligibility(expect=422, applicant_id_number="440305198401201134")
    assert ("applicant_id_number", "MIN-003") in [(e["path"], e["code"]) for e in body["errors"]]


def test_bad_id_number_is_a_field_error(minor):
    minor.start_for("child_with_id_card")
    body = minor.eligibility(expect=422, applicant_id_number="440305201511200040")
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("applicant_id_number", "format.check_digit")]


def test_child_with_existing_application_is_refused(minor):
    minor.start_for("child_with_pending_application")
    body = minor.eligibility(expect=409)
    assert body["step"] == "refused" and body["popup"]["rule_id"] == "PRE-002"
    # the guardian reads about his child (the flow's rule_texts), not "您已存在申领记录"
    assert body["popup"]["message"].startswith("该申领人已存在社保卡申领记录")


def test_switching_id_type_changes_the_documents(minor):
    minor.start_for("child_with_household_register")
    minor.eligibility()
    minor.upload_page()
    minor.eligibility(applicant_id_type="resident_id_card", applicant_id_number="440305201906010573")
    app = minor.journey.env.store.applications.get(minor.id)
    assert "household_main_page" not in app.answers.get("upload", {})
    assert "upload" not in app.done
    body = minor.act("upload", "next", {}, expect=422)
    assert {e["path"] for e in body["errors"]} == {"guardian_id_emblem", "guardian_id_portrait",
                                                   "applicant_id_emblem", "applicant_id_portrait",
                                                   "birth_certificate"}


def test_child_with_two_cards_cleans_up_and_comes_back(minor):
    minor.start_for("child_with_two_cards")
    popup = minor.eligibility(expect=409)
    assert popup["step"] == "redirect" and popup["popup"]["rule_id"] == "ELIG-001"
    assert popup["popup"]["message"].startswith("该申领人在广东省内存在多张社保卡")
    minor_id = minor.id
    child = minor.client.post(f"/api/v1/applications/{minor.id}/redirect", headers=minor.headers).get_json()
    minor.id = child["application"]
    minor.act("guide", "start", {"consent": True})
    _, cards = minor.page("cards")
    assert {r["card_number"] for r in cards["content"][0]["rows"]} == {"B51203377", "B71940062"}
    assert {r["name"] for r in cards["content"][0]["rows"]} == {"张明辉"}          # the child's cards
    minor.act("cards", "next")
    assert minor.act("confirm", "clean")["status"] == "submitted"
    back = minor.act("success", "continue")
    assert back["application"] == minor_id and back["page"] == "eligibility"
    assert _registry(minor, "440305201407070459")["cards_in_province"] == 0
    assert _registry(minor, "440305198401201134")["cards_in_province"] == 1       # the guardian keeps his card
    minor.id = minor_id
    assert minor.eligibility()["page"] == "upload"


def test_submit_failure_then_resubmit(minor, app):
    journey = app.extensions["govflow"]
    backend = journey.env.connectors.implementation
    backend._failure_rate = 1.0                 # the card back end is down ...
    journey.deliverer.policy.max_tries = 1      # ... and the outbox gives up after one try
    minor.walk_to_confirm()
    failed = minor.act("confirm", "submit", expect=502)
    assert failed["page"] == "failure"
    state = minor.state()
    assert state["status"] == "draft" and state["outcome"]["code"] == "backend.unavailable"
    assert state["outcome"]["note"]             # 多次尝试仍未能送达 …
    backend._failure_rate = 0.0                 # ... and back
    assert minor.act("failure", "resubmit")["page"] == "confirm"
    assert minor.act("confirm", "submit")["status"] == "submitted"
    assert minor.state()["reference"]


def test_adult_guide_leads_to_minor_guide_after_guardian_check(minor):
    minor.create("sscard_adult")
    body = minor.act("guide", "for_minor", {}, expect=202)
    token = body["handoff"]["token"]
    minor.client.post(body["handoff"]["url"], json={"persona": "guardian_parent", "passed": True})
    r = minor.client.post(f"/api/v1/applications/{minor.id}/verification", json={"token": token},
                          headers=minor.headers)
    step = r.get_json()
    assert step["flow"] == "sscard_minor" and step["page"] == "guide"
    minor.id = step["application"]
    # one face verification of the guardian a visit: the minor guide's 【代未成年子女办理】 goes on
    step = minor.act("guide", "start", {"consent": True}, expect=200)
    assert step["page"] == "eligibility"
    fields = {f["name"]: f for f in minor.page("eligibility")[1]["fields"]}
    assert fields["guardian_name"]["value"] == "张伟"


def test_a_guardian_verified_once_still_verifies_to_apply_for_himself(minor):
    """【本人申领】 is another role: the face verification of the guardian does not stand for it."""
    minor.create("sscard_minor")
    assert minor.verify("guardian_parent")["page"] == "eligibility"
    body = minor.act("guide", "self_apply", {"consent": True}, expect=202)
    assert body["handoff"]["token"] and body["handoff"]["url"]        # a face verification of his own


def test_minor_guide_self_application_goes_to_adult_eligibility(minor):
    minor.create("sscard_minor")
    body = minor.act("guide", "self_apply", {"consent": True}, expect=202)
    token = body["handoff"]["token"]
    minor.client.post(body["handoff"]["url"], json={"persona": "mainland_adult", "passed": True})
    step = minor.client.post(f"/api/v1/applications/{minor.id}/verification", json={"token": token},
                             headers=minor.headers).get_json()
    assert step["flow"] == "sscard_adult" and step["page"] == "eligibility"
    minor.id = step["application"]
    assert minor.state()["done"] == ["guide"]
    assert minor.act("eligibility", "check", {"issuing_city": "440100"})["page"] == "upload"


def test_child_cannot_apply_alone_through_the_adult_flow(minor):
    minor.create("sscard_adult")
    body = minor.verify("child_with_id_card")
    assert body["step"] == "refused" and body["popup"]["rule_id"] == "PRE-003"
    assert "代未成年子女办理" in body["popup"]["message"]


def test_refused_eligibility_keeps_what_the_guardian_typed(minor):
    minor.start_for("child_with_two_cards")
    minor.eligibility(expect=409)
    _, view = minor.page("eligibility")
    values = {f["name"]: f["value"] for f in view["fields"]}
    assert values["applicant_name"] == "张明辉" and values["applicant_id_number"] == "440305201407070459"
    assert "eligibility" not in minor.state()["done"]


def test_upload_slots_decided_on_an_earlier_page_have_no_condition_note(minor):
    minor.start_for("child_with_household_register")
    minor.eligibility()
    _, view = minor.page("upload")
    slots = {f["name"]: f for f in view["fields"]}
    assert "household_main_page" in slots and "birth_certificate" not in slots
    assert "when_text" not in slots["household_main_page"]


# -- who may apply for a child: the registry's guardians (民法典 第二十七条), MIN-005/006, CLN-002 --------

CHILD_DATA = ("B51203377", "B71940062", "招商银行", "中国银行", "深圳市")     # 张明辉's cards and banks


def _refused_as_stranger(minor, body):
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("applicant_id_number", "MIN-005")]
    assert "监护人" in body["errors"][0]["message"] and body.get("popup") is None
    for secret in CHILD_DATA:
        assert secret not in minor.last.get_data(as_text=True)


def test_non_relative_is_refused_before_seeing_anything_of_the_child(minor):
    minor.start_for("child_with_two_cards", guardian="mainland_adult")      # 陈志明, nobody's guardian
    body = minor.eligibility(expect=422)
    _refused_as_stranger(minor, body)
    assert "eligibility" not in minor.state()["done"]
    actions = {"upload": "next", "photo": "use_photo", "info": "next", "pickup": "next", "confirm": "submit"}
    for page, action in actions.items():                                   # nothing after it opens
        status, locked = minor.page(page)
        assert status == 409 and locked["page"] == "eligibility", (page, locked)
        assert minor.act(page, action, {}, expect=409)["page"] == "eligibility"
    # the popup to the child's cleanup was never offered: there is nothing to follow
    r = minor.client.post(f"/api/v1/applications/{minor.id}/redirect", headers=minor.headers)
    assert r.status_code == 404
    # the decision trail shows only the refusal; no fact about the child's cards or applications
    r = minor.client.get(f"/api/v1/applications/{minor.id}/decisions", headers=minor.headers)
    trail = r.get_data(as_text=True)
    assert [d["rule_ids"] for d in r.get_json()["decisions"]] == [["MIN-005"]]
    assert "cards_in_province" not in trail and "pending_applications" not in trail
    # nor does the application hold the child's record
    context = minor.journey.env.store.applications.get(minor.id).context
    assert "registry" not in context and "looked_up" not in context and "subject_person" not in context
    assert _registry(minor, "440305201407070459")["cards_in_province"] == 2          # nothing was cleaned


def test_non_relative_is_refused_for_every_child(minor):
    for child in ("child_with_id_card", "child_with_household_register", "child_with_pending_application"):
        minor.start_for(child, guardian="mainland_adult")
        body = minor.eligibility(expect=422)
        assert [(e["path"], e["code"]) for e in body["errors"]] == [("applicant_id_number", "MIN-005")], child


def test_grandparent_with_a_guardianship_record_may_apply(minor):
    minor.start_for("child_with_grandparent_guardian", guardian="grandparent_guardian")
    wrong = minor.eligibility(expect=422, relationship="51")           # 父亲: not what the registry holds
    assert [(e["path"], e["code"]) for e in wrong["errors"]] == [("relationship", "MIN-006")]
    assert minor.eligibility(relationship="62")["page"] == "upload"     # 祖母, by a guardianship record
    minor.upload_page()
    assert minor.photo_page()["page"] == "info"                      # the child's system photo is usable


def test_grandparent_without_a_guardianship_record_is_refused(minor):
    minor.start_for("child_with_grandparent_guardian", guardian="grandparent_without_record")
    body = minor.eligibility(expect=422, relationship="61")
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("applicant_id_number", "MIN-005")]
    assert minor.page("upload")[0] == 409


def test_a_parent_is_not_the_guardian_of_someone_elses_child(minor):
    minor.start_for("child_with_grandparent_guardian")                # 张伟 and 李思琪
    body = minor.eligibility(expect=422)
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("applicant_id_number", "MIN-005")]


def test_refused_child_does_not_replace_the_accepted_one(minor):
    """A guardian accepted for his child who then types a stranger's child is refused, and the
    application stays about his own child (photos, payload), not the stranger's."""
    minor.start_for("child_with_id_card")
    assert minor.eligibility()["page"] == "upload"
    body = minor.eligibility(expect=422, applicant_name="李思琪", applicant_id_type="household_register",
                             applicant_id_number="440305201709050285")
    assert body["errors"][0]["code"] == "MIN-005"
    app = minor.journey.env.store.applications.get(minor.id)
    assert app.context["subject"] == "440305201511200049"
    assert app.context["subject_person"]["name"] == "张欣怡"


def test_stale_cleanup_popup_cannot_be_followed_for_another_child(minor):
    minor.start_for("child_with_two_cards")
    assert minor.eligibility(expect=409)["popup"]["rule_id"] == "ELIG-001"
    minor.eligibility(expect=422, applicant_name="李思琪", applicant_id_type="household_register",
                      applicant_id_number="440305201709050285")
    r = minor.client.post(f"/api/v1/applications/{minor.id}/redirect", headers=minor.headers)
    assert r.status_code == 404


def test_cleanup_refuses_someone_who_is_neither_the_card_holder_nor_the_guardian(minor):
    """Even a cleanup application that names another person's cards (here made by hand) stops on
    its first page (CLN-002) and never lists them."""
    journey, store = minor.journey, minor.journey.env.store
    minor.start_for("child_with_two_cards", guardian="mainland_adult")
    with store.transaction():
        parent = journey.draft(store.applications.get(minor.id))
        parent.app.context["subject"] = "440305201407070459"           # 张明辉, not 陈志明's ward
        parent.changed()
        journey.save(parent)
        cleanup = journey.create("cleanup", parent.app.owner, parent=parent)
    minor.id = cleanup.app.id
    body = minor.act("guide", "start", {"consent": True}, expect=409)
    assert body["step"] == "refused" and body["popup"]["rule_id"] == "CLN-002"
    assert minor.page("cards")[0] == 409
    for secret in CHILD_DATA:
        assert secret not in minor.last.get_data(as_text=True)


def test_a_receipt_of_another_person_is_refused(minor):
    minor.start_for("child_with_id_card")                             # 张欣怡 ...
    minor.eligibility()
    minor.upload_page()
    body = minor.act("photo", "use_photo", {"photo_source": "receipt", "photo_receipt_number": "XP2024090907"},
                     expect=422)                                      # ... with 张子轩's receipt
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("photo_receipt_number", "photo_receipt.not_subject")]
    _, view = minor.page("photo")
    assert minor.photo_page()["page"] == "info"                      # her own system photo is fine


def test_a_page_refused_by_a_popup_is_not_done(minor):
    """Accepted for 张欣怡, then 张雨彤 (an application exists: PRE-002): the page is to be passed
    again before the pages after it open, and they are not about a child who was refused."""
    minor.start_for("child_with_id_card")
    assert minor.eligibility()["page"] == "upload"
    refused = minor.eligibility(expect=409, applicant_name="张雨彤", applicant_id_type="household_register",
                                applicant_id_number="440305201804100324")
    assert refused["popup"]["rule_id"] == "PRE-002"
    assert "eligibility" not in minor.state()["done"]
    status, locked = minor.page("upload")
    assert status == 409 and locked["page"] == "eligibility"
