"""The restriction analysis (definitions/choices.py, combinations.py): groups of applicants left
without a choice, options nobody may choose, earlier refusals, ranges, the limit; and, property-
based, that every group it reports as left without options really is, by the rule engine."""
from __future__ import annotations

import itertools
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govflow.definitions import load_definitions
from govflow.definitions.analysis import dominators
from govflow.definitions.choices import restriction_problems
from govflow.definitions.combinations import FieldChoices, Space, partition, truth
from govflow.rules import RuleBook
from govflow.rules.facts import Catalogue
from govflow.rules.model import All, Any_, FactType, Rule, Ruleset, facts_read, freeze
from govflow.rules.model import Test as RuleTest
from test_static_analysis import overlay

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "fixtures" / "broken"

RULE = """
  - id: {id}
    title: {title}
    basis: 测试
    when: {when}
    then:
      {then}
    examples:
      - {{given: {{}}, fires: []}}
"""


def project(tmp_path: Path, rules: list[tuple], earlier: list[tuple] = (), asked_when: str = "") -> Path:
    """The real project plus the two-fact case's flow, with `rules` (id, title, when, then) as
    rule set zz_pickup and `earlier` as rule set zz_pre, run by on_enter of the page before;
    `asked_when`: the `when:` of the restricted field."""
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    flow = (BROKEN / "restriction_gap_two_facts" / "flows" / "zz_case.yaml").read_text("utf-8")
    if earlier:
        flow = flow.replace("on_enter: [precheck]", "on_enter: [precheck, zz_pre]")
    if asked_when:
        flow = flow.replace("        widget: radio\n", f"        widget: radio\n        when: {asked_when}\n")
    (tmp_path / "flows" / "zz_case.yaml").write_text(flow, "utf-8")
    for name, items in (("zz_pickup", rules), ("zz_pre", earlier)):
        if items:
            text = f"ruleset: {name}\ntitle: 测试\nrules:" + "".join(
                RULE.format(id=i, title=t, when=w, then=th) for i, t, w, th in items)
            (tmp_path / "rules" / f"{name}.yaml").write_text(text, "utf-8")
    return tmp_path


def restrict(to: str) -> str:
    return f"restrict: {{field: zz_method, to: [{to}], message: 测试}}"


REFUSE = "refuse: {message: 测试}"
HK_BRANCH = ("ZZK-001", "港澳台居民只能网点领卡", "{fact: identity.residency, in: [hk, macau, taiwan]}",
             restrict("branch"))
WOMEN_MAIL = ("ZZK-002", "女性申请人只能邮寄到付", "{fact: identity.sex, eq: female}", restrict("mail"))


def findings(root: Path, code: str = "rule.restriction_gap"):
    _, problems = load_definitions(root)
    return [p for p in problems if p.code == code]


def test_two_facts_name_the_group_left_without_a_choice(tmp_path):
    [gap] = findings(overlay("restriction_gap_two_facts", tmp_path))
    assert (gap.file, gap.line) == ("rules/zz_pickup.yaml", 5)
    assert "领卡方式页（pickup）" in gap.message and "测试事项" in gap.message
    assert "ZZK-001（港澳台居民只能网点领卡）、ZZK-002（女性申请人只能邮寄到付）" in gap.message
    assert "“人员类别为香港居民、澳门居民、台湾居民之一，性别=女”的申请人" in gap.message
    assert "“领卡方式”没有可选项" in gap.message
    assert "ZZK-001只允许网点领卡；ZZK-002只允许邮寄到付" in gap.hint


def test_overlapping_groups_name_the_group_actually_left_without_options(tmp_path):
    hk_mail = ("ZZK-003", "香港居民只能邮寄", "{fact: identity.residency, eq: hk}", restrict("mail"))
    [gap] = findings(project(tmp_path, [HK_BRANCH, hk_mail]))
    assert "“人员类别=香港居民”的申请人" in gap.message
    assert "macau" not in gap.message and "mainland" not in gap.message
    assert "ZZK-001" in gap.message and "ZZK-003" in gap.message


def test_the_whole_group_is_named_once(tmp_path):
    # a rule on Macau alone splits the residencies into classes; the group is still named as one
    macau_both = ("ZZK-005", "澳门居民两种方式均可", "{fact: identity.residency, eq: macau}", restrict("branch, mail"))
    [gap] = findings(project(tmp_path, [HK_BRANCH, macau_both, WOMEN_MAIL]))
    assert "“人员类别为香港居民、澳门居民、台湾居民之一，性别=女”的申请人" in gap.message
    assert "其他" not in gap.hint and "ZZK-005" not in gap.message


