"""`make check` as a static analysis: each case of tests/fixtures/broken/ is laid over a copy of the
project and must be reported exactly (code, file, line), by load_definitions and by the command
(`govflow.cli.main` in-process for every case; the real `python -m govflow.cli` once, for its exit code).

A case folder holds only the files that differ from the real project; the line that must be
reported ends with `# expect: CODE` (see tests/fixtures/broken/README.md).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govflow import cli
from govflow.definitions import load_definitions
from govflow.definitions.analysis import canonical
from govflow.rules.model import All, Any_, negate
from govflow.rules.model import Test as RuleTest

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "fixtures" / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())
EXPECT = re.compile(r"#\s*expect:\s*([a-z_.]+(?:\s*,\s*[a-z_.]+)*)\s*$")

# the findings the issue "Policy staff and auditors" asks `make check` for, and the case showing each
ISSUE_LIST = {
    "unreachable page": "flow.unreachable_page",
    "dead end": "flow.dead_end",
    "transition to a missing page": "flow.unknown_page",
    "【修改】 (review edit) to a missing page": "missing_edit_page",
    "rule reads a field not collected before": "flow.rule_reads_later_field",
    "condition on an unknown field": "flow.unknown_field",
    "value outside a field's enum": "flow.condition.value_not_in_enum",
    "contradicting rules": "rule.contradiction",
    "duplicate rule ids": "rule.duplicate_id",
    "unknown pick-list": "flow.unknown_picklist",
    "document requirements not covering every ID type": "rule.restriction_gap",
    "failing rule example": "rule.example_failed",
}


def expected_findings(case: str) -> set[tuple[str, str, int]]:
    found = set()
    for path in sorted((BROKEN / case).rglob("*.yaml")):
        rel = path.relative_to(BROKEN / case).as_posix()
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            m = EXPECT.search(line)
            if m:
                found |= {(code.strip(), rel, n) for code in m.group(1).split(",")}
    return found


def overlay(case: str, tmp_path: Path) -> Path:
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for path in (BROKEN / case).rglob("*"):
        if path.is_file() and path.name != "README.md":
            target = tmp_path / path.relative_to(BROKEN / case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return tmp_path


def assert_reported(expected: set[tuple[str, str, int]], out: str) -> None:
    """`make check` prints each expected finding as `错误：FILE:LINE: ... [CODE]`."""
    for code, file, line in expected:
        assert re.search(rf"^错误：{re.escape(file)}:{line}: .*\[{re.escape(code)}\]$", out, re.M), out


def test_every_case_marks_what_it_expects():
    assert CASES, "no cases in tests/fixtures/broken"
    for case in CASES:
        assert expected_findings(case), f"{case}: no line ends with `# expect: CODE`"


def test_every_finding_of_the_issue_has_a_case():
    codes = {code for case in CASES for code, _, _ in expected_findings(case)}
    for what, code_or_case in ISSUE_LIST.items():
        assert code_or_case in codes or code_or_case in CASES, f"no broken case for: {what}"


@pytest.mark.parametrize("case", CASES)
def test_broken_case_is_reported_exactly(case, tmp_path, capsys):
    root = overlay(case, tmp_path)
    expected = expected_findings(case)
    definitions, problems = load_definitions(root)
    codes = {code for code, _, _ in expected}
    got = {(p.code, p.file, p.line) for p in problems if p.severity == "error" or p.code in codes}
    assert got == expected, "\n".join(f"{p.severity}: {p}  [{p.code}]" for p in problems)
    assert definitions is None
    for p in problems:
        if (p.code, p.file, p.line) in expected:
            assert p.hint, f"{p.code} has no hint: {p}"

    capsys.readouterr()
    status = cli.main(["--root", str(root), "check"])
    out = capsys.readouterr().out
    assert status == 1, out
    assert_reported(expected, out)


def test_check_command_fails_on_a_broken_case(tmp_path):
    """The command itself, once: `make check` must exit 1 and print the finding as file:line."""
    case = "missing_next_page"
    root = overlay(case, tmp_path)
    run = subprocess.run([sys.executable, "-m", "govflow.cli", "--root", str(root), "check"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert_reported(expected_findings(case), run.stdout)


def test_shipped_definitions_have_no_findings():
    _, problems = load_definitions(ROOT)
    analysis = ("flow.rule_reads_later_field", "rule.contradiction", "rule.restriction_gap", "flow.unknown_fact")
    assert [str(p) for p in problems if p.code in analysis and p.severity == "error"] == []


# -- the normal form used to compare conditions ----------------------------------------------------

def t(op, value, path="identity.residency"):
    return RuleTest(path, op, value)


@pytest.mark.parametrize("a,b", [
    (t("in", ("hk", "macau")), Any_((t("eq", "macau"), t("eq", "hk")))),
    (t("in", ("hk",)), t("eq", "hk")),
    (negate(t("not_in", ("taiwan", "hk"))), t("in", ("hk", "taiwan"))),
    (All((t("eq", True, "form.long_term"), All((t("eq", "hk"), t("gt", 1, "registry.cards_in_province"))))),
     All((t("gt", 1, "registry.cards_in_province"), t("eq", "hk"), t("eq", True, "form.long_term")))),
    (All((t("ne", "hk"), t("ne", "macau"))), t("not_in", ("macau", "hk"))),
])
def test_equivalent_conditions_have_one_normal_form(a, b):
    assert canonical(a) == canonical(b)


def test_different_conditions_stay_different():
    assert canonical(t("in", ("hk", "macau"))) != canonical(t("in", ("hk", "taiwan")))
    assert canonical(All((t("eq", "hk"), t("eq", "macau")))) != canonical(t("in", ("hk", "macau")))
