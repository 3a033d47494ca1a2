"""Browser fixtures: a live server per test, one Chromium per session, phone contexts (with and
without JavaScript), a full-page screenshot and an axe-core check of every page a walk visits, and
no Content-Security-Policy violation on any page of a JavaScript context.

Accessibility findings (impact "serious" or "critical") are collected over the whole walk and fail
the test at its end, listing page, rule id, impact, help and target selectors; when the walk itself
fails first, they are attached to the report as an extra section.

No-JavaScript contexts: Chromium does not run a <script> element added by page.add_script_tag when
JavaScript is disabled, and timers never fire there, so axe.run() would never resolve. There the axe
source is evaluated directly by Playwright (which still works) and setTimeout is replaced by a
microtask for the duration of the check. The page's own scripts still never run.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL_HINT = "run `sudo apt-get install -y chromium fonts-noto-cjk`"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-output" / "screenshots"
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
REPORTED_IMPACTS = ("serious", "critical")
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


from apptools import make_app, serving  # noqa: E402  (tests/ is on sys.path: rootdir conftest)


# -- live server --------------------------------------------------------------------------------
@pytest.fixture
def live_server(tmp_path, definitions):
    with serving(make_app(tmp_path, definitions)) as server:
        yield server


class SimClock:
    """The simulated outside systems' clock (SIMULATOR_CLOCK): a test moves it on by hand."""

    def __init__(self):
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def sim_clock():
    return SimClock()


@pytest.fixture
def progress_server(tmp_path, definitions, sim_clock):
    """A server whose simulators run on `sim_clock` and whose progress is asked on every poll round."""
    with serving(make_app(tmp_path, definitions, SIMULATOR_CLOCK=sim_clock, PROGRESS_POLL_SECONDS=0)) as server:
        yield server


# -- browser and contexts -------------------------------------------------------------------------
def _cjk_font_installed() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return True                     # cannot tell: do not block the tests on it
    return bool(out.strip())


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: the browser tests need it; {INSTALL_HINT}", pytrace=False)
    if not _cjk_font_installed():
        pytest.fail(f"No CJK font: every Chinese character would be an empty box in the screenshots; "
                    f"{INSTALL_HINT}", pytrace=False)
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` (package.json pins it)", pytrace=False)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _context(browser, **extra):
    context = browser.new_context(**PHONE, **extra)
    context.set_default_timeout(TIMEOUT_MS)
    return context


# -- Content-Security-Policy ---------------------------------------------------------------------
# Every page of a JavaScript context reports what the policy blocked (securitypolicyviolation, and
# Chromium's own "Refused to ..." console errors); any of it fails the test at its end, like axe's
# findings: a blocked script or style is htmx or app.js not working. (An init script is injected by
# Playwright, outside the page's policy.)
_CSP_LISTENER = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + (e.sourceFile || document.location.href) + ":" + e.lineNumber + " " + (e.sample || ""));
});"""
_CSP = pytest.StashKey[list]()


def csp_violation(text: str) -> bool:
    return text.startswith("CSP violation") or "Content Security Policy" in text


def watch_csp(context, found: list) -> None:
    """Collect the CSP violations of every page `context` opens into `found`."""
    context.add_init_script(_CSP_LISTENER)

    def on_page(page):
        page.on("console", lambda m: found.append(f"{page.url}: {m.text}") if csp_violation(m.text) else None)
    context.on("page", on_page)


def _watched_phone(browser, request):
    context = _context(browser)
    watch_csp(context, request.node.stash.setdefault(_CSP, []))
    yield context
    context.close()


@pytest.fixture
def phone(browser, request):
    """A phone: 375x812, touch, zh-CN, JavaScript on; the policy's violations fail the test."""
    yield from _watched_phone(browser, request)


@pytest.fixture
def phone2(browser, request):
    """A second phone (another person's), with the same checks."""
    yield from _watched_phone(browser, request)


@pytest.fixture
def phone_nojs(browser):
    """The same phone with JavaScript disabled."""
    context = _context(browser, java_script_enabled=False)
    yield context
    context.close()


# -- accessibility ----------------------------------------------------------------------------------
_NO_TIMERS_SHIM = """() => {
  if (window.__govflowTimersShimmed) return;
  window.__govflowTimersShimmed = true;
  window.setTimeout = (fn, ms, ...args) => {
    Promise.resolve().then(() => { if (typeof fn === 'function') fn(...args); });
    return 0;
  };
  window.clearTimeout = () => {};
}"""

_AXE_RUN = """async (impacts) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => impacts.includes(v.impact)).map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map(n => n.target.join(' '))}));
}"""


def axe_violations(page: Page, javascript: bool = True) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        if not javascript:
            page.evaluate(_NO_TIMERS_SHIM)
        # evaluated by Playwright, not added as a <script>: the page's CSP allows no inline script
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(_AXE_RUN, list(REPORTED_IMPACTS))


def _safe(name: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s\[\]]+', "_", name).strip("_")[:80] or "page"


@dataclass
class PageRecorder:
    """Screenshot + axe check of each page state a walk reaches; findings are kept for the end."""
    page: Page
    directory: Path
    javascript: bool = True
    count: int = 0
    findings: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    def record(self, label: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{_safe(label)}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        for v in axe_violations(self.page, self.javascript):
            self.findings.append(f"[{path.name}] {v['id']} ({v['impact']}): {v['help']}\n"
                                 f"    targets: {', '.join(v['targets'])}\n    {v['helpUrl']}")
        return path

    def finding(self, text: str) -> None:
        """An accessibility problem found by the walk itself (not by axe), reported the same way."""
        self.findings.append(f"[after {self.count:02d}] {text}")


_RECORDERS = pytest.StashKey[list]()


@pytest.fixture
def recorder_for(request):
    """recorder_for(page, javascript=...) -> a PageRecorder writing to test-output/screenshots/<test>/."""
    directory = SCREENSHOTS / _safe(request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    recorders = request.node.stash.setdefault(_RECORDERS, [])

    def make(page: Page, javascript: bool = True) -> PageRecorder:
        recorder = PageRecorder(page, directory, javascript)
        recorders.append(recorder)
        return recorder
    return make


def _a11y_report(item) -> str:
    findings = [f for r in item.stash.get(_RECORDERS, []) for f in r.findings]
    if not findings:
        return ""
    unique = list(dict.fromkeys(findings))
    return (f"{len(unique)} serious/critical accessibility problem(s) (axe-core and the walk's own checks):\n"
            + "\n".join(unique))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        result = yield
    except BaseException:
        report = _a11y_report(item)
        if report:
            item.add_report_section("call", "accessibility (axe-core)", report)
        raise
    report = _a11y_report(item)
    if report:
        pytest.fail(report, pytrace=False)
    blocked = list(dict.fromkeys(item.stash.get(_CSP, [])))
    if blocked:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(blocked), pytrace=False)
    return result


# -- citizens -------------------------------------------------------------------------------------
@pytest.fixture
def citizen(phone, live_server, recorder_for):
    """A citizen on a phone with JavaScript, at the home page of a fresh server."""
    from steps import Citizen
    page = phone.new_page()
    return Citizen(page, live_server, recorder_for(page, javascript=True))


@pytest.fixture
def citizen_nojs(phone_nojs, live_server, recorder_for):
    """The same citizen with JavaScript disabled."""
    from steps import Citizen
    page = phone_nojs.new_page()
    return Citizen(page, live_server, recorder_for(page, javascript=False))
