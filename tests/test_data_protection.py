"""Shown only as much as needed: the API masks ID numbers and phones as the HTML does, except the
values the citizen types on the page being read."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.both_databases

ADULT_ID = "440106198805123510"          # 陈志明 (mainland_adult): comes from the face check
ADULT_PHONE = "13800138001"              # typed on 申请信息 (info)


def _pages(api, pages):
    out = {}
    for page in pages:
        status, body = api.page(page)
        assert status == 200, (page, body)
        out[page] = json.dumps(body, ensure_ascii=False)
    return out


def test_the_api_never_returns_a_full_id_number_or_a_phone_not_typed_on_that_page(api):
    api.walk_to_confirm()
    pages = _pages(api, ["eligibility", "upload", "photo", "info", "pickup", "confirm"])
    for page, text in pages.items():
        assert ADULT_ID not in text, page                   # never typed: shown 4401**********3510
    assert "4401**********3510" in pages["info"] and "4401**********3510" in pages["confirm"]
    assert ADULT_PHONE in pages["info"]                     # the citizen's own input on that page
    for page in ("pickup", "confirm"):
        assert ADULT_PHONE not in pages[page], page
    assert "138****8001" in pages["confirm"]
    everything = json.dumps([api.state(), api.client.get(f"/api/v1/applications/{api.id}/decisions",
                                                         headers=api.headers).get_json()], ensure_ascii=False)
    assert ADULT_ID not in everything and ADULT_PHONE not in everything


def test_a_childs_id_number_typed_by_the_guardian_is_masked_on_later_pages(client, app):
    from walkers import CHILDREN, MinorWalker
    minor = MinorWalker(client, app)
    minor.walk_to_confirm("child_with_id_card")
    child = CHILDREN["child_with_id_card"][2]
    guardian = "440305198401201134"                              # 张伟 (guardian_parent)
    pages = _pages(minor, ["eligibility", "upload", "photo", "info", "pickup", "confirm"])
    assert child in pages["eligibility"]                         # typed on that page: shown back
    for page, text in pages.items():
        assert guardian not in text, page
        if page != "eligibility":
            assert child not in text, page


def _staff(app):
    from test_staff_pages import login
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def _csrf_of(page: str) -> str:
    import re
    return re.search(r'name="_csrf" value="([^"]+)"', page).group(1)


def test_staff_see_personal_data_masked_and_reveal_one_value_with_a_recorded_reason(api, app):
    api.walk_to_confirm()
    staff = _staff(app)
    page = staff.get(f"/staff/applications/{api.id}").get_data(as_text=True)
    assert "4401**********3510" in page and "138****8001" in page
    assert ADULT_ID not in page and ADULT_PHONE not in page
    token = _csrf_of(page)
    refused = staff.post(f"/staff/applications/{api.id}/reveal", data={"_csrf": token, "field": "info.mobile",
                                                                       "reason": " "})
    assert refused.status_code == 400 and "请填写查看理由" in refused.get_data(as_text=True)
    assert ADULT_PHONE not in refused.get_data(as_text=True)
    unknown = staff.post(f"/staff/applications/{api.id}/reveal", data={"_csrf": token, "field": "info.nothing",
                                                                       "reason": "核实制卡信息"})
    assert unknown.status_code == 400
    events = app.extensions["govflow"].env.store.staff_events
    assert [e for e in events.list() if e.action == "reveal"] == []            # refused: nothing recorded
    shown = staff.post(f"/staff/applications/{api.id}/reveal", data={"_csrf": token, "field": "info.mobile",
                                                                     "reason": "市民来电核实手机号码"})
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert ADULT_PHONE in text and ADULT_ID not in text                        # that value only
    [event] = [e for e in events.list() if e.action == "reveal"]
    assert (event.actor, event.application_id, event.detail) == (
        "staff", api.id, {"field": "info.mobile", "reason": "市民来电核实手机号码"})
    assert ADULT_PHONE not in json.dumps(event.detail, ensure_ascii=False)
    again = staff.get(f"/staff/applications/{api.id}").get_data(as_text=True)
    assert ADULT_PHONE not in again                                            # once, not from now on
