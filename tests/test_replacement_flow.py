"""社保卡补换卡, a procedure written in data only (flows/sscard_replacement.yaml, card_loss.yaml,
rules/replacement*.yaml, connectors/*.yaml): over the API and the HTML forms, with what the
simulated registry and card back end hold afterwards. The persona walks of every branch are the
scenarios (scenarios/sscard_replacement.yaml); these tests look at the outside systems' side."""
from __future__ import annotations

import pytest

from apptools import registry_record
from walkers import ApiWalker, HtmlWalker

FLOW = "sscard_replacement"


@pytest.fixture
def web(client, app):
    return HtmlWalker(client, app)


def card(services, persona: str, number: str) -> dict:
    ssn = services.people.person(persona).ssn
    return next(c for c in registry_record(services, ssn)["cards"] if c["card_number"] == number)


def test_the_flow_is_listed_with_its_title(client):
    flows = {f["id"]: f for f in client.get("/api/v1/flows").get_json()["flows"]}
    assert flows[FLOW]["title"] == "社保卡补换卡"


def _to_photo(api: ApiWalker, persona: str, number: str, kind: str, **more) -> dict:
    api.create(FLOW)
    api.verify(persona)
    return api.act("eligibility", "next", {"card_number": number, "kind": kind, **more}, expect=None)


def _finish(api: ApiWalker, expect=200) -> dict:
    api.act("photo", "use_photo", {"photo_source": "system", "use_system_photo": True})
    api.act("pickup", "next", {"pickup_method": "branch", "branch_id": api.branch()})
    return api.act("confirm", "submit", expect=expect)


def test_a_lost_card_is_reported_lost_through_the_registry_before_the_replacement(api):
    services = api.journey.env.services
    step = _to_photo(api, "card_holder", "A10385172", "lost")
    assert step["step"] == "redirect" and step["popup"]["rule_id"] == "REP-002"
    assert card(services, "card_holder", "A10385172")["status"] == "正常"      # nothing reported yet
    replacement = api.id
    loss = api.client.post(f"/api/v1/applications/{api.id}/redirect", headers=api.headers).get_json()
    api.id = loss["application"]
    assert loss["flow"] == "card_loss" and loss["page"] == "confirm"
    page = api.page("confirm")[1]
    field = next(f for f in page["fields"] if f["name"] == "card_number")
    assert field["enum"] == ["A10385172"]                                       # only the normal card
    reported = api.act("confirm", "report", {"card_number": "A10385172"})
    assert reported["page"] == "reported" and api.state()["reference"].startswith("GS")
    assert card(services, "card_holder", "A10385172")["status"] == "临时挂失"    # the registry changed
    back = api.act("reported", "continue")
    assert back["application"] == replacement and back["page"] == "eligibility"
    api.id = replacement
    assert api.act("eligibility", "next", {"card_number": "A10385172", "kind": "lost"})["page"] == "photo"
    assert _finish(api)["status"] == "submitted"
    state = api.state()
    assert state["reference"].startswith("BH")
    payload = api.journey.env.store.outbox.for_application(api.id)[0].payload
    assert (payload["card_number"], payload["kind"], payload["flow"]) == ("A10385172", "lost", FLOW)
    ssn = services.people.person("card_holder").ssn
    assert registry_record(services, ssn)["pending_applications"] == 1


def test_the_card_back_end_refuses_a_lost_card_that_was_not_reported_lost(api):
    """The back end holds the same rule as the flow: a request that skipped the loss report is refused."""
    connectors = api.journey.env.connectors
    ssn = api.journey.env.services.people.person("card_holder").ssn
    answer = connectors.call("card_replacement", "app-x", {"ssn": ssn, "card_number": "A10385172", "kind": "lost"},
                             "app-x:card_replacement")
    assert (answer.kind, answer.code) == ("refused", "backend.card_not_reported_lost")
    assert answer.reason == "补卡前须先挂失原社保卡。"


def test_a_damaged_card_is_replaced_without_a_loss_report(api):
    services = api.journey.env.services
    assert _to_photo(api, "card_holder", "A10385172", "damaged", damage_reason="chip")["page"] == "photo"
    assert _finish(api)["status"] == "submitted"
    assert card(services, "card_holder", "A10385172")["status"] == "正常"


def test_a_card_of_someone_else_or_made_up_is_not_offered(api):
    step = _to_photo(api, "card_holder", "A40127356", "damaged", damage_reason="chip")   # 刘晓燕's card
    assert [e["code"] for e in step["errors"]] == ["records.not_offered"]
    assert api.state()["page"] == "eligibility"


def test_a_reported_card_cannot_be_exchanged_and_a_refused_submission_is_resubmitted(api):
    step = _to_photo(api, "card_reported_lost", "A30471926", "damaged", damage_reason="surface")
    assert [(e["path"], e["code"]) for e in step["errors"]] == [("kind", "REP-003")]
    assert api.act("eligibility", "next", {"card_number": "A30471926", "kind": "lost"})["page"] == "photo"
    api.act("photo", "use_photo", {"photo_source": "receipt", "photo_receipt_number": "XP2026110301"})
    api.act("pickup", "next", {"pickup_method": "branch", "branch_id": api.branch()})
    failed = api.act("confirm", "submit", expect=502)
    assert failed["page"] == "failure"
    assert api.state()["outcome"]["reason"].startswith("制卡系统退回了您的申请")
    assert api.act("failure", "resubmit")["page"] == "confirm"
    assert api.act("confirm", "submit")["status"] == "submitted"


