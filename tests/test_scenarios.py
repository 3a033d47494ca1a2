"""Scenario files (scenarios/*.yaml): collected by pytest, failures name file, scenario and step lines,
and docs/scenarios.md lists exactly the keys of the scenario schema."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from govflow.scenarios import ScenarioFailure, load_scenario_file, run_scenario
from govflow.scenarios.loader import load_schema

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "scenarios.md"
MARKER = re.compile(r"^<!-- keys: (\S+) -->\s*$")
KEY_CELL = re.compile(r"^\|\s*`([A-Za-z_]+)`\s*\|")

FAILING = """\
flow: sscard_adult
scenarios:
  - name: 香港居民选邮寄
    persona: hong_kong_resident
    steps:
      - page: guide
        answers: {consent: true}
      - page: eligibility
        answers: {issuing_city: "440300"}
        expect: {page: photo}
"""


def test_scenario_files_load_cleanly():
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert files
    for path in files:
        loaded = load_scenario_file(path)
        assert loaded.problems == [] and loaded.scenarios, [str(p) for p in loaded.problems]


def _failure(tmp_path, definitions) -> str:
    path = tmp_path / "sscard_adult.yaml"
    path.write_text(FAILING, "utf-8")
    scenario = load_scenario_file(path, "scenarios/sscard_adult.yaml").scenarios[0]
    with pytest.raises(ScenarioFailure) as failure:
        run_scenario(scenario, ROOT, tmp_path / "run", definitions)
    return str(failure.value)


def test_a_failing_step_names_file_scenario_and_step(tmp_path, definitions, monkeypatch):
    monkeypatch.delenv("GOVFLOW_LANG", raising=False)
    text = _failure(tmp_path, definitions)          # in Chinese, pages by their titles and ids
    assert text.startswith("scenarios/sscard_adult.yaml:8：场景“香港居民选邮寄”（第 3 行），"
                           "第 2 步（页面“申领资格校验”（eligibility），第 8 行）："
                           "应到达页面“获取制卡相片”（photo）"), text
    assert "停在页面“上传材料”（upload）" in text


def test_a_failing_step_in_english_for_developers(tmp_path, definitions, monkeypatch):
    monkeypatch.setenv("GOVFLOW_LANG", "en")
    text = _failure(tmp_path, definitions)
    assert text.startswith("scenarios/sscard_adult.yaml:8: scenario '香港居民选邮寄' (line 3), "
                           "step 2 (page '申领资格校验' (eligibility), line 8): "
                           "expected page '获取制卡相片' (photo)"), text
    assert "got status ok (passed), page '上传材料' (upload)" in text


def test_a_shape_error_has_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(FAILING.replace("        expect: {page: photo}", "        expcet: {page: photo}"), "utf-8")
    loaded = load_scenario_file(path, "scenarios/broken.yaml")
    assert [(p.code, p.line) for p in loaded.problems] == [("scenario.schema", 10)]   # the misspelt key's line
    assert loaded.problems[0].message == "“expcet”不是此处可以写的设置项"
    assert loaded.problems[0].hint == "是否应为“expect”？"


def test_pytest_collects_each_scenario_as_an_item():
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "scenarios/sscard_adult.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    names = [s.name for s in load_scenario_file(ROOT / "scenarios" / "sscard_adult.yaml").scenarios]
    for name in names:
        assert f"scenarios/sscard_adult.yaml::{name}" in run.stdout.splitlines(), run.stdout


# -- docs/scenarios.md and scenario.schema.json describe the same keys ------------------------------

def documented_tables() -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    lines = DOC.read_text("utf-8").splitlines()
    for i, line in enumerate(lines):
        found = MARKER.match(line)
        if not found:
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        rows = []
        while j < len(lines) and lines[j].startswith("|"):
            rows.append(lines[j])
            j += 1
        tables[found.group(1)] = [KEY_CELL.match(r).group(1) for r in rows[2:]]
    return tables


def schema_objects() -> dict[str, set[str]]:
    schema = load_schema()
    out = {"/": set(schema["properties"])}
    for name, node in schema["$defs"].items():
        if "properties" in node:
            out[f"/$defs/{name}"] = set(node["properties"])
    return out


def test_doc_tables_match_the_schema():
    tables, objects = documented_tables(), schema_objects()
    assert set(tables) == set(objects), "every object of the scenario schema needs a key table in docs/scenarios.md"
    for pointer, keys in objects.items():
        assert len(tables[pointer]) == len(set(tables[pointer])), f"{pointer}: a key is listed twice"
        assert set(tables[pointer]) == keys, (pointer, sorted(set(tables[pointer]) ^ keys))


def test_the_example_of_the_doc_is_a_valid_scenario_file(tmp_path):
    example = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text("utf-8"), flags=re.S | re.M)[0]
    path = tmp_path / "sscard_adult.yaml"
    path.write_text(example, "utf-8")
    loaded = load_scenario_file(path, "scenarios/sscard_adult.yaml")
    assert loaded.problems == [], [str(p) for p in loaded.problems]
    assert [s.name for s in loaded.scenarios] == ["香港居民通行证材料且只能网点领卡"]


def _branch_answer(app, tmp_path, header: str):
    from govflow.scenarios.runner import ScenarioRunner
    path = tmp_path / "s.yaml"
    path.write_text(header + "scenarios:\n  - name: 网点\n    persona: mainland_adult\n    steps:\n"
                    "      - page: guide\n", "utf-8")
    runner = ScenarioRunner(app)
    runner.scenario = load_scenario_file(path, "scenarios/s.yaml").scenarios[0]
    return runner.resolve(None, {"branch_id": "<branch>"})["branch_id"]


def test_branch_without_keyword_searches_the_files_branch_keyword(app, tmp_path):
    """`<branch>` takes its keyword from the scenario file's `branch_keyword:` (no default in code)."""
    branches = app.extensions["govflow"].env.services.branches
    found = _branch_answer(app, tmp_path, "flow: sscard_adult\nbranch_keyword: 福田\n")
    assert found == branches.search(None, "福田")[0].id
    with pytest.raises(ScenarioFailure, match="branch_keyword"):
        _branch_answer(app, tmp_path, "flow: sscard_adult\n")
