"""A staff member on the staff pages: an application's personal data is masked; one value is shown in
full only after a reason is given, and the reveal is in 操作日志 (who, which application, why)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from walkers import ApiWalker


@pytest.fixture
def staff_page(phone, live_server, recorder_for):
    page = phone.new_page()
    return page, recorder_for(page, javascript=True)


def test_a_reveal_needs_a_reason_and_is_logged(staff_page, live_server):
    page, recorder = staff_page
    app = live_server.app
    api = ApiWalker(app.test_client(), app)
    api.walk_to_confirm()                                     # 陈志明's application, phone 13800138001
    page.goto(f"{live_server.url}/staff/applications/{api.id}")
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("staff-demo")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="申请内容（默认脱敏）")).to_be_visible()
    recorder.record("staff-申请-脱敏")
    row = page.locator('tr[data-key="info.mobile"]')
    expect(row).to_contain_text("138****8001")
    expect(page.locator("body")).not_to_contain_text("13800138001")
    expect(page.locator("body")).not_to_contain_text("440106198805123510")
    row.get_by_text("查看完整内容").click()
    reason = row.get_by_label("查看理由（将记录在审计日志中）")
    reason.fill("市民来电核实手机号码")
    row.get_by_role("button", name="查看").click()
    expect(page.locator('tr[data-key="info.mobile"] .revealed')).to_have_text("13800138001")
    expect(page.locator('tr[data-key="identity.id_number"]')).to_contain_text("4401**********3510")
    recorder.record("staff-申请-查看")
    page.get_by_role("link", name="操作日志").click()
    event = page.locator('tr[data-action="reveal"]')
    expect(event).to_have_count(1)
    expect(event).to_contain_text("查看明文")
    expect(event).to_contain_text("市民来电核实手机号码")
    expect(event).to_contain_text(api.id)
    expect(page.locator("body")).not_to_contain_text("13800138001")
    recorder.record("staff-操作日志")
