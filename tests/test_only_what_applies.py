"""Only what applies (issue 16, item 1): a field whose condition does not hold is not in the page
at all (no "…时填写" note); changing the answer that decides it shows or hides it (the htmx
re-check of the form body, or 【确定】 without JavaScript), decided by the same conditions as
validation. What was typed into a field that stopped applying is carried (hidden) for this visit,
never checked, and not saved."""
from __future__ import annotations

import re

import pytest

from walkers import ADULT_INFO, HtmlWalker, jpeg

MAIL_FIELDS = ("mail_notice_ack", "change_recipient_mobile", "recipient_mobile", "recipient_mobile_code",
               "recipient_region", "recipient_address")
ADDRESS = "天河路100号3栋501房"


@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def _shown(html: str) -> set[str]:
    """The fields in the page (their wrappers)."""
    return set(re.findall(r'<div class="field[^"]*" id="f-([a-z_]+)"', html))


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))


def _refresh(web, page: str, field: str, data: dict):
    web.last = web.client.post(f"/a/{web.id}/{page}/_refresh?field={field}", data={"_csrf": web._csrf(), **data},
                               headers={"HX-Request": "true"}, content_type="multipart/form-data")
    assert web.last.status_code == 200, web.text()[:2000]
    return web.text()


def _to_pickup(web) -> str:
    return web.walk_to_pickup("mainland_adult")


def _to_upload(web, persona: str) -> None:
    web.start()
    web.verify(persona)
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    assert web.location().endswith("/upload")


# -- the pickup page: 网点领卡 hides everything of 邮寄到付 -----------------------------------------------

def test_pickup_page_shows_no_mail_field_before_mail_is_chosen(web):
    _to_pickup(web)
    html = web.get("pickup").get_data(as_text=True)
    assert {"pickup_method", "branch_id"} <= _shown(html)
    assert not _shown(html) & set(MAIL_FIELDS)
    assert "时填写" not in html and "邮寄到付的邮费由收件人支付" not in html and "收件地区" not in html


def test_choosing_mail_shows_its_fields_and_branch_hides_them_again(web):
    branch = _to_pickup(web)
    mail = _refresh(web, "pickup", "pickup_method", {"pickup_method": "mail", "branch_id": branch})
    assert {"mail_notice_ack", "change_recipient_mobile", "recipient_region", "recipient_address"} <= _shown(mail)
    assert "邮寄到付的邮费由收件人支付" in mail
    assert not _shown(mail) & {"recipient_mobile", "recipient_mobile_code"}   # 修改收件人手机号码 not ticked
    ticked = _refresh(web, "pickup", "change_recipient_mobile",
                      {"pickup_method": "mail", "branch_id": branch, "change_recipient_mobile": "true"})
    assert {"recipient_mobile", "recipient_mobile_code"} <= _shown(ticked)
    branch_html = _refresh(web, "pickup", "pickup_method", {"pickup_method": "branch", "branch_id": branch})
    assert "pickup_method" in _shown(branch_html) and not _shown(branch_html) & set(MAIL_FIELDS)
    assert "收件地区" not in branch_html and "邮寄到付的邮费由收件人支付" not in branch_html


def test_what_was_typed_is_carried_hidden_and_comes_back(web):
    branch = _to_pickup(web)
    typed = {"branch_id": branch, "mail_notice_ack": "true", "recipient_address": ADDRESS,
             "change_recipient_mobile": "true", "recipient_mobile": "13912345678"}
    hidden = _refresh(web, "pickup", "pickup_method", {"pickup_method": "branch", **typed})
    assert "pickup_method" in _shown(hidden) and not _shown(hidden) & set(MAIL_FIELDS)
    assert _hidden(hidden)["recipient_address"] == ADDRESS
    assert _hidden(hidden)["recipient_mobile"] == "13912345678"
    back = _refresh(web, "pickup", "pickup_method", {"pickup_method": "mail", **_hidden(hidden)})
    assert f">{ADDRESS}</textarea>" in back
    assert 'name="recipient_mobile" value="13912345678"' in back
    assert "recipient_address" not in _hidden(back)


