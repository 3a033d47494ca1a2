"""Nothing lost (issue 16, item 2): a page's entries are kept in the draft as the citizen goes
(field checks, 获取图片, removing or choosing a file, 发送验证码, 选择受理网点), a reload shows them,
and 下一步 still decides; a browser without a session is told in Chinese and offered to verify again
(htmx: HX-Redirect); the home page lists the verified person's open applications; an older copy of
a page posted again shows the page with a note, not an error; 发送验证码 without JavaScript is
Post/Redirect/Get."""
from __future__ import annotations

import re

import pytest

from walkers import ADULT_INFO, HtmlWalker, jpeg

HX = {"HX-Request": "true"}


@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def _revision(html: str) -> str:
    return re.search(r'name="_revision" value="(\d+)"', html).group(1)


def _refresh(web, page, field, data, files=None):
    form = {"_csrf": web._csrf(), **data}
    for name, content in (files or {}).items():
        form[name] = (__import__("io").BytesIO(content), f"{name}.jpg")
    r = web.client.post(f"/a/{web.id}/{page}/_refresh?field={field}", data=form, headers=HX,
                        content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)[:1000]
    return r


def _answers(web, page):
    return web.journey.env.store.applications.get(web.id).answers.get(page)


def test_what_is_typed_is_kept_by_a_field_check_and_a_reload_shows_it(web):
    web.walk_to_info()
    html = web.get("info").get_data(as_text=True)
    revision = _revision(html)
    _refresh(web, "info", "residence_address", {"residence_address": "天河路200号5栋602房", "mobile": "13800138001"})
    assert _answers(web, "info") is None                        # entries, not answers: the page is not done
    page = web.get("info").get_data(as_text=True)               # a reload (or the browser opened again)
    assert "天河路200号5栋602房" in page and 'value="13800138001"' in page
    assert _revision(page) == revision                          # the citizen's own next post is not stale
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001",
            "residence_address": "天河路200号5栋602房"}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, _revision=revision, expect=302)
    assert web.location().endswith("/pickup")
    assert _answers(web, "info")["residence_address"] == "天河路200号5栋602房"
    assert "info" not in (web.journey.env.store.applications.get(web.id).context.get("entries") or {})


def test_an_upload_is_kept_by_the_field_check_and_after_a_reload(web):
    web.start()
    assert web.verify("mainland_adult").headers["Location"].endswith("/eligibility")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    revision = _revision(web.get("upload").get_data(as_text=True))
    _refresh(web, "upload", "id_card_emblem", {"document_set": "id_card"}, files={"id_card_emblem": jpeg()})
    page = web.get("upload").get_data(as_text=True)
    found = re.search(r'name="id_card_emblem" value="([0-9a-f]+)"', page)
    assert found and f"/_uploads/{found.group(1)}" in page       # the photo is still there after a reload
    # the other file by a plain post of 获取图片-like preview: kept too, the first one stays
    web.post("upload", "", {"document_set": "id_card", "id_card_emblem": found.group(1), "_preview": "1"},
             files={"id_card_portrait": jpeg()}, _revision=revision, expect=200)
    page = web.get("upload").get_data(as_text=True)
    portrait = re.search(r'name="id_card_portrait" value="([0-9a-f]+)"', page)
    assert portrait and found.group(1) in page
    # 下一步 with what the page shows: done, the files are the answers
    web.post("upload", "next", {"document_set": "id_card", "id_card_emblem": found.group(1),
                                "id_card_portrait": portrait.group(1)}, _revision=revision, expect=302)
    assert _answers(web, "upload")["id_card_portrait"] == portrait.group(1)


def test_removing_a_file_keeps_the_rest_of_the_page(web):
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    _refresh(web, "upload", "id_card_emblem", {"document_set": "id_card"},
             files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()})
    page = web.get("upload").get_data(as_text=True)
    emblem = re.search(r'name="id_card_emblem" value="([0-9a-f]+)"', page).group(1)
    portrait = re.search(r'name="id_card_portrait" value="([0-9a-f]+)"', page).group(1)
    web.post("upload", "", {"document_set": "id_card", "id_card_emblem": emblem, "id_card_portrait": portrait,
                            "_delete": "id_card_emblem"}, expect=200)
    page = web.get("upload").get_data(as_text=True)
    assert f'value="{portrait}"' in page and emblem not in page


