"""Nothing about a particular procedure is written in Python, templates or scripts: every page id
and field name of the shipped flows must be absent from them (platform vocabulary excepted)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# words that are also the platform's own vocabulary: identity facts, registry card keys,
# field types and format names, problem severities
PLATFORM_WORDS = {"name", "ssn", "id_number", "id_type", "upload", "confirm", "info", "cards", "mobile", "success",
                  "failure", "issuing_city", "relationship"}   # relationship: the demo personas file's guardian key


def _code_files():
    yield from (ROOT / "platform").rglob("*.py")
    yield from (ROOT / "renderers").rglob("*.html")
    yield from (ROOT / "renderers/html/static").glob("*.js")
    yield from (ROOT / "renderers/html/static").glob("*.css")


def test_no_page_or_field_of_a_flow_is_named_in_code(definitions):
    names = set()
    for flow in definitions.flows.values():
        names |= set(flow.pages)
        for page in flow.pages.values():
            names |= set(page.fields)
    names -= PLATFORM_WORDS
    assert {"pickup_method", "document_set", "eligibility", "pickup"} <= names
    found = []
    for path in _code_files():
        text = path.read_text("utf-8")
        for name in names:
            for match in re.finditer(rf"[\"'/#.]{re.escape(name)}[\"'/\s]", text):
                line = text[:match.start()].count("\n") + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert found == []
