"""The Content-Security-Policy holds in a real browser and nothing needs more: a citizen page with htmx
at work (a field checked as it changes, a form swapped in place) and the staff flow page with its
Mermaid diagram drawn, with no violation reported (securitypolicyviolation or Chromium's console)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from steps import check_eligibility, start_application, upload_documents, use_system_photo, verify_face
from test_security_headers import DIAGRAM_POLICY, POLICY


def csp_violation(text: str) -> bool:
    return text.startswith("CSP violation") or "Content Security Policy" in text


@pytest.fixture
def console(phone):
    """Every console message of the context's pages (the CSP listener of conftest writes there too)."""
    messages: list[str] = []
    phone.on("page", lambda page: page.on("console", lambda m: messages.append(m.text)))
    return messages


def test_a_citizen_page_with_htmx_breaks_no_policy(citizen, console):
    page = citizen.page
    home = page.goto(citizen.server.url + "/")
    assert home is not None and home.headers["content-security-policy"] == POLICY
    start_application(citizen)
    verify_face(citizen, "mainland_adult")
    check_eligibility(citizen)
    upload_documents(citizen, "居民身份证", ["身份证国徽面", "身份证人像面"])   # htmx: checks, uploads, swaps
    use_system_photo(citizen)                          # an image served by the app
    citizen.sees("申请信息")
    assert page.evaluate("() => document.documentElement.classList.contains('js')")
    assert page.evaluate("() => typeof window.htmx === 'object' && htmx.config.allowEval === false")
    assert page.evaluate("() => !document.querySelector('head style')")      # no indicator <style> of htmx
    citizen.recorder.record("csp-申请信息")
    assert [m for m in console if csp_violation(m)] == []


def test_the_staff_flow_diagram_breaks_no_policy(phone, live_server, recorder_for, console):
    page = phone.new_page()
    recorder = recorder_for(page, javascript=True)
    response = page.goto(f"{live_server.url}/staff/flows/sscard_adult")
    assert response is not None and response.headers["content-security-policy"] == POLICY   # the login page
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("staff-demo")
    with page.expect_response(lambda r: r.url.endswith("/staff/flows/sscard_adult")) as flow:
        page.get_by_role("button", name="登录").click()
    assert flow.value.headers["content-security-policy"] == DIAGRAM_POLICY
    expect(page.locator("pre.mermaid svg")).to_be_visible()              # Mermaid drew the diagram
    recorder.record("csp-staff-flow")
    assert [m for m in console if csp_violation(m)] == []


def test_the_staff_yaml_editor_breaks_no_policy(phone, live_server, recorder_for, console):
    """CodeMirror's styles (style-mod) go into a constructed stylesheet of the editor's shadow root,
    which style-src 'self' does not govern: no <style> element anywhere, the policy unchanged."""
    page = phone.new_page()
    recorder = recorder_for(page, javascript=True)
    url = f"{live_server.url}/staff/versions/{live_server.journey.env.bundle}/files/rules/pickup.yaml?try=1"
    page.goto(url)
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("staff-demo")
    with page.expect_response(lambda r: r.url == url) as opened:
        page.get_by_role("button", name="登录").click()
    assert opened.value.headers["content-security-policy"] == POLICY
    expect(page.locator(".cm-editor .cm-lineNumbers")).to_be_visible()
    expect(page.locator("#file-text-problems")).to_have_text("未发现问题")
    styled = page.evaluate("""() => {
      const root = document.querySelector('.yaml-editor-host').shadowRoot;
      const gutter = root.querySelector('.cm-gutters');
      return {sheets: root.adoptedStyleSheets.length, styleElements: document.querySelectorAll('style').length +
              root.querySelectorAll('style').length, gutterDisplay: getComputedStyle(gutter).display};
    }""")
    assert styled == {"sheets": 1, "styleElements": 0, "gutterDisplay": "flex"}   # CodeMirror's own rules apply
    recorder.record("csp-staff-editor")
    assert [m for m in console if csp_violation(m)] == []
