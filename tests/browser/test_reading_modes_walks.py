"""长辈版 and 繁體 on a phone: the adult walk (steps.walk_to_review, submit) in large-text mode, each
page measured (body text ≥ 18px, every button and header link ≥ 60px high: the MIIT 适老化 guidance)
and checked with axe; each page is also opened in a second phone set to 繁體 (the same session's
cookies), shown in Traditional Chinese with lang="zh-Hant", and checked with axe.

Screenshots: test-output/screenshots/<test>/, the 繁體 pages labelled "繁體-<page>"."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from govflow import hant
from steps import Citizen, sees_success, submit, walk_to_review

MIN_TEXT_PX = 18
MIN_TARGET_PX = 60

_MEASURE = """([minText, minTarget]) => {
  const shown = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 2 && r.height > 2 && s.visibility !== 'hidden' && !e.closest('[hidden], dialog:not([open])'); };
  const own = e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const small = [...document.querySelectorAll('main *, header *')]
    .filter(e => shown(e) && own(e) && parseFloat(getComputedStyle(e).fontSize) < minText)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} ${getComputedStyle(e).fontSize} `
              + e.textContent.trim().slice(0, 20));
  const low = [...document.querySelectorAll('button, a.button, .topbar a, main a.edit')]
    .filter(e => shown(e) && e.getBoundingClientRect().height < minTarget - 0.5)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().height)}px `
              + e.textContent.trim().slice(0, 20));
  return {body: parseFloat(getComputedStyle(document.body).fontSize), html: document.documentElement.className,
          small, low};
}"""


class ModesRecorder:
    """The walk's recorder, plus: the large-text measures on every page, and the same page again
    in the 繁體 phone (once per address)."""

    def __init__(self, base, hant_page: Page, hant_recorder, server):
        self.base, self.hant_page, self.hant_recorder, self.server = base, hant_page, hant_recorder, server
        self.mirrored: set[str] = set()
        self.pages = 0

    def __getattr__(self, name):
        return getattr(self.base, name)

    def record(self, label: str):
        path = self.base.record(label)
        self.pages += 1
        found = self.base.page.evaluate(_MEASURE, [MIN_TEXT_PX, MIN_TARGET_PX])
        assert "large" in found["html"].split(), (label, found["html"])
        assert found["body"] >= MIN_TEXT_PX, (label, found["body"])
        assert not found["small"], (label, "text under 18px", found["small"])
        assert not found["low"], (label, "targets under 60px", found["low"])
        self._in_hant(label)
        return path

    def _in_hant(self, label: str) -> None:
        url = self.base.page.url
        where = urlsplit(url).path
        if where in self.mirrored or not (where == "/" or where.startswith("/a/")):
            return
        self.mirrored.add(where)
        context = self.hant_page.context
        context.add_cookies([*(c for c in self.base.page.context.cookies() if c["name"] != "gf_large"),
                             {"name": "gf_script", "value": "hant", "url": self.server.url}])
        self.hant_page.goto(url)
        expect(self.hant_page.locator("html")).to_have_attribute("lang", "zh-Hant")
        title = self.base.page.get_by_role("heading", level=1).first.inner_text().strip()
        expect(self.hant_page.get_by_role("heading", level=1).first).to_have_text(hant.convert(title))
        expect(self.hant_page.get_by_role("link", name="简体", exact=True)).to_be_visible()
        self.hant_recorder.record(f"繁體-{label}")


def test_adult_walk_in_large_text_and_in_traditional_chinese(phone, phone2, live_server, recorder_for):
    page, hant_page = phone.new_page(), phone2.new_page()
    recorder = ModesRecorder(recorder_for(page), hant_page, recorder_for(hant_page), live_server)
    citizen = Citizen(page, live_server, recorder)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="长辈版", exact=True).click()        # the header's switch (a cookie)
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge\b"))
    walk_to_review(citizen)
    submit(citizen)
    assert sees_success(citizen)
    assert recorder.pages >= 8
    mirrored = {p.rsplit("/", 1)[-1] for p in recorder.mirrored}
    assert {"guide", "eligibility", "upload", "photo", "info", "pickup", "confirm", "success"} <= mirrored, mirrored
    page.get_by_role("link", name="标准版", exact=True).click()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\blarge\b"))
