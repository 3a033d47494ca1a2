"""Pickers that fit a phone (issue 16, item 5): region pickers in steps without JavaScript (and
level by level with htmx), never one select of thousands; dates typed as citizens type them and
shown as 年月日; the photo page says which portrait makes the card."""
from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govflow import formats
from walkers import ADULT_INFO, HtmlWalker, jpeg

ADDRESS = "天河路100号3栋501房"
MAIL = {"pickup_method": "mail", "mail_notice_ack": "true", "recipient_address": ADDRESS}
LEVEL = "_level-recipient_region-"


@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def _at_pickup(web):
    web.branch = web.walk_to_pickup()


def _step(web, page, data, button="_cascade", value="recipient_region", headers=None):
    """A press of a button other than the page's actions (【下一级】, 【获取图片】): no `_action`."""
    form = {"_csrf": web._csrf(), button: value, **data}
    web.last = web.client.post(f"/a/{web.id}/{page}", data=form, content_type="multipart/form-data",
                               headers=headers or {})
    return web.last


def _selects(html: str) -> dict[str, list[str]]:
    """Each select's name -> its option values ("" included)."""
    return {m.group(1): re.findall(r'<option(?: selected)? value="([^"]*)"', m.group(2))
            for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S)}


def _selected(html: str) -> dict[str, str]:
    return {m.group(1): (re.search(r'<option selected value="([^"]*)"', m.group(2)) or [None, None])[1]
            for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S)}


def test_recipient_area_in_steps_without_javascript_keeps_the_other_answers(web):
    _at_pickup(web)
    assert "recipient_region" not in web.get("pickup").get_data(as_text=True)   # 邮寄 not chosen: no area
    _step(web, "pickup", {"pickup_method": "mail"}, button="_preview", value="pickup_method")   # 【确定】
    page = web.text()
    assert "recipient_region" not in _selects(page)          # no list of all districts, anywhere
    assert [n for n in _selects(page) if n.startswith(LEVEL)] == [LEVEL + "0"]
    assert len(_selects(page)[LEVEL + "0"]) == 35             # 请选择 and the 34 provinces
    assert 'value="recipient_region" class="secondary nojs-only">下一级</button>' in page

    r = _step(web, "pickup", {**MAIL, "branch_id": web.branch, LEVEL + "0": "440000"})
    assert r.status_code == 200
    html = web.text()
    assert ADDRESS in html and 'name="mail_notice_ack" value="true" checked' in html   # nothing typed is lost
    assert _selected(html)[LEVEL + "0"] == "440000" and "440100" in _selects(html)[LEVEL + "1"]
    assert LEVEL + "2" not in _selects(html)
    assert web.journey.env.store.applications.get(web.id).answers.get("pickup") is None   # nothing saved

    _step(web, "pickup", {**MAIL, "branch_id": web.branch, LEVEL + "0": "440000", LEVEL + "1": "440100"})
    html = web.text()
    assert "440106" in _selects(html)[LEVEL + "2"]
    web.post("pickup", "next", {**MAIL, "branch_id": web.branch, LEVEL + "0": "440000", LEVEL + "1": "440100",
                                LEVEL + "2": "440106"}, expect=302)
    assert web.journey.env.store.applications.get(web.id).answers["pickup"]["recipient_region"] == "440106"

    # a value chosen before shows its three levels, and the confirmation page its path
    html = web.get("pickup").get_data(as_text=True)
    assert [_selected(html)[LEVEL + str(d)] for d in range(3)] == ["440000", "440100", "440106"]
    assert '>确定</button>' in html
    assert "广东省 / 广州市 / 天河区" in web.get("confirm").get_data(as_text=True)


