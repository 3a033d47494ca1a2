"""Readable diffs (govflow.diffs): modified copies of the shipped flow and rule files are described
by change codes and Chinese sentences naming the pages, fields and rules; git revisions too.

The edits are made on parsed YAML (what a staff member would change) and the things to change
are looked up in the loaded definitions, so the tests follow the shipped files as they evolve.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from govflow.cli import main
from govflow.diffs import describe_condition, diff_paths, diff_revisions

ROOT = Path(__file__).resolve().parents[1]
FLOW = "flows/sscard_adult.yaml"


@pytest.fixture
def copy(tmp_path):
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    return tmp_path


def _specs(node, name):
    """Every `fields: {name: spec}` mapping in a YAML tree."""
    if isinstance(node, dict):
        if isinstance(node.get("fields"), dict) and isinstance(node["fields"].get(name), dict):
            yield node["fields"][name]
        for value in node.values():
            yield from _specs(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _specs(value, name)


def edit_field(root: Path, name: str, change) -> None:
    """Apply change(spec) to field `name` where the adult flow defines it (flow file, else fragments)."""
    flow_data = yaml.safe_load((root / FLOW).read_text("utf-8"))
    files = [root / FLOW] + [root / "flows" / inc for inc in flow_data.get("include", [])]
    for path in files:
        data = yaml.safe_load(path.read_text("utf-8"))
        specs = list(_specs(data, name))
        if specs:
            for spec in specs:
                change(spec)
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
            return
    raise AssertionError(f"field {name} not found")


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def flow_changes(copy):
    return diff_paths(ROOT / FLOW, copy / FLOW, ROOT)


def codes(changes):
    return [c.code for c in changes]


@pytest.fixture
def adult(definitions):
    return definitions.flows["sscard_adult"]


def test_an_unchanged_but_reformatted_file_has_no_change(copy):
    edit_yaml(copy / FLOW, lambda data: None)          # dumped again: other quoting, no comments
    assert flow_changes(copy) == []


def test_a_field_made_required(copy, adult):
    field = next(f for f in adult.input_fields().values() if f.optional)
    edit_field(copy, field.name, lambda spec: spec.pop("optional"))
    [change] = flow_changes(copy)
    assert change.code == "flow.field_required"
    assert field.title in change.message and adult.page(field.page_id).title in change.message
    assert "必填" in change.message and (change.old, change.new) == (False, True)


def test_an_option_added_and_a_pick_list_renamed(copy, adult):
    inline = next(f for f in adult.input_fields().values() if isinstance(f.options, list))
    listed = next(f for f in adult.input_fields().values() if isinstance(f.options, str))
    other = "provinces" if listed.options != "provinces" else "occupations"
    edit_field(copy, inline.name, lambda spec: spec["options"].append({"value": "zz_new", "label": "新增证件"}))
    edit_field(copy, listed.name, lambda spec: spec.update(options=other))
    changes = {c.code: c for c in flow_changes(copy)}
    assert set(changes) == {"flow.option_added", "flow.options_picklist_changed"}
    added = changes["flow.option_added"]
    assert inline.title in added.message and "新增证件" in added.message and "zz_new" in added.message
    renamed = changes["flow.options_picklist_changed"]
    assert listed.title in renamed.message and listed.options in renamed.message and other in renamed.message


def test_a_field_condition_changed_reads_as_chinese(copy, adult):
    field = next(f for f in adult.input_fields().values() if f.when)
    edit_field(copy, field.name, lambda spec: spec.update(when={"not": spec["when"]}))
    [change] = flow_changes(copy)
    assert change.code == "flow.field_condition_changed"
    assert field.title in change.message and "并非" in change.new
    assert change.old == describe_condition(field.when, {f"form.{f.name}": f.title for f in
                                                         adult.input_fields().values()})


def test_a_page_removed_and_a_button_redirected(copy, adult):
    pages = list(adult.pages.values())
    start = adult.page(adult.start)
    action = next(a for a in start.actions if a.next and a.next.pages())
    gone = next(p for p in pages[2:] if not p.final and p.id != action.next.pages()[0])

    def change(data):
        data["pages"] = [p for p in data["pages"] if gone.id not in (p.get("id"), p.get("use"))]
        for page in data["pages"]:
            if page.get("id") == start.id:
                spec = next(a for a in page["actions"] if a["id"] == action.id)
                spec["next"] = pages[-1].id
    edit_yaml(copy / FLOW, change)
    changes = flow_changes(copy)
    removed = [c for c in changes if c.code == "flow.page_removed"]
    assert len(removed) == 1 and gone.title in removed[0].message and gone.id in removed[0].message
    moved = [c for c in changes if c.code == "flow.action_target_changed"]
    assert len(moved) == 1 and action.label in moved[0].message and pages[-1].title in moved[0].message
    lost = {c.path.rsplit(".", 1)[-1] for c in changes if c.code == "flow.field_removed"}
    assert lost == {f.name for f in gone.fields.values()}


def rule_file(copy, rule_id: str) -> Path:
    for path in sorted((copy / "rules").glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        if any(r.get("id") == rule_id for r in data.get("rules") or []):
            return path
    raise AssertionError(rule_id)


def rule_of(data, rule_id):
    return next(r for r in data["rules"] if r["id"] == rule_id)


def test_pick_001_condition_and_outcome_changed(copy):
    path = rule_file(copy, "PICK-001")
    old = rule_of(yaml.safe_load(path.read_text("utf-8")), "PICK-001")
    kind = next(iter(old["then"]))

    def change(data):
        rule = rule_of(data, "PICK-001")
        rule["when"] = {"fact": "identity.residency", "in": ["hk", "macau"]}
        rule["then"][kind]["message"] = "仅香港、澳门居民只能网点领卡。"
    edit_yaml(path, change)
    changes = diff_paths(ROOT / path.relative_to(copy), path, ROOT)
    assert codes(changes) == ["rule.condition_changed", "rule.outcome_changed"]
    cond, outcome = changes
    facts = yaml.safe_load((ROOT / "rules/facts.yaml").read_text("utf-8"))["facts"]
    assert "PICK-001" in cond.message and old["title"] in cond.message
    assert cond.new == f"{facts['identity.residency']['title']} 属于 [hk, macau]"
    assert cond.old == describe_condition(old["when"], {"identity.residency": facts["identity.residency"]["title"]})
    assert "仅香港、澳门居民只能网点领卡。" in outcome.message and outcome.path.endswith(".message")


def test_rule_added_removed_basis_and_examples(copy):
    path = rule_file(copy, "ELIG-001")
    data = yaml.safe_load(path.read_text("utf-8"))
    others = [r for r in data["rules"] if r["id"] != "ELIG-001"]

    def change(data):
        rule = rule_of(data, "ELIG-001")
        rule["basis"] = "新的政策依据"
        rule["examples"] = rule["examples"][:2]
        data["rules"] = [rule, {"id": "ELIG-999", "title": "测试规则", "basis": "测试",
                                "when": {"all": [{"fact": "registry.cards_in_province", "gte": 3},
                                                 {"fact": "today", "lt": {"fact": "identity.birth_date"}}]},
                                "then": {"refuse": {"message": "请到网点办理。"}}}]
    edit_yaml(path, change)
    changes = diff_paths(ROOT / path.relative_to(copy), path, ROOT)
    found = codes(changes)
    assert found.count("rule.removed") == len(others)
    assert {"rule.added", "rule.basis_changed", "rule.examples_changed"} <= set(found)
    added = next(c for c in changes if c.code == "rule.added")
    assert "ELIG-999" in added.message and "测试规则" in added.message and "请到网点办理。" in added.message
    assert " 且 " in added.message and "早于" in added.message      # dates read as dates
    basis = next(c for c in changes if c.code == "rule.basis_changed")
    assert "ELIG-001" in basis.message and "新的政策依据" in basis.message


def test_a_changed_citizen_basis_is_shown_to_the_reviewer(copy):
    """`why:` (the basis under 为什么？, issue 16) is what citizens read: a change of it is in the diff."""
    path = rule_file(copy, "ID-002")

    def change(data):
        rule_of(data, "ID-002")["why"] = "证件过期了，不能申领。"
    edit_yaml(path, change)
    changes = diff_paths(ROOT / path.relative_to(copy), path, ROOT)
    assert codes(changes) == ["rule.why_changed"]
    assert "ID-002" in changes[0].message and "证件过期了，不能申领。" in changes[0].message


def test_describe_condition_reads_yaml_and_loaded_rules_alike(definitions):
    assert describe_condition({"fact": "identity.residency", "in": ["hk", "macau"]}, {}) == \
        "identity.residency 属于 [hk, macau]"
    assert describe_condition({"any": [{"field": "x", "eq": False}, {"all": [{"fact": "a", "exists": True},
                                                                             {"fact": "b", "gt": 1}]}]},
                              {"form.x": "长期"}) == "长期 等于 否 或 （a 有值 且 b 大于 1）"
    titles = {"identity.residency": "人员类别"}
    rule = next(r for rs in definitions.rulebook.rulesets.values() for r in rs.rules if r.id == "PICK-001")
    raw = yaml.safe_load((ROOT / rule.file).read_text("utf-8"))
    assert describe_condition(rule.when, titles) == describe_condition(rule_of(raw, "PICK-001")["when"], titles)


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def test_git_revisions_including_a_change_in_an_included_fragment(copy, adult, capsys):
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "shipped")
    field = next(f for f in adult.input_fields().values() if f.optional)
    edit_field(copy, field.name, lambda spec: spec.pop("optional"))
    git(copy, "commit", "-q", "-am", "required")
    changes = diff_revisions(copy / FLOW, "HEAD~1", "HEAD", ROOT)
    assert codes(changes) == ["flow.field_required"] and field.title in changes[0].message
    assert main(["diff", str(copy / FLOW), "--from", "HEAD~1", "--to", "HEAD"]) == 0
    assert "[flow.field_required]" in capsys.readouterr().out
    # without --to: the working tree, uncommitted edits included
    edit_yaml(rule_file(copy, "PICK-001"), lambda d: rule_of(d, "PICK-001").update(basis="改"))
    assert main(["diff", str(rule_file(copy, "PICK-001")), "--from", "HEAD"]) == 0
    assert "[rule.basis_changed]" in capsys.readouterr().out
    assert diff_revisions(copy / FLOW, "HEAD", None, ROOT) == []
    assert main(["diff", str(copy / FLOW), "--from", "no-such-rev"]) == 1


def test_cli_two_files_and_mistakes(copy, capsys):
    assert main(["diff", str(ROOT / FLOW), str(copy / FLOW)]) == 0
    assert "没有改动" in capsys.readouterr().out
    assert main(["diff", str(ROOT / FLOW), str(rule_file(copy, "PICK-001"))]) == 1
    assert main(["diff", str(ROOT / FLOW)]) == 2


def test_a_button_popup_text_changed_reads_old_to_new(copy):
    path = copy / "flows/cleanup.yaml"
    text = path.read_text("utf-8")
    assert "message: 确定要提交清理吗？" in text
    path.write_text(text.replace("message: 确定要提交清理吗？", "message: 请确认是否提交清理？", 1), "utf-8")
    [change] = diff_paths(ROOT / "flows/cleanup.yaml", path, ROOT)
    assert change.code == "flow.action_confirm_changed"
    assert "【清理】" in change.message and "提示文字由“确定要提交清理吗？" in change.message
    assert "改为“请确认是否提交清理？" in change.message
