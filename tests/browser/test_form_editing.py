"""A staff member changes ID-004 on a phone through the form editor (表单编辑), without YAML: the age
46 → 45 and its refusal message; the checker says the example at the old boundary no longer holds
and nothing is saved; with that example's date moved too, the save goes through, the draft has no
errors and its changes name the rule and the new age."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apptools import Clock, make_app, serving

RULE_FILE = "rules/id_card_validity.yaml"
AGE = "规则 ID-004 的条件：证件签发时年龄（周岁） 小于"
MESSAGE = "规则 ID-004 拒绝时的提示文字"
EXAMPLE_DATE = "规则 ID-004 的例子 1：证件有效开始日期"


@pytest.fixture
def server(tmp_path, definitions):
    app = make_app(tmp_path, definitions, CLOCK=Clock())
    with serving(app) as live:
        yield live


def test_a_rule_changed_through_the_form(phone, server, recorder_for):
    live = server
    original = live.journey.bundles.files(live.journey.env.bundle)[RULE_FILE]
    page = phone.new_page()
    recorder = recorder_for(page)
    page.goto(live.url + "/staff/login")
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("staff-demo")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="草稿与发布").click()
    page.get_by_label("修改原因").fill("签发时未满45周岁不能为长期")
    page.get_by_role("button", name="新建草稿（复制当前版本）").click()
    page.locator(f'li[data-file="{RULE_FILE}"]').get_by_role("link", name="表单编辑").click()
    expect(page.get_by_role("heading", name=f"表单编辑：{RULE_FILE}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")      # fits a phone

    age = page.get_by_label(AGE, exact=True)
    expect(age).to_have_value("46")
    age.fill("45")
    message = page.get_by_label(MESSAGE, exact=True)
    message.fill(message.input_value().replace("46", "45"))
    recorder.record("表单-修改年龄与提示")
    page.get_by_role("button", name="保存修改").click()

    expect(page.locator("#form-error")).to_contain_text("修改后检查发现下列错误")
    expect(page.locator("#form-problems")).to_contain_text("ID-004")
    expect(page.get_by_label(AGE, exact=True)).to_have_value("45")                        # what was typed stays
    assert "lt: 46}" in live.journey.bundles.texts(live.journey.env.store.drafts.get(1).manifest)[RULE_FILE]
    recorder.record("表单-例子不符")
    page.get_by_label(EXAMPLE_DATE, exact=True).fill("2025-03-09")
    page.get_by_role("button", name="保存修改").click()

    expect(page.get_by_role("heading", name="草稿 #1")).to_be_visible()
    expect(page.locator("#checks [data-errors]")).to_have_attribute("data-errors", "0")
    changes = page.locator("#changes")
    expect(changes).to_contain_text("ID-004")
    expect(changes).to_contain_text("45")
    expect(page.locator('#history li[data-action="edited"]')).to_have_count(1)
    recorder.record("表单-草稿变化")
    saved = live.journey.bundles.texts(live.journey.env.store.drafts.get(1).manifest)[RULE_FILE]
    assert saved == (original.replace("lt: 46}", "lt: 45}", 1)
                     .replace("签发时未满46周岁的居民身份证没有", "签发时未满45周岁的居民身份证没有", 1)
                     .replace("valid_from: 2026-03-09}}\n        fires: [ID-004]",
                              "valid_from: 2025-03-09}}\n        fires: [ID-004]", 1))