def test_a_changed_province_drops_its_old_city_and_an_unfinished_choice_asks_for_the_next_level(web):
    _at_pickup(web)
    posted = {**MAIL, "branch_id": web.branch, LEVEL + "0": "110000", LEVEL + "1": "440100", LEVEL + "2": "440106"}
    _step(web, "pickup", posted)
    html = web.text()
    assert _selected(html)[LEVEL + "0"] == "110000" and _selected(html)[LEVEL + "1"] is None
    assert "110101" in _selects(html)[LEVEL + "1"] and LEVEL + "2" not in _selects(html)
    web.post("pickup", "next", posted, expect=422)
    assert ("recipient_region", "region.incomplete") in web.errors()
    assert "请继续选择收件地区的下一级" in web.text() and ADDRESS in web.text()


def test_with_htmx_each_level_brings_the_next_without_an_error(web):
    _at_pickup(web)
    r = web.client.post(f"/a/{web.id}/pickup/_refresh?field=_level-recipient_region",
                        data={"_csrf": web._csrf(), **MAIL, LEVEL + "0": "440000"},
                        headers={"HX-Request": "true"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "440100" in _selects(html)[LEVEL + "1"] and 'class="error"' not in html


def test_no_page_has_a_select_of_more_than_200_options(web):
    _at_pickup(web)
    seen = 0
    for page in ("eligibility", "upload", "photo", "info", "pickup"):
        html = web.get(page).get_data(as_text=True)
        sizes = {name: len(values) for name, values in _selects(html).items()}
        seen += len(sizes)
        assert max(sizes.values(), default=0) <= 200, (page, sizes)
    assert seen >= 5
    branches = web.client.get(f"/a/{web.id}/pickup/branches/branch_id").get_data(as_text=True)
    assert max(len(v) for v in _selects(branches).values()) <= 200


# -- dates ---------------------------------------------------------------------------------------

def test_dates_typed_in_chinese_or_digits_are_read_and_shown_as_nian_yue_ri(web):
    web.walk_to_info()
    info = web.get("info").get_data(as_text=True)
    assert 'type="date"' in info and "年-月-日" in info and 'aria-describedby="d-valid_from"' in info
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001",
            "valid_from": "2020年3月1日", "valid_to": "20400301"}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, expect=302)
    answers = web.journey.env.store.applications.get(web.id).answers["info"]
    assert (answers["valid_from"], answers["valid_to"]) == ("2020-03-01", "2040-03-01")
    branch = web.journey.env.services.branches.search(None, "天河")[0].id
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": branch}, expect=302)
    confirm = web.get("confirm").get_data(as_text=True)
    assert "2020年03月01日" in confirm and "2040年03月01日" in confirm and "2020-03-01" not in confirm


def test_an_impossible_date_is_a_chinese_error_and_stays_as_typed(web):
    web.walk_to_info()
    web.post("info", "next", {"valid_from": "2020年13月1日"}, expect=422)
    assert ("valid_from", "date") in web.errors()
    assert "证件有效开始日期不是有效的日期，请按 年-月-日 填写" in web.text()
    assert 'value="2020年13月1日"' in web.text()


@pytest.mark.parametrize("typed", ["2024-05-12", "2024-5-12", "2024年5月12日", "2024年05月12日", "20240512",
                                   "2024/5/12", "2024.5.12", "２０２４年５月１２日", " 2024 - 5 - 12 "])
def test_typed_date_forms(typed):
    assert formats.typed_date(typed) == "2024-05-12"


STYLES = ["{y:04d}-{m}-{d}", "{y:04d}年{m}月{d}日", "{y:04d}{m:02d}{d:02d}", "{y:04d}-{m:02d}-{d:02d}"]


@given(st.dates(min_value=date(1, 1, 1)), st.sampled_from(STYLES))
def test_every_calendar_date_reads_back(day, style):
    assert formats.typed_date(style.format(y=day.year, m=day.month, d=day.day)) == day.isoformat()
    assert formats.show_date(day.isoformat()) == f"{day.year:04d}年{day.month:02d}月{day.day:02d}日"


