"""Tests on lists of records in rules (any / all / none / count / exists), derived `count` and
`record` facts, list declarations in facts.yaml and lists in examples: both evaluators agree."""
from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govflow.journey.facts import build_facts
from govflow.rules import FactType, load_rulebook
from test_rules_examples import FakePicklists

FACTS = """
facts:
  today: {type: date, title: 今天}
  registry.cards:
    type: array
    title: 持有的社保卡
    items:
      type: object
      fields:
        card_number: {type: string, title: 卡号}
        status: {type: string, title: 卡状态, enum: [正常, 临时挂失, 注销]}
        issued: {type: date, title: 发卡日期}
  registry.tags: {type: array, title: 标记, items: {type: string, enum: [a, b]}}
derived:
  registry.cards_in_province:
    title: 省内持有（未注销）的社保卡张数
    count: {list: registry.cards, where: {status: {ne: 注销}}}
  chosen_card:
    title: 所选的卡
    record: {list: registry.cards, where: {card_number: {fact: form.card_number}}}
"""

RULES = """
ruleset: x
title: 列表
rules:
  - id: X-001
    title: 有挂失的卡
    basis: b
    when: {fact: registry.cards, any: {fact: status, eq: 临时挂失}}
    then: {refuse: {message: 有挂失的卡}}
    examples:
      - given: {registry: {cards: [{card_number: "1", status: 临时挂失}]}}
        fires: [X-001, X-004]
      - given: {registry: {cards: [{card_number: "1", status: 正常}]}}
        fires: []
  - id: X-002
    title: 两张以上
    basis: b
    when: {fact: registry.cards_in_province, gt: 1}
    then: {refuse: {message: 两张}}
    examples:
      - given: {registry: {cards: [{status: 正常}, {status: 临时挂失}, {status: 注销}]}}
        fires: [X-001, X-002, X-004]
      - given: {registry: {cards: [{status: 正常}, {status: 注销}]}}
        fires: [X-004]
  - id: X-003
    title: 所选的卡已注销
    basis: b
    when: {fact: chosen_card.status, eq: 注销}
    then: {refuse: {message: 已注销}}
    examples:
      - given:
          form: {card_number: "2"}
          registry: {cards: [{card_number: "1", status: 正常}, {card_number: "2", status: 注销}]}
        fires: [X-003, X-004]
      - given:
          form: {card_number: "1"}
          registry: {cards: [{card_number: "1", status: 正常}, {card_number: "2", status: 注销}]}
        fires: [X-004]
  - id: X-004
    title: 有非正常的卡
    basis: b
    when: {fact: registry.cards, count: {where: {status: {ne: 正常}}, gte: 1}}
    then: {refuse: {message: 非正常}}
    examples:
      - given: {registry: {cards: [{card_number: "1", status: 注销}]}}
        fires: [X-004]
      - given: {registry: {cards: []}}
        fires: []
  - id: X-005
    title: 全部正常且无标记 a
    basis: b
    when: {all: [{fact: registry.cards, all: {status: 正常}}, {fact: registry.tags, none: {eq: a}}]}
    then: {refuse: {message: 全部正常}}
    examples:
      - given: {registry: {cards: [{status: 正常}], tags: [b]}}
        fires: [X-005]
      - given: {registry: {cards: [{status: 正常}], tags: [a, b]}}
        fires: []
  - id: X-006
    title: 今年发的卡
    basis: b
    when:
      not: {fact: registry.cards, none: {fact: issued, gte: {fact: today}}}
    then: {refuse: {message: 新卡}}
    examples:
      - given: {today: 2026-01-01, registry: {cards: [{status: 正常, issued: 2026-02-01}]}}
        fires: [X-006]
      - given: {today: 2026-01-01, registry: {cards: [{status: 正常, issued: 2025-02-01}]}}
        fires: []
  - id: X-007
    title: 没有查询结果
    basis: b
    when: {fact: registry.cards, exists: false}
    then: {refuse: {message: 无结果}}
    examples:
      - given: {}
        fires: [X-007]
      - given: {registry: {cards: []}}
        fires: []
"""

FORM = {"form.card_number": FactType("string")}


def _book(tmp_path: Path, rules: str = RULES, facts: str = FACTS):
    (tmp_path / "facts.yaml").write_text(textwrap.dedent(facts), encoding="utf-8")
    (tmp_path / "x.yaml").write_text(textwrap.dedent(rules), encoding="utf-8")
    return load_rulebook(tmp_path, FORM, FakePicklists())


def test_list_tests_and_list_derived_facts_pass_their_examples_in_both_evaluators(tmp_path):
    book, problems = _book(tmp_path)
    assert book is not None, problems
    assert [p for p in problems if p.severity == "error"] == []
    for rs, rule, example in book.examples():
        assert book.check_example(rs, rule, example) is None, (rule.id, example)
        assert book.check_example(rs, rule, example, plain=True) is None, (rule.id, example)


def test_chosen_record_fields_are_typed_facts(tmp_path):
    book, _ = _book(tmp_path)
    assert book.catalogue.types["chosen_card.status"].enum == ("正常", "临时挂失", "注销")
    assert book.catalogue.types["chosen_card.issued"].type == "date"
    assert book.catalogue.types["registry.cards_in_province"].type == "integer"


