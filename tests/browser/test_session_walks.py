"""A citizen's session on a phone: 【退出】 ends it; after it expired (the server's clock moved on),
继续办理 with a new face verification brings back the same draft; the page warns before expiry."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from apptools import Clock, make_app, serving
from steps import Citizen, check_eligibility, start_application, verify_face


@pytest.fixture
def clock():
    return Clock(datetime.now(timezone.utc))


@pytest.fixture
def timed_server(tmp_path, definitions, clock, request):
    extra = getattr(request, "param", {})
    with serving(make_app(tmp_path, definitions, CLOCK=clock, **extra)) as server:
        yield server


@pytest.fixture
def person(phone, timed_server, recorder_for):
    page = phone.new_page()
    return Citizen(page, timed_server, recorder_for(page, javascript=True))


def _to_upload(c: Citizen) -> str:
    start_application(c)
    verify_face(c, "mainland_adult")
    check_eligibility(c)
    c.sees("上传材料")
    return c.page.url


def test_logout_ends_the_session(person):
    url = _to_upload(person)
    person.press("退出")
    expect(person.page.get_by_role("status").filter(has_text="您已安全退出")).to_be_visible()
    person.sees("在线办理", "已退出")
    person.page.goto(url)                                  # the page of the draft no longer opens: it says why
    person.sees("请重新核验身份", "已退出后打开")
    expect(person.page.get_by_role("button", name="人脸核验后继续办理")).to_be_visible()
    expect(person.page.get_by_role("button", name="退出")).to_have_count(0)


def test_resume_after_the_session_expired(person, clock):
    url = _to_upload(person)
    app_id = url.split("/a/")[1].split("/")[0]
    clock.now += timedelta(minutes=16)                     # idle longer than the limit
    person.page.goto(url)
    person.sees("请重新核验身份", "会话已过期")
    expect(person.page.get_by_role("status")).to_have_text(
        "本次办理已因长时间未操作而自动退出。未提交的申请已为您保存，请人脸核验后“继续办理”。")
    person.press("人脸核验后继续办理")                       # offered on that page
    person.sees("人脸核验（本地模拟）")
    name = person.persona("mainland_adult").person.name
    person.page.get_by_role("radio", name=re.compile(f"^{name}：")).check()
    person.press("核验通过")
    person.sees("继续办理")
    draft = person.page.locator(f'[data-application="{app_id}"]')
    expect(draft).to_contain_text("社保卡申领")
    draft.get_by_role("button", name="继续").click()
    person.sees("上传材料", "继续办理")
    assert app_id in person.page.url


@pytest.mark.parametrize("timed_server", [{"SESSION_WARN_SECONDS": 899}], indirect=True)
def test_the_page_warns_before_the_session_ends(person):
    _to_upload(person)
    warning = person.page.locator("#session-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("秒后自动退出")
    person.snapshot("即将退出提示")
    with person.page.expect_response(re.compile(r"/session/ping$")) as ping:
        person.press("继续操作")
    assert ping.value.status == 204