@given(st.text(max_size=20))
def test_typed_date_is_a_calendar_date_or_nothing(text):
    out = formats.typed_date(text)
    assert out is None or date.fromisoformat(out).isoformat() == out


TYPED = st.one_of(st.text(max_size=24), st.from_regex(r"\A\d{1,5}[年/.-]?\d{1,3}[月/.-]?\d{1,3}日?\Z"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=TYPED)
def test_whatever_is_typed_in_a_date_never_gives_a_500(web_at_info, typed):
    web = web_at_info
    r = web.client.post(f"/a/{web.id}/info/_refresh?field=valid_from",
                        data={"_csrf": web._csrf(), "valid_from": typed}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    r = web.post("info", "next", {"valid_from": typed})
    assert r.status_code == 422
    codes = dict(web.errors())
    assert codes.get("valid_from") in (None, "date", "text.unreadable", "text.control", "text.bidi", "text.blank",
                                       "required")


@pytest.fixture
def web_at_info(app):
    web = HtmlWalker(app.test_client(), app)
    web.walk_to_info()
    return web


# -- the photo page ----------------------------------------------------------------------------------

def _at_photo(web, persona):
    web.start()
    web.verify(persona)
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    if persona == "hong_kong_resident":
        web.post("upload", "next", {"document_set": "hk_macao_permit"},
                 files={"permit_front": jpeg(), "permit_back": jpeg()}, expect=302)
    else:
        web.post("upload", "next", {"document_set": "id_card"},
                 files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}, expect=302)
    assert web.location().endswith("/photo")


def test_without_a_system_photo_the_page_says_so_first_and_offers_the_receipt_only(web):
    _at_photo(web, "hong_kong_resident")
    html = web.get("photo").get_data(as_text=True)
    note = html.index("社保系统中没有您的相片")
    assert note < html.index("使用相片</button>")
    assert 'value="receipt" checked' in html and 'value="system"' not in html
    assert "use_system_photo" not in html and 'class="field conditional" id="f-photo_receipt_number"' in html


def test_only_the_chosen_portrait_is_shown_and_said_to_be_used(web):
    _at_photo(web, "mainland_adult")
    html = web.get("photo").get_data(as_text=True)
    assert 'value="system" checked' in html                # the field's default, chosen for her
    assert html.count("将使用此相片制卡") == 1 and html.count("<img") == 1
    # the default answer is shown chosen (a default is the answer offered, as its fields say)
    assert 'value="system" checked' in html and 'name="use_system_photo" value="true" checked' in html
    receipt = "XP2025010316"                                    # 陈志明's own, from the studio
    _step(web, "photo", {"photo_source": "receipt", "photo_receipt_number": receipt, "use_system_photo": "true"},
          button="_preview", value="photo_receipt_number")
    html = web.text()
    assert web.last.status_code == 200
    assert html.count("将使用此相片制卡") == 1 and html.count("<img") == 1 and "ref=" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_fetching_a_photo_with_an_empty_box_says_what_to_do(web, htmx):
    _at_photo(web, "mainland_adult")
    _step(web, "photo", {"photo_source": "receipt", "photo_receipt_number": ""}, button="_preview",
          value="photo_receipt_number", headers={"HX-Request": "true"} if htmx else None)
    assert web.last.status_code == 422
    assert ("photo_receipt_number", "preview.empty") in web.errors()
    assert "请先输入社保卡相片回执号，再点击【获取图片】" in web.text()


def test_without_javascript_sending_the_code_keeps_the_region_chosen_level_by_level(web):
    """【发送验证码】 without JavaScript keeps the region's levels as chosen (not only the typed boxes)."""
    web.walk_to_info()
    level = "_level-residence_region-"
    web.sms("info", "mobile_code", {"mobile": "13800138001", "residence_address": ADDRESS,
                                    level + "0": "440100", level + "1": "440106"})
    html = web.text()
    assert ADDRESS in html
    assert _selected(html)[level + "0"] == "440100" and _selected(html)[level + "1"] == "440106"
