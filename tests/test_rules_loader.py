"""Each loader problem code, at the file:line the broken fixture marks with `# expect: CODE`."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from govflow.rules import load_rulebook
from test_rules_examples import FORM_TYPES, RULES_DIR, FakePicklist, FakePicklists

BROKEN = Path(__file__).resolve().parent / "fixtures" / "rules_broken"
EXPECT = re.compile(r"#\s*expect:\s*([\w.,\s]+)$")


def expected(folder: Path) -> set[tuple[str, int, str]]:
    out = set()
    for path in sorted(folder.glob("*.yaml")):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = EXPECT.search(text)
            if match:
                for code in match.group(1).split(","):
                    out.add((f"{folder.name}/{path.name}", number, code.strip()))
    return out


def errors(problems) -> set[tuple[str, int, str]]:
    return {(p.file, p.line, p.code) for p in problems if p.severity == "error"}


@pytest.mark.parametrize("folder", ["rules", "facts"])
def test_each_marked_line_reports_its_code(folder):
    book, problems = load_rulebook(BROKEN / folder, FORM_TYPES, FakePicklists())
    assert book is None
    want = expected(BROKEN / folder)
    assert len(want) >= 6
    assert errors(problems) == want


def test_every_documented_code_is_exercised():
    codes = {code for folder in ("rules", "facts", "failing_examples") for _, _, code in expected(BROKEN / folder)}
    for code in ["rule.unknown_fact", "rule.value_not_in_enum", "rule.wrong_value_type", "rule.unknown_operator",
                 "rule.duplicate_id", "rule.unknown_picklist", "rule.bad_outcome", "rule.example_unknown_rule",
                 "rule.operator_count", "rule.operator_not_for_type", "rule.bad_condition", "rule.unknown_field",
                 "rule.ruleset_name", "rule.schema", "rule.example_unknown_fact", "rule.too_complex",
                 "rule.example_failed", "yaml.syntax", "facts.unknown_function", "facts.bad_arguments",
                 "facts.unknown_fact", "facts.duplicate_fact", "facts.reserved_name", "facts.schema"]:
        assert code in codes, code


def _by_code(problems, code):
    found = [p for p in problems if p.code == code]
    assert found, code
    return found[0]


def test_hints_suggest_the_fix():
    _, problems = load_rulebook(BROKEN / "rules", FORM_TYPES, FakePicklists())
    assert "identity.residency" in _by_code(problems, "rule.unknown_fact").hint
    assert "mainland" in _by_code(problems, "rule.value_not_in_enum").hint
    assert "gte" in _by_code(problems, "rule.unknown_operator").hint
    assert "issuing_city" in _by_code(problems, "rule.unknown_field").hint
    assert "rules/dup_a.yaml:4" in _by_code(problems, "rule.duplicate_id").message
    assert "EXA-001" in _by_code(problems, "rule.example_unknown_rule").hint


def test_one_sided_examples_are_a_warning_only():
    _, problems = load_rulebook(BROKEN / "rules", FORM_TYPES, FakePicklists())
    warning = [p for p in problems if p.code == "rule.examples_one_sided" and p.file == "rules/one_sided.yaml"]
    assert [(p.line, p.severity) for p in warning] == [(9, "warning")]


def test_failing_example_is_reported_with_file_and_line():
    folder = BROKEN / "failing_examples"
    book, problems = load_rulebook(folder, FORM_TYPES, FakePicklists())
    assert book is not None and errors(problems) == set()
    assert errors(book.run_examples()) == expected(folder)


def test_missing_facts_file(tmp_path):
    shutil.copy(RULES_DIR / "pickup.yaml", tmp_path / "pickup.yaml")
    book, problems = load_rulebook(tmp_path, FORM_TYPES, FakePicklists())
    assert book is None
    assert "facts.missing" in {p.code for p in problems}


def test_unknown_form_field_type_is_an_unknown_fact():
    types = {k: v for k, v in FORM_TYPES.items() if k != "form.issuing_city"}
    book, problems = load_rulebook(RULES_DIR, types, FakePicklists())
    assert book is None
    assert {(p.file, p.code) for p in problems if p.severity == "error"} == {
        ("rules/eligibility.yaml", "rule.unknown_fact"), ("rules/eligibility.yaml", "rule.unknown_field"),
        ("rules/eligibility.yaml", "rule.example_unknown_fact")}


def test_cascade_picklist_uses_its_leaves(tmp_path):
    class Cascade(FakePicklist):
        def __init__(self):
            super().__init__(["440000"], cascade=True)

        def leaves(self):
            return [{"value": "440100", "label": "广州市"}, {"value": "440300", "label": "深圳市"}]

    rules = tmp_path / "rules"
    rules.mkdir()
    for name in ("facts.yaml", "eligibility.yaml"):
        shutil.copy(RULES_DIR / name, rules / name)
    shutil.copytree(RULES_DIR.parent / "connectors", tmp_path / "connectors")     # registry.cards
    book, problems = load_rulebook(rules, FORM_TYPES, FakePicklists({"guangdong_cities": Cascade()}))
    assert book is not None, problems
    assert book.evaluate("eligibility", {"form": {"issuing_city": "440300"}}).ids() == []
    assert book.evaluate("eligibility", {"form": {"issuing_city": "440000"}}).ids() == ["ELIG-002"]