def test_earlier_refusals_leave_their_groups_out(tmp_path):
    refuse_all = ("ZZR-001", "港澳台女性不在此办理",
                  "{all: [{fact: identity.residency, in: [hk, macau, taiwan]}, {fact: identity.sex, eq: female}]}",
                  REFUSE)
    assert findings(project(tmp_path / "a", [HK_BRANCH, WOMEN_MAIL], [refuse_all])) == []
    refuse_hk = ("ZZR-001", "香港女性不在此办理",
                 "{all: [{fact: identity.residency, eq: hk}, {fact: identity.sex, eq: female}]}", REFUSE)
    [gap] = findings(project(tmp_path / "b", [HK_BRANCH, WOMEN_MAIL], [refuse_hk]))
    assert "“人员类别为澳门居民、台湾居民之一，性别=女”的申请人" in gap.message


def test_refusals_of_the_page_itself_count_too(tmp_path):
    same = ("ZZK-009", "港澳台女性不在此办理",
            "{all: [{fact: identity.residency, in: [hk, macau, taiwan]}, {fact: identity.sex, eq: female}]}", REFUSE)
    assert findings(project(tmp_path, [HK_BRANCH, WOMEN_MAIL, same])) == []


def test_groups_the_field_is_not_asked_of_are_left_out(tmp_path):
    shenzhen_mail = ("ZZK-002", "深圳发卡只能邮寄", '{fact: form.zz_city, eq: "440300"}', restrict("mail"))
    [gap] = findings(project(tmp_path / "a", [HK_BRANCH, shenzhen_mail]))
    assert "“人员类别为香港居民、澳门居民、台湾居民之一，发卡地=440300”的申请人" in gap.message
    not_shenzhen = '{field: zz_city, ne: "440300"}'
    assert findings(project(tmp_path / "b", [HK_BRANCH, shenzhen_mail], asked_when=not_shenzhen)) == []


def test_the_shipped_pickup_page_with_a_rule_for_women(tmp_path):
    """Mistake 2 of issue 13 made in a copy of the shipped files: PICK-001 (港澳台 → 网点领卡) and a
    new rule for women (→ 邮寄到付) leave a woman from Hong Kong without an option."""
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    pickup = tmp_path / "rules" / "pickup.yaml"
    pickup.write_text(pickup.read_text("utf-8") + RULE.format(
        id="PICK-099", title="女性申请人只能邮寄到付", when="{fact: identity.sex, eq: female}",
        then="restrict: {field: pickup_method, to: [mail], message: 测试}"), "utf-8")
    [gap] = findings(tmp_path)
    assert (gap.file, gap.line) == ("rules/pickup.yaml", 5)
    assert "流程“社保卡申领”（sscard_adult）的领卡方式页（pickup）" in gap.message
    assert "PICK-001（港澳台居民只能网点领卡）、PICK-099（女性申请人只能邮寄到付）" in gap.message
    assert "“人员类别为香港居民、澳门居民、台湾居民之一，性别=女”的申请人时，“领卡方式”没有可选项" in gap.message


def test_a_number_range_is_split_at_the_thresholds_the_rules_use(tmp_path):
    # precheck (run before) refuses age < 16, so the group without a choice is 16 ≤ age < 18
    minors = ("ZZK-001", "未满18周岁只能网点领卡", "{fact: identity.age, lt: 18}", restrict("branch"))
    young = ("ZZK-002", "未满30周岁只能邮寄", "{fact: identity.age, lte: 29}", restrict("mail"))
    [gap] = findings(project(tmp_path, [minors, young]))
    assert "“16≤人脸核验人员的年龄<18”的申请人" in gap.message
    old = ("ZZK-002", "60周岁以上只能邮寄", "{fact: identity.age, gte: 60}", restrict("mail"))
    assert findings(project(tmp_path / "b", [minors, old])) == []


def test_each_restriction_alone_is_no_gap_and_no_rule_is_no_finding(tmp_path):
    assert findings(project(tmp_path, [HK_BRANCH])) == []
    assert findings(project(tmp_path / "b", [HK_BRANCH]), "rule.option_never_allowed") == []