def test_nobody_without_a_card_or_with_an_application_under_way_gets_in(api):
    api.create(FLOW)
    refused = api.verify("mainland_adult")
    assert refused["popup"]["rule_id"] == "RPC-002" and "没有可补换的社会保障卡" in refused["popup"]["message"]
    api.create(FLOW)
    assert api.verify("pending_application")["popup"]["rule_id"] == "RPC-001"


def test_the_html_walk_of_a_lost_card(web):
    services = web.journey.env.services
    web.start(FLOW)
    assert web.verify("card_holder").headers["Location"].endswith("/eligibility")
    page = web.get("eligibility").get_data(as_text=True)
    assert "选择要补换的社保卡" in page and 'value="A10385172"' in page and "广州市" in page
    web.post("eligibility", "next", {"card_number": "A10385172", "kind": "lost"}, expect=409)
    assert "补卡前须先挂失原社会保障卡" in web.text()
    replacement = web.id
    r = web.client.post(f"/a/{replacement}/_redirect", data={"_csrf": web._csrf()})
    assert r.status_code == 302 and r.headers["Location"].endswith("/confirm")
    web.id = r.headers["Location"].split("/")[2]
    web.post("confirm", "report", {"card_number": "A10385172"}, expect=200)      # the confirmation dialog
    assert "确定要挂失这张社会保障卡吗" in web.text()
    web.post("confirm", "report", {"card_number": "A10385172"}, _confirmed="1", expect=302)
    assert web.location().endswith("/reported")
    assert card(services, "card_holder", "A10385172")["status"] == "临时挂失"
    web.post("reported", "continue", expect=302)
    assert web.location() == f"/a/{replacement}/eligibility"
    web.id = replacement
    web.post("eligibility", "next", {"card_number": "A10385172", "kind": "lost"}, expect=302)
    web.post("photo", "use_photo", {"photo_source": "system", "use_system_photo": "true"}, expect=302)
    found = web.journey.env.services.branches.search(keyword="天河")[0]
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": found.id}, expect=302)
    review = web.get("confirm").get_data(as_text=True)
    assert "补换的社保卡" in review and "补卡（社保卡遗失）" in review and "A10385172" not in review   # masked
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/success")
    assert "补换申请已提交" in web.get("success").get_data(as_text=True)


def _html_to_confirm(web, persona: str, answers: dict, photo: dict) -> None:
    web.start(FLOW)
    assert web.verify(persona).headers["Location"].endswith("/eligibility")
    web.post("eligibility", "next", answers, expect=302)
    web.post("photo", "use_photo", photo, expect=302)
    found = web.journey.env.services.branches.search(keyword="天河")[0]
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": found.id}, expect=302)


def test_the_html_walk_of_a_damaged_card(web):
    _html_to_confirm(web, "card_holder", {"card_number": "A10385172", "kind": "damaged", "damage_reason": "chip"},
                     {"photo_source": "system", "use_system_photo": "true"})
    assert "芯片失效" in web.get("confirm").get_data(as_text=True)
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/success")


def test_the_html_walk_of_a_reported_card_refused_then_resubmitted(web):
    web.start(FLOW)
    web.verify("card_reported_lost")
    web.post("eligibility", "next", {"card_number": "A30471926", "kind": "damaged", "damage_reason": "surface"},
             expect=422)
    assert ("kind", "REP-003") in web.errors() and "这张社会保障卡已挂失" in web.text()
    web.post("eligibility", "next", {"card_number": "A30471926", "kind": "lost"}, expect=302)
    web.post("photo", "use_photo", {"photo_source": "receipt", "photo_receipt_number": "XP2026110301"}, expect=302)
    found = web.journey.env.services.branches.search(keyword="天河")[0]
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": found.id}, expect=302)
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/failure")
    assert "相片审核未通过" in web.get("failure").get_data(as_text=True)
    web.post("failure", "resubmit", expect=302)
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/success")


def test_the_html_walk_of_two_cards_cleans_up_first(web):
    web.start(FLOW)
    web.verify("card_holder_two_cards")
    answers = {"card_number": "A10296638", "kind": "damaged", "damage_reason": "surface"}
    web.post("eligibility", "next", answers, expect=409)
    assert "一人一卡清理" in web.text()
    replacement = web.id
    r = web.client.post(f"/a/{replacement}/_redirect", data={"_csrf": web._csrf()})
    web.id = r.headers["Location"].split("/")[2]
    web.post("guide", "start", {"consent": "true"}, expect=302)
    web.post("cards", "next", expect=302)
    web.post("confirm", "clean", _confirmed="1", expect=302)
    web.post("success", "continue", expect=302)
    assert web.location() == f"/a/{replacement}/eligibility"
    web.id = replacement
    web.post("eligibility", "next", answers, expect=302)
    assert web.location().endswith("/photo")
