"""An auditor opens 统计看板: the bar charts are drawn (Chart.js under the page's CSP, no console
error), each beside its table; without JavaScript the tables say the same."""
from __future__ import annotations

from playwright.sync_api import expect

from walkers import ApiWalker


def _refused_once(app) -> str:
    api = ApiWalker(app.test_client(), app)
    api.walk_to_info("mainland_adult")
    api.info_page(long_term=True, expect=422)                   # ID-004 refuses a long-term card under 46
    return api.id


def _login(page, url):
    page.goto(f"{url}/staff/dashboard")
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("staff-demo")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="统计看板", level=1)).to_be_visible()


def test_the_dashboard_draws_its_charts(phone, live_server, recorder_for):
    _refused_once(live_server.app)
    page = phone.new_page()
    recorder = recorder_for(page, javascript=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not m.text.startswith(
        "Failed to load resource") else None)           # (the favicon's 404, the bad date's 400: not scripts)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server.url)
    for name in ("applications", "refusals"):
        canvas = page.locator(f"#chart-{name}")
        expect(canvas).to_have_attribute("role", "img")
        page.wait_for_function(f"() => {{ const c = document.getElementById('chart-{name}');"
                               f" return window.Chart && Chart.getChart(c) && c.height > 0 && c.width > 0; }}")
        assert canvas.bounding_box()["height"] > 100
    labels = page.evaluate("() => Chart.getChart(document.getElementById('chart-refusals')).data.labels")
    assert len(labels) == 1 and labels[0][0] == "ID-004"
    expect(page.locator('table[data-figure="refusals"]')).to_contain_text("ID-004")
    recorder.record("staff-统计看板")
    page.get_by_label("开始日期").fill("2026-02-30")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("alert")).to_contain_text("不是有效的日期")
    expect(page.get_by_label("开始日期")).to_have_value("2026-02-30")
    assert errors == [], errors


def test_without_javascript_the_tables_hold_the_figures(phone_nojs, live_server, recorder_for):
    _refused_once(live_server.app)
    page = phone_nojs.new_page()
    recorder = recorder_for(page, javascript=False)
    _login(page, live_server.url)
    expect(page.locator('table[data-figure="applications"]')).to_contain_text("sscard_adult")
    expect(page.locator('table[data-figure="refusals"] a[href="/staff/rules/id_card_validity#ID-004"]')).to_be_visible()
    recorder.record("staff-统计看板-无脚本")
