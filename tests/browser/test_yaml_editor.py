"""The staff pages' YAML editor (CodeMirror 6, renderers/html/editor/) in a real browser: a staff
member opens a rule file of the current version in 试改 mode, breaks it, sees the problem at its line
and in the list under the editor within a few seconds, fixes it and sees 未发现问题; the read-only
view cannot be typed into. Under the normal staff policy (style-src 'self'): no CSP violation."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from test_security_headers import POLICY

RULE_FILE = "rules/pickup.yaml"
SOON_MS = 5_000            # "within a few seconds": the check runs 600 ms after the last key


@pytest.fixture
def staff_page(phone, live_server, recorder_for):
    page = phone.new_page()
    return page, recorder_for(page, javascript=True)


def _open_logged_in(page, url: str):
    page.goto(url)
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("staff-demo")
    with page.expect_response(lambda r: r.url == url) as opened:
        page.get_by_role("button", name="登录").click()
    return opened.value


def test_a_broken_rule_file_is_shown_at_its_line_and_the_fix_clears_it(staff_page, live_server):
    page, recorder = staff_page
    version = live_server.journey.env.bundle
    original = (live_server.app.config["PROJECT_DIR"] / RULE_FILE).read_text("utf-8")
    url = f"{live_server.url}/staff/versions/{version}/files/{RULE_FILE}?try=1"
    response = _open_logged_in(page, url)
    assert response.headers["content-security-policy"] == POLICY       # no exception for the editor
    editor = page.locator(".cm-content")                               # in the editor's shadow root
    expect(editor).to_be_visible()
    expect(page.locator("textarea#file-text")).to_be_hidden()
    problems = page.locator("#file-text-problems")
    expect(problems).to_have_attribute("aria-live", "polite")
    expect(problems).to_have_text("未发现问题", timeout=SOON_MS)           # the first check, as loaded
    assert page.locator(".cm-lineNumbers .cm-gutterElement").filter(has_text="12").count() == 1
    recorder.record("试改-打开")

    # an unknown key at the end of the file (its last line is empty: the text ends with a newline)
    line = original.count("\n") + 1
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("colour: red")
    expect(problems).to_contain_text("发现 1 个问题", timeout=SOON_MS)
    item = problems.locator(f'li[data-line="{line}"][data-severity="error"]')
    expect(item).to_contain_text(f"第 {line} 行")
    expect(item).to_contain_text("colour")
    expect(item).to_contain_text("错误")
    marked = page.locator(".cm-content .cm-line").nth(line - 1).locator(".cm-lintRange-error")
    expect(marked).to_have_text("colour: red")
    expect(page.locator(".cm-lint-marker-error")).to_have_count(1)
    assert page.locator("textarea#file-text").input_value().endswith("colour: red")   # a plain submit posts it
    recorder.record("试改-发现问题")

    # a wrong indentation: a YAML syntax error, at its line
    for _ in "colour: red":
        page.keyboard.press("Backspace")
    page.keyboard.type("   bad: [")
    expect(problems.locator('li[data-code="yaml.syntax"]')).to_have_count(1, timeout=SOON_MS)
    expect(problems.locator('li[data-code="yaml.syntax"]')).to_have_attribute("data-line", str(line))

    # the line's button puts the cursor there; the fix clears the list and the marks
    problems.get_by_role("button", name=f"第 {line} 行").click()
    page.keyboard.press("End")
    for _ in "   bad: [":
        page.keyboard.press("Backspace")
    expect(problems).to_have_text("未发现问题", timeout=SOON_MS)
    expect(page.locator(".cm-lintRange-error")).to_have_count(0)
    assert page.locator("textarea#file-text").input_value().rstrip("\n") == original.rstrip("\n")
    recorder.record("试改-已改正")


def test_the_read_only_view_cannot_be_typed_into(staff_page, live_server):
    page, recorder = staff_page
    version = live_server.journey.env.bundle
    url = f"{live_server.url}/staff/versions/{version}/files/{RULE_FILE}"
    assert _open_logged_in(page, url).headers["content-security-policy"] == POLICY
    editor = page.locator(".cm-content")
    expect(editor).to_have_attribute("aria-readonly", "true")
    before = page.locator("textarea#file-text").input_value()
    editor.click()
    page.keyboard.type("oops")
    assert page.locator("textarea#file-text").input_value() == before
    expect(page.locator("#file-text-problems")).to_have_count(1)        # drawn by the page, never filled
    expect(page.locator("#file-text-problems")).to_have_text("")
    recorder.record("只读")
    page.get_by_role("link", name="试改").click()
    expect(page).to_have_url(url + "?try=1")
    expect(page.locator("#file-text-problems")).to_have_text("未发现问题", timeout=SOON_MS)
