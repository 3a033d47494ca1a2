"""docs/data-protection.md names the settings that decide what is kept and for how long: each one
it names is read by the platform (the page cannot drift from the code unnoticed)."""
from __future__ import annotations

import re

from apptools import ROOT


def test_every_setting_the_data_protection_page_names_is_read_by_the_platform():
    doc = (ROOT / "docs/data-protection.md").read_text("utf-8")
    settings = set(re.findall(r"`([A-Z][A-Z0-9_]{5,})`", doc))
    assert {"RETAIN_DRAFT_DAYS", "RETAIN_UPLOAD_DAYS", "GOVFLOW_KEYS", "GOVFLOW_KEY_FILE"} <= settings
    code = "\n".join(p.read_text("utf-8") for p in (ROOT / "platform/govflow").rglob("*.py"))
    read = re.compile(r'(?:get|number)\("([A-Z][A-Z0-9_]+)"')      # os.environ.get("X", ...), env.get("X")
    assert sorted(settings - set(read.findall(code))) == []
