"""check_edit (definitions/edits.py): the shipped bundle with one file replaced, loaded by the real
checker; the problems of the edited file first, each at its line."""
from __future__ import annotations

import pytest

from apptools import ROOT
from govflow.definitions.bundle import allowed as allowed_name
from govflow.definitions.bundle import read_files
from govflow.definitions.edits import caused_by_edit, check_edit, check_files

RULE = "rules/pickup.yaml"
FLOW = "flows/sscard_adult.yaml"


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return read_files(ROOT)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _errors(problems):
    return [p for p in problems if p.severity == "error"]


def test_a_good_edit_has_no_problems(files):
    text = files[RULE].replace("title: 领卡方式", "title: 领卡方式（已修订）") + "# 注释\n"
    problems = check_edit(files, RULE, text)
    assert _errors(problems) == []
    assert [p for p in problems if p.file == RULE] == []
    # what the editor shows: nothing the bundle did not already have
    assert caused_by_edit(problems, RULE, check_files(files)) == []


def test_a_yaml_syntax_error_is_at_its_line_of_that_file(files):
    original = files[RULE]
    line = _line_of(original, "basis:")
    text = original.replace("    basis:", "   basis:", 1)            # one space short: wrong indentation
    problems = check_edit(files, RULE, text)
    first = problems[0]
    assert (first.file, first.code, first.severity) == (RULE, "yaml.syntax", "error")
    assert first.line == line
    assert first.hint


def test_a_schema_error_is_at_the_line_of_the_unknown_key(files):
    original = files[RULE]
    line = _line_of(original, "basis:")
    problems = check_edit(files, RULE, original.replace("    basis:", "    basis_typo:", 1))
    mine = [p for p in problems if p.file == RULE]
    assert mine and problems[:len(mine)] == mine                    # the edited file's problems first
    unknown = next(p for p in mine if "basis_typo" in p.message)
    assert unknown.code == "rule.schema" and unknown.line == line
    assert any(p.code == "rule.schema" and "缺少“basis”" in p.message for p in mine)   # and it is missing


def test_a_flow_file_edit_is_checked_with_the_rest_of_the_bundle(files):
    original = files[FLOW]
    line = _line_of(original, "title:")
    problems = check_edit(files, FLOW, original.replace("title:", "titel:", 1))
    first = problems[0]
    assert (first.file, first.code, first.line) == (FLOW, "flow.schema.additionalProperties", line)
    assert "titel" in first.message and "title" in (first.hint or "")


def test_problems_an_edit_causes_in_other_files_name_those_files_and_lines(files):
    # a value taken out of a fact's enum: the rule files that use it have the problems
    facts = "rules/facts.yaml"
    text = files[facts].replace("enum: [mainland, hk, macau, taiwan,", "enum: [mainland, hk, macau,", 1)
    assert text != files[facts]
    problems = check_edit(files, facts, text)
    elsewhere = [p for p in problems if p.file == RULE and p.code == "rule.value_not_in_enum"]
    assert elsewhere and elsewhere[0].line == _line_of(files[RULE], "taiwan")
    assert caused_by_edit(problems, facts, check_files(files)) == problems      # all new: all shown
    # the bundle's own warnings elsewhere are not the edit's
    before = check_files(files)
    assert before and all(p.severity == "warning" for p in before)
    assert not set(map(str, before)) & set(map(str, caused_by_edit(check_edit(files, RULE, files[RULE]), RULE, before)))


def test_a_new_file_is_allowed_where_the_bundle_reads_files(files):
    text = ("ruleset: extra\ntitle: 试验\nrules:\n  - id: EXTRA-001\n    title: 试验规则\n    basis: 无\n"
            "    when: {fact: identity.residency, in: [hk]}\n    then: {refuse: {message: 试验}}\n")
    problems = check_edit(files, "rules/extra.yaml", text)
    assert [(p.file, p.line, p.code) for p in problems if p.file == "rules/extra.yaml"] == \
        [("rules/extra.yaml", 4, "rule.schema")]                                   # only: it has no examples
    assert "examples" in problems[0].message


@pytest.mark.parametrize("name", ["rules/sub/x.yaml", "docs/x.yaml", "rules/x.txt", "../rules/x.yaml",
                                  "/etc/passwd", "rules/../flows/x.yaml", "rules\\x.yaml", "", "rules/.x.yaml",
                                  "reference/SOURCES.md", "rules/" + "x" * 300 + ".yaml"])
def test_a_file_name_outside_the_patterns_is_a_problem(files, name):
    assert not allowed_name(name)
    problems = check_edit(files, name, "a: 1\n")
    assert [(p.code, p.file, p.line, p.severity) for p in problems] == [("edit.unknown_file", name, None, "error")]
    assert "不是定义文件的路径" in problems[0].message and "rules/*.yaml" in (problems[0].hint or "")


def test_every_file_of_the_bundle_has_an_allowed_name(files):
    assert files and all(allowed_name(name) for name in files)


def test_a_reference_json_syntax_error_is_at_its_line(files):
    name = "reference/provinces.json"
    lines = files[name].splitlines()
    broken = "\n".join(lines[:2] + [lines[2] + ",,"] + lines[3:])
    problems = check_edit(files, name, broken)
    assert (problems[0].file, problems[0].code, problems[0].line) == (name, "reference.json_syntax", 3)


def test_picklist_problems_name_their_file_as_in_the_bundle(files):
    problems = check_edit(files, "reference/picklists.yaml", files["reference/picklists.yaml"] + "broken: 1\n")
    assert problems and all(not p.file or not p.file.startswith("/") for p in problems)
    assert problems[0].file == "reference/picklists.yaml"