def test_values_of_hidden_fields_are_not_checked_nor_saved(web):
    branch = _to_pickup(web)
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": branch, "change_recipient_mobile": "true",
                                "recipient_mobile": "abc", "recipient_address": "短"}, expect=302)
    assert web.location().endswith("/confirm")
    saved = web.journey.env.store.applications.get(web.id).answers["pickup"]
    assert saved == {"pickup_method": "branch", "branch_id": branch}


# -- without JavaScript: the choice first, 【确定】, then its fields ------------------------------------

def test_without_javascript_the_choice_is_confirmed_then_its_fields_follow(web):
    branch = _to_pickup(web)
    html = web.get("pickup").get_data(as_text=True)
    assert re.search(r'id="f-pickup_method".*?<button type="submit" name="_preview" value="pickup_method" '
                     r'class="secondary nojs-only">确定</button>', html, re.S)
    assert "_preview\" value=\"branch_id\"" not in html            # 受理网点 decides nothing: no 确定
    web.post("pickup", "", {"pickup_method": "mail", "branch_id": branch}, _preview="pickup_method", expect=200)
    step = web.text()
    assert {"mail_notice_ack", "recipient_region", "recipient_address"} <= _shown(step)
    assert 'value="mail" checked' in step
    assert 'class="error-summary"' not in step and not web.errors()      # a step, not a failed 下一步
    web.post("pickup", "", {"pickup_method": "branch", "branch_id": branch, "recipient_address": ADDRESS},
             _preview="pickup_method", expect=200)
    assert "pickup_method" in _shown(web.text()) and not _shown(web.text()) & set(MAIL_FIELDS)
    assert _hidden(web.text())["recipient_address"] == ADDRESS


def test_ticking_long_term_hides_the_end_date(web):
    web.walk_to_info("mainland_adult")
    html = web.get("info").get_data(as_text=True)
    assert "valid_to" in _shown(html)
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "long_term": "true"}
    assert "valid_to" not in _shown(_refresh(web, "info", "long_term", data))
    web.post("info", "", data, _preview="long_term", expect=200)
    assert "valid_to" not in _shown(web.text()) and "证件有效截止日期" not in web.text()


# -- the upload page: only the slots of the chosen document set -----------------------------------------

def test_hong_kong_resident_sees_no_slot_before_choosing_and_never_a_residence_permit_slot(web):
    _to_upload(web, "hong_kong_resident")
    html = web.get("upload").get_data(as_text=True)
    assert _shown(html) == {"document_set"}
    assert "<legend>居住证国徽面</legend>" not in html and "<legend>通行证正面</legend>" not in html
    assert "时填写" not in html
    web.post("upload", "", {"document_set": "hk_macao_permit"}, _preview="document_set", expect=200)
    assert _shown(web.text()) == {"document_set", "permit_front", "permit_back"}
    assert "<legend>居住证国徽面</legend>" not in web.text() and "<legend>通行证正面</legend>" in web.text()


def test_mainland_resident_sees_the_id_card_slots_with_the_only_option_chosen(web):
    _to_upload(web, "mainland_adult")
    html = web.get("upload").get_data(as_text=True)
    assert _shown(html) == {"document_set", "id_card_emblem", "id_card_portrait"}
    assert re.findall(r'name="document_set" value="([a-z_]+)" checked', html) == ["id_card"]
    assert "请选择证件材料" not in html
    web.post("upload", "next", files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}, expect=302)


def test_the_api_lists_the_same_fields_with_the_same_choice(web, api):
    _to_upload(web, "mainland_adult")
    html = web.get("upload").get_data(as_text=True)
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    _, view = api.page("upload")
    assert {f["name"] for f in view["fields"]} == _shown(html)
    assert {f["name"]: f["value"] for f in view["fields"]}["document_set"] == "id_card"