def test_an_option_nobody_may_choose(tmp_path):
    """The shipped upload page offered 护照 while DOC-001..003 restrict everyone past precheck."""
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    adult = tmp_path / "flows" / "sscard_adult.yaml"
    text = adult.read_text("utf-8")
    line = "          - {value: residence_permit, label: 港澳台居民居住证}\n"
    assert line in text
    adult.write_text(text.replace(line, line + "          - {value: passport, label: 护照}\n"), "utf-8")
    [never] = findings(tmp_path, "rule.option_never_allowed")
    assert never.file == "flows/sscard_adult.yaml"
    assert text.splitlines()[never.line - 1].strip() == "document_set:"
    assert "“证件材料”的选项“护照”谁也不能选" in never.message and "上传材料页（upload）" in never.message
    assert "DOC-001" in never.hint and "DOC-003" in never.hint


def test_no_option_is_never_allowed_while_some_group_is_unrestricted(tmp_path):
    # mainland applicants are not restricted: both options stay choosable for them
    only_branch = ("ZZK-001", "港澳台居民只能网点领卡", HK_BRANCH[2], restrict("branch"))
    assert findings(project(tmp_path, [only_branch]), "rule.option_never_allowed") == []


def test_more_groups_than_the_limit_give_a_warning_not_a_guess(tmp_path):
    rules = [(f"ZZK-{i:03d}", "测试", f"{{fact: registry.{fact}, eq: {n}}}", restrict("branch"))
             for i, (fact, n) in enumerate(itertools.product(("cards_in_province", "pending_applications"),
                                                             range(65)))]
    started = time.perf_counter()
    definitions, problems = load_definitions(project(tmp_path, rules))
    assert time.perf_counter() - started < 30
    [limit] = [p for p in problems if p.code == "rule.restriction_analysis_limit"]
    assert limit.severity == "warning" and "4096" in limit.message and (limit.file, limit.line) == (
        "rules/zz_pickup.yaml", 4)
    assert definitions is not None


def test_the_limit_can_be_set():
    definitions, _ = load_definitions(ROOT)
    doms = {f.id: dominators(f) for f in definitions.flows.values()}
    assert restriction_problems(definitions.flows, doms, definitions.rulebook) == []
    found = restriction_problems(definitions.flows, doms, definitions.rulebook, cap=2)
    assert {p.code for p in found} == {"rule.restriction_analysis_limit"}


@pytest.mark.parametrize("ftype, tests, values, words", [
    ("integer", [("gt", 1), ("lt", 3)], [-5, 1, 2, 3, 9], ["x<2", "x=2", "x≥3"]),
    ("integer", [("gte", 16), ("lt", 60)], [0, 16, 59, 60], ["x<16", "16≤x<60", "x≥60"]),
    ("integer", [("ne", 5)], [4, 5, 6], ["x<5或x≥6", "x=5"]),
    ("number", [("gt", 1.5), ("lte", 3)], [0, 1.5, 2, 3, 3.5], ["x≤1.5", "1.5<x≤3", "x>3"]),
    ("date", [("lt", 20240301)], [20240229, 20240301], ["x<2024-03-01", "x≥2024-03-01"]),
])
def test_ranges_are_split_at_the_thresholds(ftype, tests, values, words):
    tests = [RuleTest("x", op, v) for op, v in tests]
    parts = partition("x", FactType(ftype), tests, {})
    assert sorted("或".join(p.words) for p in parts) == sorted(words)
    space = Space({"x": parts}, {"x": tests})
    for v in values:                        # every value falls in a class that the tests treat as it
        k = space.index_of({"x": v})
        assert k is not None
        assert all(truth(t, v) == truth(t, parts[k].rep) for t in tests)


def test_a_thousand_restrictions_are_analysed_quickly():
    facts = {"identity.residency": FactType("string", ("mainland", "hk", "macau", "taiwan")),
             "identity.sex": FactType("string", ("male", "female")),
             "registry.cards_in_province": FactType("integer")}
    rules = [_rule(f"R{i}", All((RuleTest("identity.residency", "eq", ("mainland", "hk", "macau", "taiwan")[i % 4]),
                                 RuleTest("registry.cards_in_province", "gte", i % 50))), ("a", "b", "c")[: 1 + i % 3])
             for i in range(1000)]
    started = time.perf_counter()
    fc = FieldChoices.build(rules, [], ["a", "b", "c"], facts, {})
    fc.gaps(), fc.never_allowed(), fc.uncovered()
    assert time.perf_counter() - started < 2


# -- the analysis agrees with the rule engine -----------------------------------------------------

