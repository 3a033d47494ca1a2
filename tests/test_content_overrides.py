"""A `use:` page replaces content blocks of the shared page by their `id:` (like fields)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govflow.definitions import load_definitions

ROOT = Path(__file__).resolve().parents[1]
CONTENT = "flows/shared/sscard_content.yaml"
ADULT = "flows/sscard_adult.yaml"
SHARED_BLOCK = """    content:
      - id: result
        kind: message
        tone: success
        title: 提交成功
"""


@pytest.fixture(autouse=True)
def _chinese(monkeypatch):
    monkeypatch.setenv("GOVFLOW_LANG", "zh")


def _project(tmp_path: Path, override: str) -> Path:
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    assert (tmp_path / CONTENT).read_text("utf-8").count(SHARED_BLOCK) == 1   # the shared result block
    adult = tmp_path / ADULT
    text = adult.read_text("utf-8")
    assert text.count("  - use: success\n") == 1
    adult.write_text(text.replace("  - use: success\n", "  - use: success\n" + override), "utf-8")
    return tmp_path


OVERRIDE = """    content:
      result:
        kind: message
        tone: success
        title: 提交成功
        text: 成年人申领专用的文字。
"""


def test_a_use_page_replaces_a_shared_block_by_its_id(tmp_path):
    definitions, problems = load_definitions(_project(tmp_path, OVERRIDE))
    assert definitions is not None, [str(p) for p in problems if p.severity == "error"]
    adult = definitions.flows["sscard_adult"].pages["success"].content
    minor = definitions.flows["sscard_minor"].pages["success"].content
    assert [b.get("text") for b in adult] == ["成年人申领专用的文字。"]
    assert adult[0]["id"] == "result"
    assert minor[0]["text"].startswith("您的社会保障卡申领已提交")


def _errors(root: Path):
    definitions, problems = load_definitions(root)
    assert definitions is None
    return [p for p in problems if p.severity == "error"]


def test_overriding_an_unknown_block_is_an_error_at_the_override(tmp_path):
    root = _project(tmp_path, OVERRIDE.replace("result:", "resutl:"))
    (problem,) = _errors(root)
    assert problem.code == "flow.override_unknown_content"
    assert problem.file == ADULT
    assert "resutl:" in (root / ADULT).read_text("utf-8").splitlines()[problem.line - 1]
    assert "result" in problem.hint and "提交成功" in problem.message


def test_a_mistake_in_the_replacing_block_is_reported_at_its_own_line(tmp_path):
    root = _project(tmp_path, OVERRIDE + "        when: {field: no_such_field, eq: x}\n")
    (problem,) = _errors(root)
    assert problem.file == ADULT, str(problem)
    assert "when:" in (root / ADULT).read_text("utf-8").splitlines()[problem.line - 1]
