"""Two staff members change a rule in the browser, without touching a file: the editor drafts ID-004
(46 → 45, and its message), sees the checks, the changes, the impact and a preview as citizens see
it, and sends it to review; the reviewer approves it and publishes it two minutes ahead; the old rule
is live until then and the new one after; the history names both; a roll-back restores the old."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from apptools import Clock, make_app, serving
from govflow.formats import SHANGHAI

RULE_FILE = "rules/id_card_validity.yaml"
SOON_MS = 8_000


@pytest.fixture
def server(tmp_path, definitions):
    clock = Clock()
    app = make_app(tmp_path, definitions, CLOCK=clock)
    app.extensions["govflow"].bundles.min_interval = 0      # follow a publication on the next request
    with serving(app) as live:
        yield live, clock


def _login(page, url: str, user: str, password: str) -> None:
    page.goto(url + "/staff/login")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(f"当前用户：{user}")).to_be_visible()


def _edited(original: str) -> str:
    text = original.replace("{fact: id_card.age_at_issue, lt: 46}", "{fact: id_card.age_at_issue, lt: 45}", 1)
    text = text.replace("签发时未满46周岁的居民身份证没有长期有效期", "签发时未满45周岁的居民身份证没有长期有效期", 1)
    # the example at the old boundary (45 at issue) would now pass: the example moves with the rule
    return text.replace("form: {long_term: true, valid_from: 2026-03-09}}\n        fires: [ID-004]",
                        "form: {long_term: true, valid_from: 2025-03-09}}\n        fires: [ID-004]", 1)


def _live_state(page, url: str, version: str) -> str:
    page.goto(url + "/staff/versions")
    return page.locator(f'tr[data-version="{version}"]').first.get_attribute("data-state") or ""


def test_edit_preview_review_publish_and_roll_back(phone, phone2, server, recorder_for):
    live, clock = server
    seed = live.journey.env.bundle
    original = live.journey.bundles.files(seed)[RULE_FILE]
    editor_ctx = phone
    page, other = phone.new_page(), phone2.new_page()
    recorder = recorder_for(page)

    _login(page, live.url, "staff", "staff-demo")
    page.get_by_role("link", name="草稿与发布").click()
    page.get_by_label("修改原因").fill("2027年起按新规定：签发时未满45周岁不能为长期")
    page.get_by_role("button", name="新建草稿（复制当前版本）").click()
    expect(page.get_by_role("heading", name="草稿 #1")).to_be_visible()
    page.get_by_role("link", name=RULE_FILE).click()
    content = page.locator(".cm-content")
    expect(content).to_be_visible()
    problems = page.locator("#text-problems")
    expect(problems).to_have_text("未发现问题", timeout=SOON_MS)
    content.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")                                      # select all, delete, paste the new text
    page.keyboard.insert_text(_edited(original).replace("valid_from: 2025-03-09", "valid_from: 2026-03-09"))
    expect(problems).to_contain_text("ID-004", timeout=SOON_MS)          # the example no longer holds
    recorder.record("草稿-示例不符")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(_edited(original))
    expect(problems).to_have_text("未发现问题", timeout=SOON_MS)
    page.get_by_role("button", name="保存").click()

    expect(page.locator("#checks [data-errors]")).to_have_attribute("data-errors", "0")
    expect(page.locator("#changes")).to_contain_text("ID-004")
    expect(page.locator("#impact")).to_contain_text("id_card_validity")
    recorder.record("草稿-检查与变化")
    with editor_ctx.expect_page() as opened:
        page.get_by_role("button", name="预览市民页面").click()
    preview = opened.value
    expect(preview.get_by_text("预览：草稿 #1")).to_be_visible()
    preview.close()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("dd[data-status]")).to_have_attribute("data-status", "review")
    expect(page.locator('form[data-step="approve"]')).to_have_count(0)   # not for its own author

    _login(other, live.url, "reviewer", "reviewer-demo")
    other.goto(live.url + "/staff/drafts/1")
    other.get_by_label("审核意见（可选）").fill("符合新规定")
    other.get_by_role("button", name="批准").click()
    expect(other.locator("dd[data-status]")).to_have_attribute("data-status", "approved")
    at = (clock.now + timedelta(minutes=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    other.get_by_label("生效时间（北京时间，可选）").fill(at)
    other.get_by_role("button", name="发布").click()
    expect(other.locator("dd[data-status]")).to_have_attribute("data-status", "scheduled")
    recorder_for(other).record("审核-已定时发布")

    new = next(p.version for p in live.journey.env.store.publications.history() if p.kind == "publish")
    assert _live_state(other, live.url, new) == "pending" and live.journey.env.bundle == seed
    clock.advance(minutes=3)
    assert _live_state(other, live.url, new) == "live" and live.journey.env.bundle == new
    rule = live.journey.env.rulebook.rulesets["id_card_validity"].rules[0]
    assert rule.id == "ID-004" and "45" in rule.title + str(rule.then)

    page.goto(live.url + "/staff/drafts/1")
    history = page.locator("#history")
    for text in ("staff", "reviewer", "符合新规定", "发布"):
        expect(history).to_contain_text(text)
    expect(page.locator("dd").first).to_contain_text("签发时未满45周岁不能为长期")

    other.goto(live.url + "/staff/versions")
    row = other.locator(f'tr[data-version="{seed}"][data-state="past"]')
    row.get_by_label("回滚原因").fill("新规定暂缓执行")
    row.get_by_role("button", name="回滚到此版本").click()
    expect(other.locator(f'tr[data-version="{seed}"][data-state="live"]')).to_have_count(1)
    expect(other.locator("body")).to_contain_text("新规定暂缓执行")
    assert live.journey.env.bundle == seed
    recorder_for(other).record("定义版本-回滚")