TYPES = {"identity.residency": FactType("string", ("mainland", "hk", "macau", "foreign")),
         "identity.sex": FactType("string", ("male", "female")),
         "registry.cards_in_province": FactType("integer"),
         "relation.applicant_is_subject": FactType("boolean")}
OPTIONS = ["a", "b", "c"]


def _rule(rule_id: str, when, to=None) -> Rule:
    then = {"restrict": {"field": "f", "to": list(to), "message": "m"}} if to is not None else \
        {"refuse": {"message": "m"}}
    return Rule(rule_id, "t", "b", when, freeze(then), (), "rules/x.yaml", 1, tuple(facts_read(when)))


def atomic_tests():
    enum = st.sampled_from(sorted(k for k, v in TYPES.items() if v.enum)).flatmap(
        lambda f: st.one_of(
            st.builds(lambda op, v: RuleTest(f, op, v), st.sampled_from(["eq", "ne"]), st.sampled_from(TYPES[f].enum)),
            st.builds(lambda op, vs: RuleTest(f, op, tuple(vs)), st.sampled_from(["in", "not_in"]),
                      st.lists(st.sampled_from(TYPES[f].enum), min_size=1, max_size=3, unique=True))))
    number = st.builds(lambda op, v: RuleTest("registry.cards_in_province", op, v),
                       st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]), st.sampled_from([0, 2, 4]))
    boolean = st.builds(lambda v: RuleTest("relation.applicant_is_subject", "eq", v), st.booleans())
    return st.one_of(enum, number, boolean)


