"""Mistakes 1, 4, 5 and 6 of issue 13, made as a policy officer would in a copy of the shipped files,
are refused with file:line and a Chinese message (definitions/wiring.py, publishing/history.py);
the journey's side of them (the facts it supplies, a redirect it cannot follow) is tried for real.
The broken cases under tests/fixtures/broken/ are run by test_static_analysis.py."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from apptools import KEYRING, ROOT, follow, make_app, publish_edits
from govflow import cli
from govflow import definitions as definitions_package
from govflow.definitions import load_definitions
from govflow.journey.facts import build_facts
from govflow.publishing.workflow import Workflow
from govflow.services.interfaces import supplied_facts
from govflow.store import open_store
from walkers import ApiWalker, HtmlWalker, MinorWalker

WIRING = {"flow.rule_reads_later_field", "flow.condition_reads_later_field", "flow.redirect_unfollowable",
          "flow.restriction_not_applied",
          "rule.fact_not_supplied", "rule.id_reused"}
SHARED = "flows/shared/sscard_content.yaml"


def project(tmp_path: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """A copy of the shipped project with text replacements per file."""
    root = tmp_path / "project"
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, root / name)
    for name, pairs in edits.items():
        text = (root / name).read_text("utf-8")
        for old, new in pairs:
            assert old in text, f"{old!r} not in {name}"
            text = text.replace(old, new, 1)
        (root / name).write_text(text, "utf-8")
    return root


def errors(root: Path) -> list:
    definitions, problems = load_definitions(root)
    found = [p for p in problems if p.severity == "error"]
    assert definitions is None or not found
    return found


def line_of(root: Path, name: str, text: str) -> int:
    lines = (root / name).read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_the_shipped_definitions_have_no_wiring_finding(definitions):
    assert not [str(p) for p in definitions.warnings if p.code in WIRING and p.severity == "error"]


# -- 1. a field collected on a later page ---------------------------------------------------------

ETHNICITY = "      ethnicity: {title: 民族, type: string, options: ethnic_groups}\n"
MAIL_NOTE = "      mail_note: {title: 邮寄备注, type: string, when: {field: pickup_method, eq: mail}}\n"


def test_the_issues_case_a_required_field_on_info_shown_by_the_pickup_answer(tmp_path):
    """申请信息 asks a required field only for 邮寄到付, which 领卡方式 (the next page) asks: info passes
    with it hidden; on 领卡方式 【下一步】 re-checks info (its `when:` reads pickup_method), finds it
    missing and sends the citizen back to 申请信息 without a word. The existing check (rule sets
    reading later fields) did not see it: it was a flow condition, not a rule."""
    root = project(tmp_path, {SHARED: [(ETHNICITY, ETHNICITY + MAIL_NOTE)]})
    found = errors(root)
    assert [(p.code, p.file, p.line) for p in found] == [
        ("flow.condition_reads_later_field", SHARED, line_of(root, SHARED, "mail_note:"))]
    message = found[0].message
    assert "页面“申请信息”（info）" in message and "页面“领卡方式”（pickup）" in message
    assert "“领卡方式”（pickup_method）" in message and "退回本页面" in message


def test_served_anyway_the_issues_case_sends_the_citizen_back_to_info_without_a_word(tmp_path, monkeypatch):
    """What the check prevents, tried for real with the analysis switched off: 邮寄到付 on 领卡方式
    and 【下一步】 lands on 申请信息 again, with no error and no popup to say why."""
    root = project(tmp_path, {SHARED: [(ETHNICITY, ETHNICITY + MAIL_NOTE)]})
    monkeypatch.setattr(definitions_package, "analyse", lambda flows, rulebook: [])
    definitions, problems = load_definitions(root)
    assert definitions is not None, [str(p) for p in problems if p.severity == "error"]
    app = make_app(tmp_path, definitions)
    api = ApiWalker(app.test_client(), app)
    api.walk_to_info()
    assert api.info_page(valid_from="2020-03-01", valid_to="2040-03-01")["page"] == "pickup"
    body = api.act("pickup", "next", {"pickup_method": "mail", "branch_id": api.branch(), "mail_notice_ack": True,
                                      "recipient_region": "440106", "recipient_address": "天河路100号3栋501房"})
    assert body["page"] == "info" and not body.get("errors") and not body.get("popup")


def test_a_rule_run_on_info_reading_the_pickup_answer_is_one_finding_for_the_shared_page(tmp_path):
    rule = ("  - id: ID-090\n    title: 邮寄到付的须为长期证件\n    basis: 测试\n"
            "    when: {all: [{fact: form.pickup_method, eq: mail}, {fact: form.long_term, eq: false}]}\n"
            "    then:\n      refuse: {message: 测试。, field: long_term}\n"
            "    examples:\n      - given: {form: {pickup_method: mail, long_term: false}}\n        fires: [ID-090]\n"
            "      - given: {form: {pickup_method: branch, long_term: false}}\n        fires: []\n")
    root = project(tmp_path, {})
    (root / "rules/id_validity.yaml").write_text((root / "rules/id_validity.yaml").read_text("utf-8") + "\n" + rule)
    found = errors(root)
    # both flows use the shared 申请信息 page: one finding where each one's `checks:` is written, the
    # shared page's for sscard_adult, the `use: info` override's for sscard_minor (its own checks)
    minor = "flows/sscard_minor.yaml"
    assert sorted((p.code, p.file, p.line) for p in found) == sorted([
        ("flow.rule_reads_later_field", SHARED, line_of(root, SHARED, "checks: [id_validity, id_card_validity]")),
        ("flow.rule_reads_later_field", minor, line_of(root, minor, "checks: [id_validity, minor_id_validity]"))])
    assert all("规则 ID-090“邮寄到付的须为长期证件”" in p.message for p in found)


def test_a_branch_on_a_later_answer_is_refused(tmp_path):
    root = project(tmp_path, {SHARED: [("      - {id: next, label: 下一步, next: pickup}",
                                        "      - {id: next, label: 下一步, next: [{when: {field: recipient_region, "
                                        "eq: \"440106\"}, page: pickup}, {page: pickup}]}")]})
    found = errors(root)
    assert {(p.code, p.line) for p in found} == {
        ("flow.condition_reads_later_field", line_of(root, SHARED, "next: [{when: {field: recipient_region"))}
    assert "按钮【下一步】" in found[0].message


def test_the_pickup_limit_run_on_the_page_before_is_refused(tmp_path):
    """PICK-001 (港澳台居民只能网点领卡) moved to 申请信息: it fires there, but a limit only works on the
    page asking the field; on 领卡方式 a Hong Kong resident would be offered 邮寄到付."""
    root = project(tmp_path, {SHARED: [("    checks: [pickup]\n", ""),
                                       ("    checks: [id_validity, id_card_validity]", "    checks: [id_validity, "
                                                                                     "id_card_validity, pickup]")]})
    found = errors(root)
    line = line_of(root, SHARED, "checks: [id_validity, id_card_validity, pickup]")
    assert [(p.code, p.file, p.line) for p in found] == [("flow.restriction_not_applied", SHARED, line)]
    assert "规则 PICK-001“港澳台居民只能网点领卡”" in found[0].message
    assert "页面“领卡方式”（pickup）" in found[0].message


# -- 4. a declared fact nothing supplies -------------------------------------------------------------

CARD_STATUS = "  registry.card_status: {type: string, title: 社保卡状态, enum: [normal, lost]}\n"
PRE_LOST = ("\n  - id: PRE-090\n    title: 社保卡挂失的须先解挂\n    basis: 测试\n"
            "    when: {fact: registry.card_status, eq: lost}\n    then:\n      refuse: {message: 请先解挂。}\n"
            "    examples:\n      - given: {registry: {card_status: lost}}\n        fires: [PRE-090]\n"
            "      - given: {registry: {card_status: normal}}\n        fires: []\n")


def test_the_issues_case_registry_card_status_is_declared_but_never_supplied(tmp_path):
    root = project(tmp_path, {"rules/facts.yaml": [("  today:", CARD_STATUS + "  today:")]})
    (root / "rules/precheck.yaml").write_text((root / "rules/precheck.yaml").read_text("utf-8") + PRE_LOST)
    found = errors(root)
    assert [(p.code, p.file, p.line) for p in found] == [
        ("rule.fact_not_supplied", "rules/facts.yaml", line_of(root, "rules/facts.yaml", "registry.card_status"))]
    assert "registry.card_status（社保卡状态）" in found[0].message
    assert "规则 PRE-090“社保卡挂失的须先解挂”（rules/precheck.yaml:" in found[0].message
    assert "registry.pending_applications" in found[0].hint


def _facts_supplied(app_context: dict) -> set[str]:
    """The facts an application holds besides the form's: the platform's and the look-ups'."""
    facts = build_facts(app_context, {}, None)
    return {f"{top}.{k}" for top, values in facts.items() if isinstance(values, dict) and top != "form"
            for k in values}


