"""The staff case view (web/staff_case.py) of 黄丽华's application, from its case document
(cases/document.py): the scenario 提交失败后重新提交 walked over the API, then read by staff."""
from __future__ import annotations

import html
import io
import json
import re

import pypdf
import pytest

from apptools import ROOT, follow, publish_edits
from govflow.formats import SHANGHAI
from govflow.scenarios.loader import load_scenario_file
from govflow.scenarios.runner import ScenarioRunner
from govflow.store.staff import StaffAccounts

ID_NUMBER, NAME, PHONE = "440104199507080825", "黄丽华", "13826019452"
SECRETS = (ID_NUMBER, NAME, PHONE)
BASIS = "《中华人民共和国居民身份证法》第五条（四十六周岁以上的，发给长期有效的居民身份证）"
NEW_BASIS = "《居民身份证法》第五条（本次修订后的依据）"


def _walk(app) -> str:
    """黄丽华 ticks 长期 (ID-004 refuses), gives the dates, is refused by the back end once, resubmits."""
    [scenario] = [s for s in load_scenario_file(ROOT / "scenarios/sscard_adult.yaml").scenarios
                  if s.name == "提交失败后重新提交"]
    runner = ScenarioRunner(app)
    runner.run(scenario)
    return runner.id


@pytest.fixture
def case(app) -> str:
    return _walk(app)


def _login(app, username="staff", password="staff-demo"):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    r = client.post("/staff/login", data={"_csrf": token, "username": username, "password": password})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def _viewer(app):
    StaffAccounts(app.extensions["govflow"].env.store, demo_allowed=True).add(
        "viewer1", "viewer-password", demo=True, roles=["viewer"])
    return _login(app, "viewer1", "viewer-password")


def _csrf(client, app_id: str) -> str:
    page = client.get(f"/staff/applications/{app_id}").get_data(as_text=True)
    return re.search(r'name="_csrf" value="([^"]+)"', page).group(1)


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def _rows(body: str, attribute: str, value: str) -> list[str]:
    return re.findall(rf'<tr {attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', body, re.S)


def _articles(body: str, ruleset: str) -> list[str]:
    return re.findall(rf'<article class="card staff-decision" data-ruleset="{ruleset}"[^>]*>(.*?)</article>',
                      body, re.S)


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def _events(app, action: str) -> list:
    return [e for e in app.extensions["govflow"].env.store.staff_events.list(limit=500) if e.action == action]


def test_the_case_shows_the_refusal_with_its_basis_at_the_pinned_version_passed_checks_submissions_and_path(app, case):
    engine = app.extensions["govflow"]
    store = engine.env.store
    record = store.applications.get(case)
    pinned = record.context["bundle"]
    # the rule's basis changes after she applied: her case keeps the one in force when it decided
    publish_edits(app, {"rules/id_card_validity.yaml": [(BASIS, NEW_BASIS)]})
    follow(app)          # served now (the app itself looks at most once a second: not left to timing)
    staff = _login(app)
    r = staff.get(f"/staff/applications/{case}")
    assert r.status_code == 200 and engine.env.bundle != pinned
    body = r.get_data(as_text=True)
    first, second = _articles(body, "id_card_validity")           # info.next twice
    [refusal] = _rows(first, "data-rule", "ID-004")
    assert 'data-fired="true"' in first and "触发" in _text(refusal) and "签发时未满46周岁" in _text(refusal)
    assert BASIS in _text(refusal) and NEW_BASIS not in body
    assert "id_card.age_at_issue 24" in _text(refusal) and "1995-**-**" in _text(refusal)   # facts, masked
    passed = _rows(first, "data-rule", "ID-005")[0]
    assert "通过" in _text(passed) and "触发" not in _text(passed)           # evaluated, not fired
    assert "通过" in _text(_rows(second, "data-rule", "ID-004")[0])            # the dates given: passes
    assert len(_articles(body, "precheck")) == 1 and "ELIG-002" in _text(_articles(body, "eligibility")[0])
    link = f"/staff/versions/{pinned}/files/rules/id_card_validity.yaml"
    assert f'href="{link}"' in body
    assert BASIS in html.unescape(staff.get(link).get_data(as_text=True))      # the file as it was
    # submissions: refused once with the back end's reason, accepted the second time with the reference
    answers = [d.outcome for d in store.decisions.for_application(case) if d.ruleset == "submit:card_application"
               and "status" in d.outcome]
    assert [a["status"] for a in answers] == ["rejected", "delivered"]
    [rejected] = _rows(body, "data-status", "rejected")
    assert answers[0]["reason"] and answers[0]["reason"] in _text(rejected) and "第1次提交" in _text(rejected)
    [delivered] = _rows(body, "data-status", "delivered")
    assert record.reference and record.reference in _text(delivered) and "第2次提交" in _text(delivered)
    assert f"最终受理编号：{record.reference}" in _text(body)
    # the path, with its times
    steps = store.case_steps.for_application(case)
    assert [s.page for s in steps][-3:] == ["confirm", "failure", "confirm"]
    [invalid] = _rows(body, "data-status", "invalid")
    assert "申请信息" in _text(invalid)
    for step in steps:
        assert step.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") in _text(body)
    for secret in SECRETS:
        assert secret not in body
    assert "黄**" in body and "4401**********0825" in body