def test_a_lost_session_gets_a_chinese_page_that_offers_to_verify_again(app, web):
    web.start()
    web.verify("mainland_adult")
    stranger = app.test_client()                                 # the browser was closed: no cookie
    r = stranger.get(f"/a/{web.id}/eligibility")
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and "Not Found" not in html
    assert 'data-code="session.gone"' in html and "请重新核验身份" in html and "未提交的申请已为您保存" in html
    assert 'action="/resume"' in html and "人脸核验后继续办理" in html
    lost = app.test_client()
    lost.set_cookie("session", "an-ended-session-id")
    html = lost.get(f"/a/{web.id}/eligibility").get_data(as_text=True)
    assert 'data-code="session.expired"' in html and "自动退出" in html
    # the form of the page posted with no session (资格校验): the same page, not a CSRF error
    r = stranger.post(f"/a/{web.id}/eligibility", data={"_action": "check", "issuing_city": "440100"})
    assert r.status_code == 404 and 'data-code="session.gone"' in r.get_data(as_text=True)
    # 人脸核验后继续办理 from that page leads into face verification (web/resume.py)
    r = stranger.post("/resume", headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/sim/face/")


def test_htmx_requests_without_a_session_are_redirected_to_that_page(app, web):
    web.start()
    stranger = app.test_client()
    for r in (stranger.post(f"/a/{web.id}/eligibility", data={"_action": "check"}, headers=HX),
              stranger.post(f"/a/{web.id}/eligibility/_refresh?field=issuing_city", data={}, headers=HX)):
        assert r.status_code == 200 and r.headers["HX-Redirect"].startswith("/session/expired")
    page = stranger.get("/session/expired")
    assert page.status_code == 200 and "请重新核验身份" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_the_home_page_offers_to_continue_the_verified_persons_open_applications(app, web):
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    home = web.client.get("/")
    html = home.get_data(as_text=True)
    assert f'data-application="{web.id}"' in html
    card = html.split(f'data-application="{web.id}"')[1].split("</div>")[0]
    assert "社保卡申领" in card and "上次办理到：上传材料" in card and f'action="/resume/{web.id}"' in card
    assert home.headers["Cache-Control"] == "no-store"
    token = re.search(r'name="_csrf" value="([^"]+)"', card).group(1)
    r = web.client.post(f"/resume/{web.id}", data={"_csrf": token})
    assert r.status_code == 302 and r.headers["Location"] == f"/a/{web.id}/"
    assert web.client.get(r.headers["Location"]).headers["Location"].endswith("/upload")
    # another browser, not verified, sees no one's applications
    assert web.id not in app.test_client().get("/").get_data(as_text=True)


def test_an_older_copy_of_a_page_posted_again_shows_the_current_page_with_a_note(web):
    web.start()
    web.verify("mainland_adult")
    old = web.get("eligibility").get_data(as_text=True)
    web.post("eligibility", "check", {"issuing_city": "440100"}, _revision=_revision(old), expect=302)
    web.post("upload", "next", {"document_set": "id_card"},
             files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}, expect=302)
    # 后退 twice and 资格校验 again on the copy the browser kept
    r = web.post("eligibility", "check", {"issuing_city": "440300"}, _revision=_revision(old))
    html = web.text()
    assert r.status_code == 409 and "该申请已在其他页面更新，请核对后继续" in html
    assert 'class="error-summary"' not in html and 'class="note" role="status"' in html
    assert 'value="440300"' in html                              # what was chosen is still there
    fresh = _revision(html)
    assert fresh != _revision(old)
    web.post("eligibility", "check", {"issuing_city": "440300"}, _revision=fresh, expect=302)
    assert _answers(web, "eligibility")["issuing_city"] == "440300"


def _to_pickup(web):
    web.walk_to_pickup()


def test_without_javascript_choosing_a_branch_keeps_the_pages_answers(web):
    _to_pickup(web)
    page = web.get("pickup").get_data(as_text=True)
    url = f"/a/{web.id}/pickup/branches/branch_id"
    assert f'formaction="{url}"' in page and 'href="' + url not in page      # a button of the form, not a link
    r = web.client.post(url, data={"_csrf": web._csrf(), "pickup_method": "branch", "branch_id": ""})
    assert r.status_code == 303 and r.headers["Location"] == url
    results = web.client.get(url, query_string={"q": "天河"}).get_data(as_text=True)
    choose = re.search(r'href="(/a/[^"]+/pickup\?branch_id=[^"]+)"', results).group(1)
    page = web.client.get(choose.replace("&amp;", "&")).get_data(as_text=True)
    branch = choose.split("branch_id=")[1]
    assert re.search(r'value="branch"[^>]*checked', page)                 # 网点领卡 is still chosen
    assert f'value="{branch}"' in page
    assert web.get("pickup").status_code == 200 and re.search(r'value="branch"[^>]*checked', web.text())


def test_send_code_without_javascript_is_post_redirect_get(web):
    web.walk_to_info()
    outbox = web.journey.env.services.sms_gateway
    before = len(outbox.outbox())
    form = {"_csrf": web._csrf(), **ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001"}
    r = web.client.post(f"/a/{web.id}/info/sms/mobile_code", data=form)
    assert r.status_code == 303 and r.headers["Location"] == f"/a/{web.id}/info"
    assert len(outbox.outbox()) == before + 1
    for _ in range(2):                                           # the page, and a reload of it
        page = web.client.get(r.headers["Location"])
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "天河路100号3栋501房" in html and 'value="13800138001"' in html
        assert "验证码已发送" in html or "138****8001" in html
    assert len(outbox.outbox()) == before + 1                    # nothing sent again


def test_a_file_sent_with_a_next_that_had_errors_is_still_there_after_a_reload(web):
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    web.post("upload", "next", {"document_set": "id_card"}, files={"id_card_emblem": jpeg()}, expect=422)
    page = web.get("upload").get_data(as_text=True)              # without JavaScript: the file went with 下一步
    assert re.search(r'name="id_card_emblem" value="[0-9a-f]+"', page)
    assert _answers(web, "upload") is None
