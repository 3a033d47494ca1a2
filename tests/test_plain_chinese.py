"""Plain Chinese, once (issue 16, item 3): the error summary at the top always says what is wrong on
the page now (after a field re-check, an upload, a code sent, a no-JS 【获取图片】 or X); all of a
page's errors come in one round, the SMS code's included; a rule's message is citizen text, its
basis and id folded under “为什么？”, never a file name or English."""
from __future__ import annotations

import io
import re

import pytest

from walkers import ADULT_INFO, ApiWalker, HtmlWalker, jpeg

SUMMARY = re.compile(r'<div id="error-summary"([^>]*)>(.*?)</div>', re.S)


@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def summary(html: str) -> tuple[str, list[str]]:
    """The summary's attributes and the fields it links to."""
    found = SUMMARY.search(html)
    assert found, html[:3000]
    return found.group(1), re.findall(r'<a href="#i-([a-z_]+)">', found.group(2))


def shown(html: str) -> list[str]:
    return re.findall(r'name="_shown" value="([^"]+)"', html)


def refresh(web, page, field, data, files=None):
    """What htmx sends when `field` changes: the whole form, the errors it shows among it."""
    form = {"_csrf": web._csrf(), **data}
    for name, content in (files or {}).items():
        form[name] = (io.BytesIO(content), f"{name}.jpg")
    web.last = web.client.post(f"/a/{web.id}/{page}/_refresh?field={field}", data=form,
                               headers={"HX-Request": "true"}, content_type="multipart/form-data")
    assert web.last.status_code == 200, web.text()[:2000]
    return web.text()


def _to_upload(web):
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)


def test_summary_follows_uploads_made_one_by_one(web):
    """The parent who uploaded every photo is no longer told in red to upload them."""
    _to_upload(web)
    web.post("upload", "next", {"document_set": "id_card"}, expect=422)
    page = web.text()
    assert summary(page)[1] == ["id_card_emblem", "id_card_portrait"]
    errors = {"_shown": shown(page)}
    assert errors["_shown"] == ["id_card_emblem:required.upload", "id_card_portrait:required.upload"]

    first = refresh(web, "upload", "id_card_emblem", {"document_set": "id_card", **errors},
                    files={"id_card_emblem": jpeg()})
    attrs, links = summary(first)
    assert 'hx-swap-oob="true"' in attrs and links == ["id_card_portrait"]     # the top of the page follows
    assert 'id="e-id_card_emblem"' not in first and 'id="e-id_card_portrait"' in first

    still = shown(first)
    upload_id = re.search(r'name="id_card_emblem" value="([^"]+)"', first).group(1)
    last = refresh(web, "upload", "id_card_portrait",
                   {"document_set": "id_card", "id_card_emblem": upload_id, "_shown": still},
                   files={"id_card_portrait": jpeg()})
    attrs, links = summary(last)
    assert links == [] and 'class="error-summary"' not in attrs and "required.upload" not in last


def test_a_field_fixed_leaves_the_other_errors_in_the_summary(web):
    web.walk_to_info()
    web.post("info", "next", {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "ethnicity": "",
                              "residence_address": "短", "mobile": "138"}, expect=422)
    page = web.text()
    before = summary(page)[1]
    assert {"ethnicity", "mobile", "residence_address"} <= set(before)
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "residence_address": "短", "mobile": "138",
            "ethnicity": "01", "_shown": shown(page)}
    after = summary(refresh(web, "info", "ethnicity", data))[1]
    assert "ethnicity" not in after and {"mobile", "residence_address"} <= set(after)
    assert after == [p for p in before if p != "ethnicity"]


