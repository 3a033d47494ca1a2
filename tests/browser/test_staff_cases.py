"""A case worker finds 黄丽华's case by its 受理编号 on a phone and reads it; an auditor then sees
the search and the reveal in 操作日志. With JavaScript the form swaps only the results (htmx) and
keeps the filters in the address bar; without it the same form is a plain GET."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apptools import ROOT
from govflow.scenarios.loader import load_scenario_file
from govflow.scenarios.runner import ScenarioRunner


def _huang(app) -> str:
    """The scenario 提交失败后重新提交 (ID-004 refuses 长期, the back end refuses once): its reference."""
    [scenario] = [s for s in load_scenario_file(ROOT / "scenarios/sscard_adult.yaml").scenarios
                  if s.name == "提交失败后重新提交"]
    runner = ScenarioRunner(app)
    runner.run(scenario)
    reference = app.extensions["govflow"].env.store.applications.get(runner.id).reference
    assert reference
    return reference


def _others(app) -> None:
    """Two more cases, so a search has something to leave out."""
    for name in ("证件已过有效期不能申领",):
        [scenario] = [s for s in load_scenario_file(ROOT / "scenarios/sscard_adult.yaml").scenarios if s.name == name]
        ScenarioRunner(app).run(scenario)


@pytest.fixture
def reference(live_server) -> str:
    """黄丽华's case and one more on the server: her 受理编号."""
    found = _huang(live_server.app)
    _others(live_server.app)
    return found


def _login(page, url, user, password, target="/staff/applications"):
    page.goto(f"{url}{target}")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_a_caseworker_finds_a_case_by_its_reference_and_an_auditor_sees_it(phone, live_server, recorder_for, reference):
    page = phone.new_page()
    recorder = recorder_for(page, javascript=True)
    _login(page, live_server.url, "caseworker", "caseworker-demo")
    expect(page.get_by_role("heading", name="申请记录", level=1)).to_be_visible()
    rows = page.locator("#case-results tbody tr")
    expect(rows).to_have_count(2)
    recorder.record("staff-申请记录")
    heading = page.get_by_role("heading", name="申请记录", level=1).element_handle()
    page.get_by_role("searchbox").fill(reference)
    page.get_by_role("button", name="查找").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(reference)
    assert heading.is_visible()                    # the same page: only the results were swapped
    expect(page).to_have_url(re.compile(rf"q={reference}"))
    recorder.record("staff-按受理编号查找")
    rows.first.locator("a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("申请")
    main = page.locator("main")
    expect(main).to_contain_text("ID-004")
    expect(main).to_contain_text("《中华人民共和国居民身份证法》第五条")
    expect(main).not_to_contain_text("黄丽华")
    expect(main).not_to_contain_text("440104199507080825")
    recorder.record("staff-案件")
    page.locator("details.reveal summary").first.click()
    page.get_by_label("查看理由（将记录在审计日志中）").first.fill("核对申请人身份")
    page.get_by_role("button", name="查看", exact=True).first.click()
    expect(page.locator("strong.revealed")).to_have_count(1)
    page.goto(f"{live_server.url}/staff/events")
    expect(page.get_by_role("heading", level=1)).to_have_text("没有权限")   # a case worker: no audit log

    page.get_by_role("button", name="退出登录").click()
    _login(page, live_server.url, "reviewer", "reviewer-demo", target="/staff/events")   # an auditor
    log = page.locator("main")
    expect(log).to_contain_text("caseworker")
    expect(log).to_contain_text("核对申请人身份")
    expect(log).not_to_contain_text(reference)           # a search records what was looked up by, not the text
    recorder.record("staff-操作日志")


def test_without_javascript_the_search_is_a_plain_form(phone_nojs, live_server, recorder_for, reference):
    page = phone_nojs.new_page()
    recorder = recorder_for(page, javascript=False)
    _login(page, live_server.url, "caseworker", "caseworker-demo")
    page.get_by_role("searchbox").fill(reference)
    page.get_by_role("button", name="查找").click()
    expect(page).to_have_url(re.compile(rf"/staff/applications\?.*q={reference}"))
    expect(page.locator("#case-results tbody tr")).to_have_count(1)
    page.get_by_label("创建日期从").fill("2026-02-30")
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("alert")).to_contain_text("不是有效的日期")
    expect(page.get_by_role("searchbox")).to_have_value(reference)
    recorder.record("staff-查找-无脚本")