def test_what_the_journey_supplies_is_what_the_checker_knows(app):
    """The facts of real applications (self, and a guardian's for a child) are all in supplied_facts,
    and every fact the shipped rules declare is supplied."""
    env = app.extensions["govflow"].env
    supplied = set().union(*supplied_facts().values()) | set(env.connectors.catalog.fact_types())
    seen: set[str] = set()
    adult = ApiWalker(app.test_client(), app)
    adult.walk_to_info()
    seen |= _facts_supplied(app.extensions["govflow"].env.store.applications.get(adult.id).context)
    minor = MinorWalker(app.test_client(), app)
    minor.start_for("child_with_id_card")
    minor.eligibility()
    seen |= _facts_supplied(app.extensions["govflow"].env.store.applications.get(minor.id).context)
    assert "relation.applicant_relationship" in seen and "identity.residency" in seen
    assert seen <= supplied, seen - supplied
    declared = app.extensions["govflow"].env.rulebook.catalogue.declared
    assert declared and set(declared) <= supplied


# -- 6. a redirect the journey cannot follow ---------------------------------------------------------

def test_the_issues_case_the_cleanup_redirect_run_on_entry_is_refused(tmp_path):
    root = project(tmp_path, {"flows/sscard_adult.yaml": [("    on_enter: [precheck]\n    checks: [eligibility]\n",
                                                           "    on_enter: [precheck, eligibility]\n")]})
    found = errors(root)
    codes = [(p.code, p.file, p.line) for p in found]
    assert ("flow.redirect_unfollowable", "rules/eligibility.yaml", line_of(root, "rules/eligibility.yaml",
                                                                            "id: ELIG-001")) in codes
    redirect = next(p for p in found if p.code == "flow.redirect_unfollowable")
    assert "规则 ELIG-001“省内存在多张社保卡的，先办理一人一卡清理”" in redirect.message
    assert "页面“申领资格校验”（eligibility）" in redirect.message
    assert "流程“一人一卡清理”（cleanup）" in redirect.message
    # ELIG-002 reads the city asked on that page: on entry it is not answered yet (the existing check)
    assert {p.code for p in found} == {"flow.redirect_unfollowable", "flow.rule_reads_later_field"}