def test_the_json_and_pdf_are_masked_and_personal_only_with_the_right_and_a_reason(app, case):
    admin = _login(app)
    doc = admin.get(f"/staff/applications/{case}.json")
    assert doc.status_code == 200 and doc.mimetype == "application/json"
    assert "attachment" in doc.headers["Content-Disposition"]
    raw = doc.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in raw
    data = json.loads(raw)
    assert all(item["full"] is None for item in data["contents"])
    fired = [rule for e in data["evaluations"] for rule in e["rules"] if rule["fired"]]
    assert {"ID-004", "DOC-001"} <= {rule["id"] for rule in fired}
    assert [s["status"] for s in data["submissions"]] == ["queued", "rejected", "queued", "delivered"]
    assert data["exported"] == {"by": "staff", "at": data["exported"]["at"], "personal": False, "reason": ""}
    pdf = admin.get(f"/staff/applications/{case}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    text = _pdf_text(pdf.data)
    assert "ID-004" in text and "第五条" in text and "被退回" in text and data["reference"] in text
    assert "（第1次发送）" in text
    assert "个人信息已遮蔽" in text and ID_NUMBER not in text and PHONE not in text
    assert [(e.detail["format"], e.detail["personal"]) for e in _events(app, "export")] == [("pdf", False),
                                                                                           ("json", False)]
    # with personal data: the right and a reason
    token = _csrf(admin, case)
    short = admin.post(f"/staff/applications/{case}.pdf", data={"_csrf": token, "reason": "查"})
    assert short.status_code == 400 and "导出理由" in short.get_data(as_text=True)
    assert len(_events(app, "export")) == 2                                    # refused: not recorded
    full = admin.post(f"/staff/applications/{case}.pdf", data={"_csrf": token, "reason": "法院调取档案"})
    assert full.status_code == 200
    text = _pdf_text(full.data)
    assert ID_NUMBER in text and PHONE in text and "法院调取档案" in text
    full_json = json.loads(admin.post(f"/staff/applications/{case}.json",
                                      data={"_csrf": token, "reason": "法院调取档案"}).data)
    assert ID_NUMBER in {item["full"] for item in full_json["contents"]}
    assert full_json["exported"]["personal"] is True
    newest = _events(app, "export")[0]
    assert (newest.actor, newest.application_id, newest.detail) == (
        "staff", case, {"what": "case", "format": "json", "personal": True, "reason": "法院调取档案"})
    # a caseworker exports masked, never personal; a viewer not at all
    worker = _login(app, "caseworker", "caseworker-demo")
    assert worker.get(f"/staff/applications/{case}.json").status_code == 200
    asked = worker.post(f"/staff/applications/{case}.json", data={"_csrf": _csrf(worker, case),
                                                                  "reason": "法院调取档案"})
    assert asked.status_code == 403 and ID_NUMBER not in asked.get_data(as_text=True)
    assert "导出含完整个人信息" not in worker.get(f"/staff/applications/{case}").get_data(as_text=True)
    viewer = _viewer(app)
    assert viewer.get(f"/staff/applications/{case}").status_code == 200
    assert viewer.get(f"/staff/applications/{case}.json").status_code == 403
    assert viewer.get(f"/staff/applications/{case}.pdf").status_code == 403
    assert len(_events(app, "export")) == 5
    assert [e.detail["permission"] for e in _events(app, "forbidden")] == ["cases.export", "cases.export",
                                                                          "cases.export_personal"]


def test_uploads_are_thumbnails_only_after_a_reveal_with_a_reason(app, case):
    worker = _login(app, "caseworker", "caseworker-demo")
    page = worker.get(f"/staff/applications/{case}").get_data(as_text=True)
    assert "<img" not in page and "身份证国徽面" in page and "image/jpeg" in page
    [upload] = [u for u in app.extensions["govflow"].env.store.uploads.for_application(case)
                if u.slot == "id_card_emblem"]
    image = f"/staff/applications/{case}/uploads/{upload.id}"
    assert worker.get(image).status_code == 403                                # no reveal yet
    token = _csrf(worker, case)
    assert worker.post(f"/staff/applications/{case}/reveal",
                       data={"_csrf": token, "field": "uploads", "reason": " "}).status_code == 400
    assert _events(app, "reveal") == []
    shown = worker.post(f"/staff/applications/{case}/reveal",
                        data={"_csrf": token, "field": "uploads", "reason": "核对证件照片"})
    assert shown.status_code == 200 and f'src="{image}"' in shown.get_data(as_text=True)
    got = worker.get(image)
    assert got.status_code == 200 and got.mimetype == "image/jpeg" and got.data[:2] == b"\xff\xd8"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    [event] = _events(app, "reveal")
    assert (event.actor, event.application_id, event.detail) == (
        "caseworker", case, {"field": "uploads", "reason": "核对证件照片"})
    assert "<img" not in worker.get(f"/staff/applications/{case}").get_data(as_text=True)    # once
    assert _login(app, "caseworker", "caseworker-demo").get(image).status_code == 403       # another session
    viewer = _viewer(app)
    assert viewer.get(image).status_code == 403
    assert viewer.post(f"/staff/applications/{case}/reveal", data={"_csrf": _csrf(viewer, case),
                       "field": "identity.id_number", "reason": "核对证件号码"}).status_code == 403
    assert "<details class=\"reveal\">" not in viewer.get(f"/staff/applications/{case}").get_data(as_text=True)
    revealed = worker.post(f"/staff/applications/{case}/reveal",
                           data={"_csrf": token, "field": "identity.id_number", "reason": "核对证件号码"})
    assert ID_NUMBER in revealed.get_data(as_text=True) and PHONE not in revealed.get_data(as_text=True)
    assert [e.detail["field"] for e in _events(app, "reveal")] == ["identity.id_number", "uploads"]


def test_staff_actions_never_change_the_decision_trail_or_the_rule_inputs(app, case):
    store = app.extensions["govflow"].env.store
    before = (store.decisions.for_application(case), store.rule_inputs.for_application(case),
              store.applications.get(case), store.case_steps.for_application(case))
    assert any(not e.fired for e in before[1]) and any("ID-004" in e.fired for e in before[1])
    staff = _login(app)
    token = _csrf(staff, case)
    staff.get(f"/staff/applications/{case}")
    staff.post(f"/staff/applications/{case}/reveal", data={"_csrf": token, "field": "info.mobile",
                                                           "reason": "市民来电核实"})
    staff.post(f"/staff/applications/{case}/reveal", data={"_csrf": token, "field": "uploads", "reason": "核对照片"})
    staff.get(f"/staff/applications/{case}.json")
    staff.post(f"/staff/applications/{case}.pdf", data={"_csrf": token, "reason": "归档备查"})
    after = (store.decisions.for_application(case), store.rule_inputs.for_application(case),
             store.applications.get(case), store.case_steps.for_application(case))
    assert after == before
    assert len(_events(app, "reveal")) == 2 and len(_events(app, "export")) == 2


@pytest.mark.both_databases
def test_rule_inputs_of_one_application_in_time_order(store):
    first = store.applications.create("sscard_adult", "o", "v", {})
    other = store.applications.create("sscard_adult", "o", "v", {})
    store.rule_inputs.record(first.id, "info.next", [("a", "1", ["A-1"], {"form.x": "1"}), ("b", "2", [], {})])
    store.rule_inputs.record(other.id, "info.next", [("a", "1", [], {})])
    store.rule_inputs.record(first.id, "pickup.next", [("c", "3", [], {"identity.name": "黄丽华"})])
    found = store.rule_inputs.for_application(first.id)
    assert [(e.step, e.ruleset, e.ruleset_version, e.fired, e.inputs) for e in found] == [
        ("info.next", "a", "1", ["A-1"], {"form.x": "1"}), ("info.next", "b", "2", [], {}),
        ("pickup.next", "c", "3", [], {"identity.name": "黄丽华"})]
    assert store.rule_inputs.for_application("f" * 32) == []