CARD = st.fixed_dictionaries({"status": st.sampled_from(["正常", "临时挂失", "注销"])},
                             optional={"card_number": st.sampled_from(["1", "2"]),
                                       "issued": st.dates(dt.date(2024, 1, 1), dt.date(2027, 1, 1))})


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    found, problems = _book(tmp_path_factory.mktemp("lists"))
    assert found is not None, problems
    return found


@settings(max_examples=150, deadline=None)
@given(cards=st.one_of(st.none(), st.lists(CARD, max_size=5)),
       tags=st.lists(st.sampled_from(["a", "b"]), max_size=3),
       number=st.sampled_from(["1", "2", None]))
def test_durable_and_plain_agree_on_any_list(book, cards, tags, number):
    facts = {"today": dt.date(2026, 1, 1), "registry": {"tags": tags}, "form": {}}
    if cards is not None:
        facts["registry"]["cards"] = cards
    if number is not None:
        facts["form"]["card_number"] = number
    durable = book.evaluate("x", facts).ids()
    assert durable == book.evaluate_plain("x", facts).ids()
    live = [c for c in cards or [] if c["status"] != "注销"]
    assert ("X-002" in durable) == (len(live) > 1)
    assert ("X-001" in durable) == any(c["status"] == "临时挂失" for c in cards or [])
    assert ("X-007" in durable) == (cards is None)


BAD_RULES = """
ruleset: x
title: 列表
rules:
  - id: X-001
    title: t
    basis: b
    when: {fact: registry.cards, any: {statu: 正常}}
    then: {refuse: {message: m}}
  - id: X-002
    title: t
    basis: b
    when: {fact: registry.cards, any: {status: 作废}}
    then: {refuse: {message: m}}
  - id: X-003
    title: t
    basis: b
    when: {fact: registry.cards, any: {fact: issued, gt: 3}}
    then: {refuse: {message: m}}
  - id: X-004
    title: t
    basis: b
    when: {fact: registry.cards, eq: 3}
    then: {refuse: {message: m}}
  - id: X-005
    title: t
    basis: b
    when: {fact: registry.cards, count: {gte: 1, lt: 3}}
    then: {refuse: {message: m}}
  - id: X-006
    title: t
    basis: b
    when: {fact: registry.tags, any: {eq: c}}
    then: {refuse: {message: m}}
    examples:
      - given: {registry: {cards: [{status: 正常, colour: red}, {status: 作废}], tags: [c]}}
        fires: []
"""


def _codes(problems):
    return sorted((p.line, p.code) for p in problems if p.severity == "error" and p.code != "rule.schema")


def test_mistakes_in_list_tests_are_reported_at_their_lines_in_chinese(tmp_path):
    book, problems = _book(tmp_path, BAD_RULES)
    assert book is None
    assert _codes(problems) == [
        (8, "rule.unknown_item_field"), (13, "rule.value_not_in_enum"), (18, "rule.wrong_value_type"),
        (23, "rule.operator_not_for_type"), (28, "rule.bad_condition"), (33, "rule.value_not_in_enum"),
        (36, "rule.example_unknown_fact"), (36, "rule.value_not_in_enum"), (36, "rule.value_not_in_enum")]
    unknown = next(p for p in problems if p.code == "rule.unknown_item_field")
    assert "statu" in unknown.message and "记录没有字段" in unknown.message
    assert "status" in unknown.hint
    assert "标记" in next(p for p in problems if p.line == 33).message     # a scalar item is named by its list


BAD_FACTS = FACTS + """
  bad_count: {title: t, count: {list: today}}
  bad_record: {title: t, record: {list: registry.tags, where: {eq: a}}}
  bad_where: {title: t, count: {list: registry.cards, where: {colour: red}}}
"""


def test_mistakes_in_list_derived_facts_are_reported(tmp_path):
    book, problems = _book(tmp_path, "ruleset: x\ntitle: t\nrules: []\n", BAD_FACTS)
    assert book is None
    assert _codes(problems) == [(22, "facts.not_a_list"), (23, "facts.bad_arguments"),
                                (24, "rule.unknown_item_field")]


def test_flow_conditions_cannot_test_lists():
    from govflow.definitions.conditions import FlowConditionReader
    from govflow.definitions.model import Origin
    from govflow.yamlsource import Source
    types = {"registry.cards": FactType("array", items=FactType("string"))}
    reader = FlowConditionReader(Origin(Source("flows/x.yaml", {}, {}), ()), types, None, {}, True)
    assert reader.read({"fact": "registry.cards", "any": {"eq": "a"}}, ("when",)) is None
    assert [p.code for p in reader.problems] == ["rule.only_in_rule_files"]


def test_build_facts_keeps_lists_and_records_of_every_look_up():
    context = {"identity": {"ssn": "1"}, "registry": {"cards": [{"status": "正常"}], "pending_applications": 0},
               "relation": {"applicant_is_subject": True, "record": {"a": 1}}, "looked_up": ["registry"],
               "bundle": "v1", "subject_person": {"name": "x"}}
    facts = build_facts(context, {"x": 1}, dt.date(2026, 1, 1))
    assert facts["registry"]["cards"] == [{"status": "正常"}]
    assert facts["registry"]["pending_applications"] == 0
    assert facts["relation"] == {"applicant_is_subject": True, "record": {"a": 1}}
    assert facts["form"] == {"x": 1} and facts["identity"] == {"ssn": "1"}
    assert set(facts) == {"registry", "relation", "identity", "today", "form"}   # only facts, no bookkeeping