def test_no_js_remove_keeps_the_errors_still_there(web):
    """Without JavaScript, the X on an uploaded image shows the page again with what is still wrong."""
    _to_upload(web)
    web.post("upload", "next", {"document_set": "id_card"}, files={"id_card_emblem": jpeg()}, expect=422)
    page = web.text()
    assert summary(page)[1] == ["id_card_portrait"]
    upload_id = re.search(r'name="id_card_emblem" value="([^"]+)"', page).group(1)
    web.post("upload", "next", {"document_set": "id_card", "id_card_emblem": upload_id, "_shown": shown(page)},
             _delete="id_card_emblem", expect=200)
    html = web.text()
    assert summary(html)[1] == ["id_card_portrait"] and 'id="e-id_card_portrait"' in html
    assert 'id="e-id_card_emblem"' not in html            # the slot just emptied is not blamed for it


# -- all errors in one round -------------------------------------------------------------------------

def test_a_wrong_sms_code_comes_with_the_other_errors(web):
    web.walk_to_info()
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001"}
    right = web.sms("info", "mobile_code", data)
    wrong = "000000" if right != "000000" else "111111"
    web.post("info", "next", {**data, "ethnicity": "", "mobile_code": wrong}, expect=422)
    assert ("ethnicity", "required.choice") in web.errors() and ("mobile_code", "sms.wrong") in web.errors()
    assert summary(web.text())[1][:1] == ["ethnicity"] and "mobile_code" in summary(web.text())[1]

    # a right code given while something else is wrong is not used up: the next round takes it
    web.post("info", "next", {**data, "ethnicity": "", "mobile_code": right}, expect=422)
    assert web.errors() == [("ethnicity", "required.choice")]
    web.post("info", "next", {**data, "mobile_code": right}, expect=302)
    assert web.location().endswith("/pickup")


def test_a_wrong_sms_code_stays_in_the_summary_while_other_fields_are_fixed(web):
    web.walk_to_info()
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001"}
    web.sms("info", "mobile_code", data)
    web.post("info", "next", {**data, "ethnicity": "", "mobile_code": "999999"}, expect=422)
    page = web.text()
    fixed = refresh(web, "info", "ethnicity", {**data, "mobile_code": "999999", "_shown": shown(page)})
    assert summary(fixed)[1] == ["mobile_code"]             # the code is checked by 下一步 only


def test_api_reports_the_code_with_the_other_errors(api):
    api.walk_to_info()
    phone = api.persona_phone()
    api.sms("info", "mobile_code", phone)
    body = api.act("info", "next", {**ADULT_INFO, "insurance_type": api.insurance_type(), "ethnicity": "99x",
                                    "mobile": phone, "mobile_code": "000001"}, expect=422)
    paths = {e["path"]: e["code"] for e in body["errors"]}
    assert paths.get("mobile_code") in ("sms.wrong",) and "ethnicity" in paths


# -- rule messages: citizen text, the basis under 为什么？ ------------------------------------------------

def test_rule_error_is_plain_chinese_with_its_basis_under_why(web):
    web.walk_to_info()
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001",
            "valid_from": "2005-03-01", "valid_to": "2025-03-01"}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, expect=422)
    html = web.text()
    assert ("valid_to", "ID-002") in web.errors()
    field = re.search(r'id="f-valid_to".*?</details>', html, re.S).group(0)
    why = re.search(r'<details class="why"><summary>为什么？</summary>(.*?)</details>', field, re.S)
    assert why and "ID-002" in why.group(1) and "依据" in why.group(1)
    for technical in (".json", "Expired", "validity_and_age_rules"):
        assert technical not in html
    message = re.search(r'id="e-valid_to"[^>]*>([^<]+)<', field).group(1)
    assert "ID-002" not in message and not re.search(r"[A-Za-z]{3}", message)


def test_popup_basis_under_why(web):
    web.start()
    r = web.verify("pending_application")
    assert r.status_code == 409
    dialog = re.search(r"<dialog.*?</dialog>", r.get_data(as_text=True), re.S).group(0)
    assert re.search(r'<details class="why"><summary>为什么？</summary>.*PRE-002.*</details>', dialog, re.S)


@pytest.fixture
def api(app):
    return ApiWalker(app.test_client(), app)