def test_a_redirect_to_a_misspelt_flow_is_refused(tmp_path):
    root = project(tmp_path, {"rules/eligibility.yaml": [("        flow: cleanup\n", "        flow: clean_up\n")]})
    found = errors(root)
    assert [(p.code, p.line) for p in found] == [("flow.redirect_unfollowable",
                                                  line_of(root, "rules/eligibility.yaml", "id: ELIG-001"))]
    assert "“clean_up”" in found[0].message and found[0].hint == "是否应为“cleanup”？"


def test_if_an_entry_redirect_is_served_anyway_the_citizen_reads_chinese(tmp_path):
    """Definitions published before the check (here: changed after loading) run the cleanup redirect
    on entry: the popup's 【确认】 cannot be followed; the citizen gets a Chinese page saying so, no
    application id and no code as the message."""
    definitions, _ = load_definitions(ROOT)
    definitions.flows["sscard_adult"].pages["eligibility"].on_enter = ["precheck", "eligibility"]
    app = make_app(tmp_path, definitions)
    html = HtmlWalker(app.test_client(), app)
    html.start()
    r = html.verify("two_cards")
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert 'role="alertdialog"' in page and "ELIG-001" in page and f"/a/{html.id}/_redirect" in page
    r = html.client.post(f"/a/{html.id}/_redirect", data={"_csrf": html._csrf()})
    text = r.get_data(as_text=True)
    main = re.search(r"<main.*?</main>", text, re.S).group(0)
    assert html.id not in main and "flow.no_redirect" not in re.sub(r'data-code="[^"]*"', "", main)
    assert "无法转到" in main
    api = ApiWalker(app.test_client(), app)
    api.create()
    api.verify("two_cards")
    r = api.client.post(f"/api/v1/applications/{api.id}/redirect", headers=api.headers)
    body = r.get_json()
    assert body["errors"][0]["code"] == "flow.no_redirect"
    assert api.id not in body["title"] and "无法转到" in body["title"]


