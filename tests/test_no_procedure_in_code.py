"""Nothing about a particular procedure is written in platform/ or renderers/: no flow, page, field,
rule set, rule, pick-list, connector, operation or persona of the data (tests/procedure_words.py
takes the words from the files and says where a word counts as a name)."""
from __future__ import annotations

from pathlib import Path

from procedure_words import Leak, find_leaks, procedure_words

ROOT = Path(__file__).resolve().parents[1]

# The platform's own vocabulary that procedures also use as names, each with why it is the platform's.
PLATFORM_WORDS = {
    "name": "identity fact of face verification (identity.name) and a JSON key everywhere",
    "ssn": "identity fact of face verification (identity.ssn)",
    "id_number": "identity fact of face verification (identity.id_number)",
    "id_type": "identity fact of face verification (identity.id_type)",
    "upload": "a field type of the flow format",
    "confirm": "the flow format's confirm action and popup button",
    "info": "a problem severity of the checker",
    "success": "an outcome page kind of the flow format",
    "failure": "an outcome page kind of the flow format",
    "status": "an application's status in the store",
    "relationship": "the demo personas' guardian key read by the simulated identity world",
    "mobile": "a field format of the flow format (format: mobile) and its mask",
    "provinces": "formats.py checks ID numbers' province codes with reference/provinces.json (GB 11643)",
    "id_types": "formats.py maps ID types to formats like reference/id_types.json (docs/internals.md)",
    "record": "the audit trail's verb (audit.record) and the records content block",
    "branch_id": "the branch service's own parameter (services: a branch's id, as the branch widget stores it)",
}

# Files not searched at all, each with why (none today: keep it so).
EXEMPT_FILES: dict[str, str] = {}
# TODO(issue #14): the registry's failure messages in the citizen catalogue become the titles of the
# connector's `failures:` (connectors/registry.yaml); then remove this exemption.
EXEMPT_WORDS: set[tuple[str, str]] = set()


def test_no_procedure_word_in_platform_or_renderers():
    leaks = [leak for leak in find_leaks(ROOT, PLATFORM_WORDS, EXEMPT_FILES)
             if (leak.file, leak.word) not in EXEMPT_WORDS]
    assert leaks == [], "procedure words in code:\n" + "\n".join(map(str, leaks))


def test_the_words_come_from_every_kind_of_data():
    words = procedure_words(ROOT)
    sources = {source.split("/")[0] for source in words.values()}
    assert {"flows", "rules", "reference", "connectors", "demo"} <= sources


def test_exemptions_are_still_needed():
    """An exemption that nothing needs any more is removed (so the lead sees when a port is done)."""
    assert all((ROOT / name).is_file() for name in EXEMPT_FILES)
    found = {(leak.file, leak.word) for leak in find_leaks(ROOT, PLATFORM_WORDS)}
    assert EXEMPT_WORDS <= found
    assert all(any(file == name for file, _ in found) for name in EXEMPT_FILES)


def _tree(root: Path) -> Path:
    (root / "flows" / "shared").mkdir(parents=True)
    (root / "flows" / "leave.yaml").write_text(
        "id: leave_request\ntitle: 请假\npages:\n  - id: reason\n    title: 事由\n"
        "    fields:\n      reason_text: {title: 事由, type: string, options: leave_kinds}\n", "utf-8")
    (root / "flows" / "shared" / "common.yaml").write_text(
        "fragment: leave_common\ntitle: 共用\npages:\n  - id: approval\n    title: 审批\n", "utf-8")
    (root / "rules").mkdir()
    (root / "rules" / "leave.yaml").write_text("ruleset: leave_checks\nrules:\n  - id: LEAVE-001\n", "utf-8")
    (root / "rules" / "facts.yaml").write_text("facts:\n  identity.name: {type: string}\n", "utf-8")
    (root / "reference").mkdir()
    (root / "reference" / "picklists.yaml").write_text("leave_kinds: {title: 假别}\n", "utf-8")
    (root / "connectors").mkdir()
    (root / "connectors" / "hr.yaml").write_text(
        "id: hr_system\nlookups:\n  staff:\n    facts: hr\n    returns: {days_left: {type: integer}}\n"
        "operations:\n  leave_filing: {}\n", "utf-8")
    (root / "demo").mkdir()
    (root / "demo" / "personas.yaml").write_text("personas:\n  - id: new_clerk\n", "utf-8")
    code = root / "platform" / "pkg"
    code.mkdir(parents=True)
    (root / "renderers" / "html" / "templates").mkdir(parents=True)
    return code


def test_the_test_finds_a_leak_and_not_an_english_word(tmp_path):
    code = _tree(tmp_path)
    (code / "widgets.py").write_text(
        '"""Asks the citizen for a reason, shows the approval of a request."""\n'
        "def regions(lists, reason):\n"
        "    approval = reason  # the reason given\n"
        "    return lists.get('leave_kinds'), approval\n", "utf-8")
    leaks = find_leaks(tmp_path, {})
    assert leaks == [Leak("platform/pkg/widgets.py", 4, "leave_kinds", "reference/picklists.yaml")]


def test_a_word_of_the_platforms_formats_may_name_a_page_or_field(tmp_path):
    """A field named `kind` (a content block's key) or a page `failed` (a status of the platform)."""
    code = _tree(tmp_path)
    (tmp_path / "flows" / "more.yaml").write_text(
        "id: more_leave\ntitle: 更多\npages:\n  - id: failed\n    title: 失败\n"
        "    fields:\n      kind: {title: 类别}\n      leave_kind: {title: 假别}\n", "utf-8")
    (code / "flow.schema.json").write_text('{"properties": {"kind": {"enum": ["failed", "leave_kind"]}}}', "utf-8")
    (code / "b.py").write_text('K = block["kind"]\nS = "failed"\n', "utf-8")
    assert {leak.word for leak in find_leaks(tmp_path, {})} == {"leave_kind"}   # distinctive: still a leak


def test_the_test_finds_each_kind_of_word_in_each_kind_of_file(tmp_path):
    code = _tree(tmp_path)
    (code / "a.py").write_text('"""Runs LEAVE-001."""\nX = ctx["hr"]["days_left"]\nY = "flows/reason.yaml"\n'
                               "# `approval` page\nZ = f'{p}.staff'\n", "utf-8")
    (code / "m.yaml").write_text("hr_system.down: {zh: 系统忙}\nplain: {zh: 请填写 leave_filing}\n", "utf-8")
    (code / "s.json").write_text('{"properties": {"new_clerk": {"description": "a reason"}}}', "utf-8")
    (tmp_path / "renderers" / "html" / "templates" / "p.html").write_text(
        "<p>the reason</p>\n{% if page.id == 'reason' %}{{ answers.leave_request }}{% endif %}\n", "utf-8")
    found = {(leak.file.split("/")[-1], leak.word) for leak in find_leaks(tmp_path, {})}
    assert found == {("a.py", "LEAVE-001"), ("a.py", "hr"), ("a.py", "days_left"), ("a.py", "reason"),
                     ("a.py", "approval"), ("a.py", "staff"), ("m.yaml", "hr_system"), ("m.yaml", "leave_filing"),
                     ("s.json", "new_clerk"), ("p.html", "reason"), ("p.html", "leave_request")}
    assert find_leaks(tmp_path, {"hr": "test"}, {"platform/pkg/a.py": "test"}) and \
        all(leak.file != "platform/pkg/a.py" and leak.word != "hr" for leak in
            find_leaks(tmp_path, {"hr": "test"}, {"platform/pkg/a.py": "test"}))
