"""The rule, facts, pick-list, example, edit and scenario checks speak Chinese by default, from
the catalogue (messages/checks/rules.yaml, scenarios.yaml, publishing.yaml), and English with
GOVFLOW_LANG=en (`govflow check --lang en`): one mistake of each family, made in a copy of the
shipped files."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from govflow.definitions import load_definitions
from govflow.definitions.bundle import read_files
from govflow.definitions.edits import check_edit
from govflow.scenarios import ScenarioFailure, load_scenario_file, run_scenario
from test_scenarios import FAILING as FAILING_SCENARIO

ROOT = Path(__file__).resolve().parents[1]

# (file, text, replacement): mistakes the loader reports, each in a family of these checks
MISTAKES = [
    ("rules/pickup.yaml", "ruleset: pickup", "ruleset: pick_up"),                         # rule.ruleset_name
    ("rules/pickup.yaml", "    basis: 社保卡申领服务操作手册 1.3.6 第2点",
     "    basis_typo: 社保卡申领服务操作手册 1.3.6 第2点"),                                  # rule.schema
    ("rules/pickup.yaml", "        to: [branch]", "        to: [brnach]"),                # rule.value_not_in_enum
    ("rules/facts.yaml", "    years_between: [identity.birth_date, today]",
     "    years_betwen: [identity.birth_date, today]"),                                   # facts.unknown_function
    ("reference/picklists.yaml", "  value: code\n  label: name\n  source: GB/T 3304",
     "  value: code\n  source: GB/T 3304"),                                               # picklist.key_missing
]
LOADER_CODES = {"rule.ruleset_name", "rule.schema", "rule.value_not_in_enum", "facts.unknown_function",
                "picklist.key_missing"}
FAILING_EXAMPLE = ("rules/pickup.yaml", "      - given: {identity: {residency: mainland}}\n        fires: []",
                   "      - given: {identity: {residency: mainland}}\n        fires: [PICK-001]")

QUOTED = re.compile(r"“[^”]*”|'[^']*'|`[^`]*`|\"[^\"]*\"")
TOKEN = re.compile(r"\S*[._/:#\[\]{}=<>-]\S*")          # paths, codes, ids, file:line, YAML snippets
ENGLISH_SENTENCE = re.compile(r"\b[a-z]+\s+[a-z]+\s+[a-z]+\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _plain(text: str) -> str:
    """The words of a message outside quoted names and code-like tokens."""
    return TOKEN.sub(" ", QUOTED.sub(" ", text))


def _assert_chinese(text: str) -> None:
    assert CJK.search(text), text
    assert not ENGLISH_SENTENCE.search(_plain(text)), f"English in: {text}"


def _assert_english(text: str) -> None:
    assert ENGLISH_SENTENCE.search(_plain(text)) or re.search(r"[a-z]{3,}", _plain(text)), text
    assert not CJK.search(_plain(text)), f"Chinese outside names in: {text}"


def _copy(tmp_path: Path, mistakes) -> Path:
    root = tmp_path / "project"
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, root / name)
    for file, old, new in mistakes:
        path = root / file
        text = path.read_text("utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new, 1), "utf-8")
    return root


def _texts(tmp_path: Path, definitions) -> dict[str, list[str]]:
    """code -> messages and hints, for one mistake of every family."""
    out: dict[str, list[str]] = {}

    def add(code: str, *texts) -> None:
        out.setdefault(code, []).extend(t for t in texts if t)

    for n, mistakes in enumerate((MISTAKES[:-1], MISTAKES[-1:])):   # a broken pick-list stops the rules
        _, problems = load_definitions(_copy(tmp_path / f"loader{n}", mistakes))
        for p in problems:
            if p.code in LOADER_CODES:
                add(p.code, p.message, p.hint)
    _, problems = load_definitions(_copy(tmp_path / "example", [FAILING_EXAMPLE]))
    for p in problems:
        if p.code == "rule.example_failed":
            add(p.code, p.message, p.hint)
    for p in check_edit(read_files(ROOT), "notes/readme.txt", "x"):
        add(p.code, p.message, p.hint)
    path = tmp_path / "sscard_adult.yaml"
    path.write_text(FAILING_SCENARIO, "utf-8")
    scenario = load_scenario_file(path, "scenarios/sscard_adult.yaml").scenarios[0]
    with pytest.raises(ScenarioFailure) as failure:
        run_scenario(scenario, ROOT, tmp_path / "run", definitions)
    add("scenario.failed", failure.value.reason, str(failure.value))
    return out


EXPECTED = LOADER_CODES | {"rule.example_failed", "edit.unknown_file", "scenario.failed"}


def test_every_family_speaks_chinese_by_default(tmp_path, definitions, monkeypatch):
    monkeypatch.delenv("GOVFLOW_LANG", raising=False)
    texts = _texts(tmp_path, definitions)
    assert set(texts) == EXPECTED
    for code, found in texts.items():
        for text in found:
            _assert_chinese(f"{code}: {text}")
    rule_schema = " ".join(texts["rule.schema"])
    assert "“basis_typo”不是此处可以写的设置项" in rule_schema and "缺少“basis”" in rule_schema
    assert any("PICK-001“港澳台居民只能网点领卡”" in t for t in texts["rule.example_failed"])
    assert any("页面“获取制卡相片”（photo）" in t for t in texts["scenario.failed"])


def test_every_family_speaks_english_for_developers(tmp_path, definitions, monkeypatch):
    monkeypatch.setenv("GOVFLOW_LANG", "en")
    texts = _texts(tmp_path, definitions)
    assert set(texts) == EXPECTED
    for code, found in texts.items():
        for text in found:
            _assert_english(f"{code}: {text}")
    assert any("'basis_typo' is not a key allowed here" in t for t in texts["rule.schema"])
    assert any("expected page '获取制卡相片' (photo)" in t for t in texts["scenario.failed"])


def test_changes_and_conditions_in_both_languages(monkeypatch):
    """The readable diffs and conditions (diffs/*.py) read Chinese by default, English on request."""
    from govflow.diffs.describe import describe_condition, describe_outcome
    from govflow.diffs.rule_diff import diff_rulesets

    old = {"ruleset": "pickup", "rules": [{"id": "PICK-001", "title": "港澳台居民只能网点领卡",
                                           "when": {"fact": "identity.residency", "in": ["hk"]},
                                           "then": {"restrict": {"field": "pickup_method", "to": ["branch"],
                                                                 "message": "只能网点领卡"}}}]}
    wider = {"fact": "identity.residency", "in": ["hk", "macau"]}
    new = {"ruleset": "pickup", "rules": [{**old["rules"][0], "when": wider}]}
    titles = {"identity.residency": "人员类别", "form.pickup_method": "领卡方式"}
    monkeypatch.delenv("GOVFLOW_LANG", raising=False)
    [change] = diff_rulesets(old, new, titles)
    assert change.message == ("规则 PICK-001“港澳台居民只能网点领卡”的条件由“人员类别 属于 [hk]”"
                              "改为“人员类别 属于 [hk, macau]”")
    assert describe_outcome(old["rules"][0]["then"], titles) == "限制“领卡方式”只能选 [branch]：只能网点领卡"
    monkeypatch.setenv("GOVFLOW_LANG", "en")
    [change] = diff_rulesets(old, new, titles)
    assert change.message == ("the condition of rule PICK-001 '港澳台居民只能网点领卡' changed from "
                              "'人员类别 is one of [hk]' to '人员类别 is one of [hk, macau]'")
    assert describe_condition({"not": {"fact": "a", "exists": True}}) == "not (a is given)"