# -- 5. a retired rule id reused with another meaning ----------------------------------------------

PRE_003 = "  - id: PRE-003\n"
REUSED = ("  - id: PRE-003\n    title: 省内持卡超过3张的不能申领\n    basis: 测试\n"
          "    when: {fact: registry.cards_in_province, gt: 3}\n    then:\n      refuse: {message: 请先到网点核实。}\n"
          "    examples:\n      - given: {registry: {cards: [" + ", ".join(["{status: 正常}"] * 4) + "]}}\n"
          "        fires: [PRE-003]\n"
          "      - given: {registry: {cards: [" + ", ".join(["{status: 正常}"] * 3) + "]}}\n        fires: []\n")


def _precheck(app) -> str:
    engine = app.extensions["govflow"]
    return engine.bundles.files(engine.env.bundle)["rules/precheck.yaml"]


def _draft_with(app, text: str):
    engine = app.extensions["govflow"]
    flow = Workflow(engine.env.store, engine.bundles)
    draft = flow.create("staff", ("editor",), "测试：规则编号")
    draft = flow.save_file("staff", ("editor",), draft.id, draft.revision, "rules/precheck.yaml", text)
    return flow, draft


@pytest.fixture
def retired(app):
    """PRE-003 (未满16周岁的须由监护人代为申领) published, then retired by a second publication."""
    text = _precheck(app)
    block = text[text.index(PRE_003):]
    publish_edits(app, {"rules/precheck.yaml": [(block, "")]}, reason="停用 PRE-003")
    assert follow(app) and PRE_003 not in _precheck(app)
    return text, block


def test_a_retired_id_reused_with_another_meaning_is_refused_before_publishing(app, retired):
    original, _ = retired
    live = _precheck(app)
    flow, draft = _draft_with(app, live.rstrip("\n") + "\n\n" + REUSED)
    checked = flow.check(draft)
    line = (live.rstrip("\n") + "\n\n" + REUSED).splitlines().index(PRE_003.rstrip("\n")) + 1
    assert [(p.code, p.file, p.line) for p in checked.errors] == [("rule.id_reused", "rules/precheck.yaml", line)]
    message = checked.errors[0].message
    assert "规则编号 PRE-003 已停用" in message and "未满16周岁的，须由法定监护人代为申领" in message
    assert "省内持卡超过3张的不能申领" in message
    with pytest.raises(Exception) as refused:
        flow.act("submit", "staff", ("editor",), draft.id, draft.revision)
    assert getattr(refused.value, "code", "") == "draft.has_errors"


def test_a_retired_rule_reinstated_as_it_was_and_a_live_rule_amended_are_allowed(app, retired):
    original, block = retired
    reworded = block.replace("您未满16周岁，请由", "未满16周岁的，请由")      # the message is not the meaning
    flow, draft = _draft_with(app, _precheck(app).rstrip("\n") + "\n\n" + reworded)
    assert not flow.check(draft).errors
    # a rule in force may change what it decides under its id (an amendment): the trail keeps the file version
    old = "{fact: registry.pending_applications, gt: 0}"
    amended = _precheck(app).replace(old, f"{{all: [{old}, {{fact: identity.residency, ne: overseas_chinese}}]}}", 1)
    flow, draft = _draft_with(app, amended)
    assert not flow.check(draft).errors


def test_make_check_knows_the_history_when_there_is_a_store(app, retired, tmp_path, db_url, monkeypatch, capsys):
    root = project(tmp_path, {})
    (root / "rules/precheck.yaml").write_text(_precheck(app).rstrip("\n") + "\n\n" + REUSED, "utf-8")
    assert cli.check(root) == 0                      # no store here: the history is unknown
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(cli, "_open", lambda _root: open_store(db_url, tmp_path / "uploads", b"x" * 32,
                                                                keyring=KEYRING))
    capsys.readouterr()
    assert cli.check(root) == 1
    out = capsys.readouterr().out
    assert re.search(r"^错误：rules/precheck\.yaml:\d+: 规则编号 PRE-003 已停用.*\[rule\.id_reused\]$", out, re.M), out
