"""长辈版 (large text) and 繁體中文 (web/preferences.py, hant.py): header switches that work without
JavaScript (a GET that sets a cookie and redirects back), the class and lang on <html>, the
catalogue's and the flows' texts in Traditional Chinese, and Chinese error pages for every status."""
from __future__ import annotations

import re

import pytest

from govflow import catalog, hant
from walkers import ADULT_INFO, HtmlWalker


@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def _html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


def test_large_text_switch_sets_a_visit_cookie_and_the_class(client):
    page = client.get("/").get_data(as_text=True)
    assert 'class="no-js"' in _html_tag(page)
    link = re.search(r'href="([^"]+)"[^>]*data-pref="large-on"', page).group(1).replace("&amp;", "&")
    answer = client.get(link)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    cookie = answer.headers["Set-Cookie"]
    assert "gf_large=1" in cookie and "Expires" not in cookie and "Max-Age" not in cookie   # for the visit
    page = client.get("/").get_data(as_text=True)
    assert "large" in _html_tag(page).split('class="')[1].split('"')[0].split()
    assert 'data-pref="large-off"' in page and "标准版" in page
    client.get("/prefs/large/off?next=/")
    assert "large" not in _html_tag(client.get("/").get_data(as_text=True))


def test_switch_goes_back_to_this_site_only(client):
    assert client.get("/prefs/large/on?next=//evil.example/x").headers["Location"] == "/"
    assert client.get("/prefs/script/hant?next=https://evil.example/").headers["Location"] == "/"
    assert client.get("/prefs/script/hant?next=/a/x/guide%3Fq%3D1").headers["Location"] == "/a/x/guide?q=1"


def test_hant_renders_catalogue_and_flow_texts(web):
    web.start()
    guide = web.get("guide").get_data(as_text=True)
    assert "办理须知" in guide and 'lang="zh-CN"' in _html_tag(guide)
    web.client.get("/prefs/script/hant?next=/")
    guide = web.get("guide").get_data(as_text=True)
    assert 'lang="zh-Hant"' in _html_tag(guide)
    assert catalog.catalog()["ui.site"] == "广东人社" and "廣東人社" in guide          # a catalogue text
    assert "辦理須知" in guide and "办理须知" not in guide                             # flow texts
    assert "所需材料" in guide and "辦理流程" in guide
    assert "社保卡申領" in guide
    assert 'lang="zh-CN"' in guide and ">简体<" in guide       # the switch back names 简体 in its script
    web.client.get("/prefs/script/hans?next=/")
    assert "办理须知" in web.get("guide").get_data(as_text=True)


def test_hant_fields_options_and_rule_messages(web):
    web.walk_to_info()
    web.client.get("/prefs/script/hant?next=/")
    info = web.get("info").get_data(as_text=True)
    assert "證件有效期是否為長期" in info and "發送驗證碼" in info          # labels (widgets)
    assert "簽發" in info and "發卡地" in info and "髮卡" not in info       # zh_Hant.yaml's phrase corrections
    assert ">廣州市</option>" in info and ">广州市</option>" not in info   # the region picker's levels too
    web.post("info", "next", {"residence_address": "天河路100号3栋501房", "mobile": "138"}, expect=422)
    page = web.text()
    assert "請修改以下內容" in page
    assert f"next=/a/{web.id}/info" in page.replace("%2F", "/")    # the switch comes back here
    assert "天河路100号3栋501房" in page and "天河路100號" not in page     # what the citizen typed stays as typed
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert not re.search("[请选该号码输验证写]", summary), summary        # every error in Traditional


def test_review_keeps_typed_text_and_converts_labels(web):
    web.walk_to_info()
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001",
            "residence_address": "天河路100号3栋501房"}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, expect=302)
    branch = web.journey.env.services.branches.search(None, "天河")[0].id
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": branch}, expect=302)
    web.client.get("/prefs/script/hant?next=/")
    confirm = web.get("confirm").get_data(as_text=True)
    assert "天河路100号3栋501房" in confirm and "確認提交" in confirm and "個人信息" in confirm


def test_zh_hant_override_wins(app, client, monkeypatch):
    overrides = {"messages": {**hant.overrides()["messages"], "ui.site": "廣東人社（測試）"},
                 "phrases": {**hant.overrides()["phrases"], "辦理須知": "辦理須知（覆寫）"}}
    monkeypatch.setattr(hant, "overrides", lambda: overrides)
    hant.convert.cache_clear()
    try:
        client.get("/prefs/script/hant?next=/")
        page = client.get("/").get_data(as_text=True)
        assert "廣東人社（測試）" in page
        token = hant.use(True)
        try:
            assert hant.convert("办理须知") == "辦理須知（覆寫）"
        finally:
            hant.reset(token)
    finally:
        hant.convert.cache_clear()


def test_the_shipped_overrides_are_used():
    token = hant.use(True)
    try:
        assert catalog.text("ui.script_hans") == "简体"          # written, not converted (would be 簡體)
        assert hant.convert("请留意着") == "請留意著"             # a phrase correction
    finally:
        hant.reset(token)
    assert catalog.text("ui.site") == "广东人社"                 # off again outside the context


def test_api_takes_accept_language(api, client):
    answer = client.get("/api/v1/nothing-here", headers={"Accept-Language": "zh-Hant"})
    assert answer.status_code == 404 and "沒有找到" in answer.get_data(as_text=True)
    answer = client.get("/api/v1/nothing-here", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "没有找到" in answer.get_data(as_text=True)


HAN = re.compile("[\u4e00-\u9fff]")


@pytest.mark.parametrize("status, make", [
    (400, lambda c: c.post("/a/x/guide", data={"_csrf": "wrong"})),
    (403, lambda c: c.post("/a/x/guide", headers={"Sec-Fetch-Site": "cross-site"})),
    (404, lambda c: c.get("/no/such/page")),
    (405, lambda c: c.put("/")),
    (413, lambda c: c.post("/a/x/guide", data={"_csrf": "x", "big": "x" * (13 * 1024 * 1024)})),
    (500, lambda c: c.get("/prefs/boom")),
])
@pytest.mark.parametrize("script", ["hans", "hant"])
@pytest.mark.server_error_expected     # the 500 case raises on purpose
def test_error_pages_are_chinese(app, client, status, make, script):
    if status == 500:
        def boom():
            raise RuntimeError("boom")
        app.add_url_rule("/prefs/boom", "boom", boom)
    client.get(f"/prefs/script/{script}?next=/")
    assert client.post("/start/sscard_adult").status_code == 302     # a session (a browser without one
    answer = make(client)                                             # is shown the session-gone page)
    assert answer.status_code == status
    page = answer.get_data(as_text=True)
    assert "<html" in page and HAN.search(page.split("<main")[1]), page[:400]
    for english in ("Not Found", "Method Not Allowed", "Request Entity Too Large", "Bad Request",
                    "Internal Server Error", "Forbidden", "Too Many Requests", "werkzeug"):
        assert english not in page
    assert ('lang="zh-Hant"' in _html_tag(page)) == (script == "hant")


def test_error_page_429_is_chinese(app, client):
    from werkzeug.exceptions import TooManyRequests

    def busy():
        raise TooManyRequests()
    app.add_url_rule("/prefs/busy", "busy", busy)
    page = client.get("/prefs/busy")
    assert page.status_code == 429 and catalog.text("http.429") in page.get_data(as_text=True)