conditions = st.recursive(atomic_tests(), lambda inner: st.one_of(
    st.builds(lambda xs: All(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
    st.builds(lambda xs: Any_(tuple(xs)), st.lists(inner, min_size=2, max_size=3))), max_leaves=4)
restrictions = st.lists(st.tuples(conditions, st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=2,
                                                       unique=True)), min_size=1, max_size=4)
refusals = st.lists(conditions, max_size=2)
_made = itertools.count()


def nested(flat: dict) -> dict:
    out: dict = {}
    for path, value in flat.items():
        top, key = path.split(".")
        out.setdefault(top, {})[key] = value
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(restrictions, refusals, st.lists(st.fixed_dictionaries({
    "identity.residency": st.sampled_from(TYPES["identity.residency"].enum),
    "identity.sex": st.sampled_from(TYPES["identity.sex"].enum),
    "registry.cards_in_province": st.integers(-2, 7),
    "relation.applicant_is_subject": st.booleans()}), min_size=1, max_size=5))
def test_a_group_reported_without_options_has_none_by_the_rule_engine(restricting, refusing, people):
    n = next(_made)
    rules = [_rule(f"R{i}", when, to) for i, (when, to) in enumerate(restricting)]
    stops = [_rule(f"S{i}", when) for i, when in enumerate(refusing)]
    book = RuleBook({"zzr": Ruleset("zzr", "t", "x", f"r{n}", rules), "zzs": Ruleset("zzs", "t", "x", f"s{n}", stops)},
                    Catalogue(types=dict(TYPES), derived=[]))
    fc = FieldChoices.build(rules, stops, OPTIONS, TYPES, {})
    assert fc is not None

    def engine(facts: dict) -> tuple[set, bool, bool]:
        """(allowed options, stopped, restricted at all) by RuleBook.evaluate (durable-rules)."""
        allowed = set(OPTIONS)
        fired = book.evaluate("zzr", nested(facts)).fired
        for f in fired:
            allowed &= set(f.outcome["restrict"]["to"])
        return allowed, bool(stops) and bool(book.evaluate("zzs", nested(facts)).fired), bool(fired)

    gaps, never = fc.gaps(), fc.never_allowed()
    for i in range(fc.space.size):          # every group, by its representative
        allowed, stopped, _ = engine(fc.representative(i))
        assert bool(gaps >> i & 1) == (not stopped and not allowed), (i, fc.representative(i), allowed)
        if not stopped:
            assert not allowed & set(never)
    grid = itertools.product(TYPES["identity.residency"].enum, TYPES["identity.sex"].enum, range(-2, 8),
                             (True, False))
    for r, s, c, b in grid:                 # every applicant belongs to a group
        assert fc.space.index_of({"identity.residency": r, "identity.sex": s, "registry.cards_in_province": c,
                                  "relation.applicant_is_subject": b}) is not None, (r, s, c, b)
    for person in people:                   # and what the engine does for them, the group says
        i = fc.space.index_of(person)
        assert i is not None, person
        allowed, stopped, restricted = engine(person)
        if gaps >> i & 1:                   # everyone of a group without options has none
            assert not allowed, (person, allowed)
        if not stopped and not allowed:     # and everyone without options is in such a group
            assert gaps >> i & 1, person
        if not fc.reachable >> i & 1:       # a group left out is stopped for certain
            assert stopped, person
        elif fc.uncovered() >> i & 1 or not restricted:   # no restriction applies to them, for certain
            assert not restricted and fc.uncovered() >> i & 1, person
        if not stopped:
            assert not allowed & set(never)


@pytest.mark.parametrize("case", ["restriction_gap", "restriction_gap_two_facts", "option_never_allowed"])
def test_messages_are_chinese_by_default_and_english_on_request(case, tmp_path, monkeypatch):
    root = overlay(case, tmp_path)
    monkeypatch.setenv("GOVFLOW_LANG", "en")
    english = [p for p in load_definitions(root)[1] if p.code.startswith("rule.")]
    assert english and all("page '" in p.message for p in english)
    monkeypatch.setenv("GOVFLOW_LANG", "zh")
    chinese = [p for p in load_definitions(root)[1] if p.code.startswith("rule.")]
    assert all("页（" in p.message and p.hint for p in chinese)


def test_an_answer_that_may_be_left_out_keeps_the_options_open(tmp_path):
    """A woman who did not answer an optional question is not restricted by a rule on its answer."""
    flow = (BROKEN / "restriction_gap_two_facts" / "flows" / "zz_case.yaml").read_text("utf-8")
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    flow = flow.replace("      zz_city: {title: 发卡地, type: string, options: guangdong_cities}\n",
                        "      zz_city: {title: 发卡地, type: string, options: guangdong_cities}\n"
                        "      zz_mode: {title: 方式, type: string, optional: true,"
                        " options: [{value: a, label: 甲}, {value: b, label: 乙}]}\n")
    (tmp_path / "flows" / "zz_case.yaml").write_text(flow, "utf-8")
    rules = [("ZZK-001", "甲只能网点", "{fact: form.zz_mode, eq: a}", restrict("branch")),
             ("ZZK-002", "乙只能邮寄", "{fact: form.zz_mode, eq: b}", restrict("mail"))]
    (tmp_path / "rules" / "zz_pickup.yaml").write_text("ruleset: zz_pickup\ntitle: 测试\nrules:" + "".join(
        RULE.format(id=i, title=t, when=w, then=th) for i, t, w, th in rules), "utf-8")
    assert findings(tmp_path, "rule.option_never_allowed") == []
    required = flow.replace(" optional: true,", "")
    (tmp_path / "flows" / "zz_case.yaml").write_text(required, "utf-8")
    assert findings(tmp_path, "rule.option_never_allowed") == []          # a → branch, b → mail: both allowed
    both_branch = [rules[0], ("ZZK-002", "乙只能网点", "{fact: form.zz_mode, eq: b}", restrict("branch"))]
    (tmp_path / "rules" / "zz_pickup.yaml").write_text("ruleset: zz_pickup\ntitle: 测试\nrules:" + "".join(
        RULE.format(id=i, title=t, when=w, then=th) for i, t, w, th in both_branch), "utf-8")
    [never] = findings(tmp_path, "rule.option_never_allowed")
    assert "“邮寄到付”谁也不能选" in never.message
    (tmp_path / "flows" / "zz_case.yaml").write_text(flow, "utf-8")       # optional again: mail stays open
    assert findings(tmp_path, "rule.option_never_allowed") == []


def test_groups_are_named_with_the_value_labels_of_facts_yaml_and_a_wrong_label_is_refused(tmp_path):
    root = project(tmp_path, [HK_BRANCH, WOMEN_MAIL])
    [gap] = findings(root)
    assert "性别=女" in gap.message and "香港居民" in gap.message and "female" not in gap.message
    facts = root / "rules" / "facts.yaml"
    facts.write_text(facts.read_text("utf-8").replace("labels: {male: 男, female: 女}",
                                                      "labels: {male: 男, femal: 女}"), "utf-8")
    _, problems = load_definitions(root)
    wrong = [p for p in problems if p.code == "facts.label_not_in_enum"]
    assert len(wrong) == 1 and wrong[0].file == "rules/facts.yaml" and "femal" in wrong[0].message
    assert "male、female" in (wrong[0].hint or "")
