"""Policy staff break a shipped flow file; the checker names the file, the line and the fix."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govflow.definitions import load_definitions

ROOT = Path(__file__).resolve().parents[1]

# (file, text to replace, replacement, expected code, text on the expected line, hint fragment)
BREAKAGES = [
    ("flows/shared/sscard_content.yaml", "        next: success\n        on_failure: failure",
     "        navigate: success\n        on_failure: failure", "flow.schema.required", None, "next:"),
    ("flows/sscard_adult.yaml", "next: photo}", "next: phtoo}", "flow.unknown_page", "next: phtoo}", "“photo”"),
    ("flows/shared/sscard_content.yaml", "options: ethnic_groups}", "options: ethnic_group}", "flow.unknown_picklist",
     "options: ethnic_group}", "ethnic_groups"),
    ("flows/shared/sscard_content.yaml", "        when: {field: long_term, ne: true}",
     "        when: {field: longterm, ne: true}", "flow.unknown_field", "field: longterm", "long_term"),
    ("flows/shared/sscard_content.yaml", "    checks: [id_validity, id_card_validity]",
     "    checks: [id_validity, id_card_validty]", "flow.unknown_ruleset", "id_card_validty", "id_card_validity"),
    ("flows/sscard_adult.yaml", "    title: 申领资格校验", "    titel: 申领资格校验",
     "flow.schema.additionalProperties", "titel:", "title"),
    ("flows/shared/sscard_content.yaml", "regions: guangdong_regions", "regions: guangdong_region",
     "flow.unknown_picklist", "regions: guangdong_region", "guangdong_regions"),
    ("flows/shared/sscard_content.yaml", "format: mobile, widget: phone}", "format: mobil, widget: phone}",
     "flow.unknown_format", "format: mobil", "mobile"),
    ("flows/sscard_adult.yaml", "      - {id: next, label: 下一步, next: photo}",
     "      - {id: next, label: 下一步, next: photo\n", "yaml.syntax", None, None),
    ("flows/cleanup.yaml", "      - {id: start, label: 开始办理, next: cards}",
     "      - {id: start, label: 开始办理, next: confirm}", "flow.unreachable_page", "  - id: cards", None),
    ("flows/shared/sscard_content.yaml", "when: {field: photo_source, eq: receipt}",
     "when: {field: photo_source, eq: reciept}", "flow.condition.value_not_in_enum", "eq: reciept", None),
    ("rules/pickup.yaml", "identity.residency", "identity.residence", "rule.unknown_fact", "identity.residence",
     "identity.residency"),
    ("flows/shared/sscard_content.yaml", "      ethnicity: {title: 民族, type: string, options: ethnic_groups}\n",
     "      ethnicity: {title: 民族, type: string, options: ethnic_groups}\n"
     "      ethnicity: {title: 民族, type: string, options: ethnic_groups}\n", "yaml.duplicate_key", None, None),
    # a flow's own words for a rule its pages never run (PICK-001 is the pickup page's, which the minor
    # flow runs with `checks: []`)
    ("flows/sscard_minor.yaml", "  ID-002: 申领人的证件", "  PICK-001: 申领人的证件", "flow.unknown_rule_text",
     "PICK-001:", "“ID-001”"),          # the hint: the nearest rule the flow does run
    ("flows/sscard_minor.yaml", "  ID-002: 申领人的证件", "  PRE-009: 申领人的证件", "flow.unknown_rule_text",
     "PRE-009:", "“PRE-003”"),
    ("flows/sscard_minor.yaml", "  ID-002: 申领人的证件已超过有效期",
     "  ID-002: 申领人的证件已超过有效期 (rules/id_validity.yaml)", "flow.rule_text_foreign", "ID-002:",
     "id_validity.yaml"),
]


def _project_copy(tmp_path: Path) -> Path:
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def _break(root: Path, file: str, old: str, new: str) -> Path:
    path = root / file
    text = path.read_text("utf-8")
    assert old in text, f"fixture text not found in {file}: {old!r}"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize("file,old,new,code,line_text,hint", BREAKAGES, ids=[b[3] + ":" + b[1][:20] for b in BREAKAGES])
def test_each_breakage_is_reported_with_file_and_line(tmp_path, file, old, new, code, line_text, hint):
    root = _project_copy(tmp_path)
    path = _break(root, file, old, new)
    definitions, problems = load_definitions(root)
    assert definitions is None
    found = [p for p in problems if p.code == code]
    assert found, [str(p) for p in problems]
    problem = found[0]
    assert problem.file == file
    if line_text:
        lines = path.read_text("utf-8").splitlines()
        assert line_text in lines[problem.line - 1], (problem.line, lines[problem.line - 1])
    if hint:
        assert hint in (problem.hint or "") + problem.message


def test_shipped_definitions_are_clean():
    definitions, problems = load_definitions(ROOT)
    assert definitions is not None
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_check_command_fails_with_file_and_line(tmp_path):
    root = _project_copy(tmp_path)
    _break(root, "flows/shared/sscard_content.yaml", "next: pickup}", "next: pickpu}")
    run = subprocess.run([sys.executable, "-m", "govflow.cli", "--root", str(root), "check"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "flows/shared/sscard_content.yaml:" in run.stdout and "是否应为“pickup”？" in run.stdout
    ok = subprocess.run([sys.executable, "-m", "govflow.cli", "--root", str(ROOT), "check"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout


def test_server_refuses_broken_definitions_without_traceback(tmp_path):
    from govflow.errors import DefinitionError
    from govflow.web import create_app
    root = _project_copy(tmp_path)
    _break(root, "flows/shared/sscard_content.yaml", "next: pickup}", "next: pickpu}")
    with pytest.raises(DefinitionError) as err:
        create_app({"PROJECT_DIR": root, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                    "UPLOAD_DIR": tmp_path / "u", "SECRET_KEY": "k" * 32})
    assert "flows/shared/sscard_content.yaml" in str(err.value)
