"""`make check` (govflow check): Chinese by default, runs the rule examples and the scenarios, and
ends with a one-line summary; a changed option that breaks a scenario is caught here, not only by
the 8-minute test run."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from govflow.check_command import check

ROOT = Path(__file__).resolve().parents[1]
ONE_WALK = """\
flow: sscard_adult
today: 2026-11-27
scenarios:
  - name: 内地居民网点领卡
    persona: mainland_adult
    steps:
      - page: guide
        answers: {consent: true}
      - page: eligibility
        answers: {issuing_city: "440100"}
      - page: upload
        answers: {document_set: id_card, id_card_emblem: <image>, id_card_portrait: <image>}
        expect: {page: photo, options: {document_set: [id_card]}}
"""


def _project(tmp_path: Path, scenario: str) -> Path:
    for name in ("flows", "rules", "connectors", "reference", "demo", "renderers"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "walk.yaml").write_text(scenario, "utf-8")
    return tmp_path


def _run(root: Path, **kw) -> tuple[int, list[str]]:
    lines: list[str] = []
    return check(root, out=lines.append, **kw), lines


def test_a_passing_project_ends_with_the_chinese_summary(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVFLOW_LANG", raising=False)
    rc, lines = _run(_project(tmp_path, ONE_WALK))
    assert rc == 0, lines
    summary = r"检查通过：\d+个流程、\d+个规则集、\d+个规则示例、1个场景，没有错误.*用时[\d.]+秒。"
    assert re.fullmatch(summary, lines[-1]), lines[-1]


def test_a_scenario_broken_by_a_changed_option_fails_the_check(tmp_path, monkeypatch):
    monkeypatch.delenv("GOVFLOW_LANG", raising=False)
    broken = ONE_WALK.replace("options: {document_set: [id_card]}", "options: {document_set: [id_card, passport]}")
    rc, lines = _run(_project(tmp_path, broken))
    assert rc == 1
    failures = [line for line in lines if "[scenario.failed]" in line]
    assert len(failures) == 1 and failures[0].startswith("错误：scenarios/walk.yaml:11:"), lines
    assert lines[-1].startswith("检查未通过：1处错误"), lines[-1]


def test_no_scenarios_and_english_on_request(tmp_path):
    root = _project(tmp_path, ONE_WALK.replace("[id_card]}", "[nothing]}"))
    rc, lines = _run(root, scenarios=False)
    assert rc == 0 and "场景未运行" in lines[-1]
    out = subprocess.run([sys.executable, "-m", "govflow.cli", "--root", str(root), "--lang", "en", "check"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("Check failed: 1 error(s)"), out.stdout
    assert "error: scenarios/walk.yaml:11:" in out.stdout



def test_the_server_refuses_broken_definitions_in_chinese(tmp_path, monkeypatch, capsys):
    from govflow import cli
    root = _project(tmp_path, ONE_WALK)
    flow = root / "flows" / "sscard_adult.yaml"
    flow.write_text(flow.read_text("utf-8").replace("next: photo}", "next: phtoo}", 1), "utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'refused.db'}")
    monkeypatch.delenv("GOVFLOW_LANG", raising=False)
    assert cli.serve(root, "127.0.0.1", 0) == 1
    out = capsys.readouterr().out
    assert out.startswith("服务没有启动：流程、规则或参考数据文件有错误："), out
    assert "下一页“phtoo”不存在" in out and "[flow.unknown_page]" in out
