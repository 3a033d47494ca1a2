"""`within:` — a code of a cascading pick-list lies in a region (a constant code or another fact),
checked at load and evaluated alike by durable-rules and the plain reader."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govflow.picklists import load_picklists
from govflow.rules import FactType
from test_rules_examples import one_rule_book

ROOT = Path(__file__).resolve().parents[1]
PICKLISTS, _ = load_picklists(ROOT / "reference")
REGIONS = PICKLISTS.get("guangdong_regions")
CITIES = [o["value"] for o in PICKLISTS.get("guangdong_cities").options]
TYPES = {"form.residence_region": FactType("string", tuple(REGIONS.leaves()), "常住地区", picklist="guangdong_regions"),
         "form.issuing_city": FactType("string", tuple(CITIES), "申领城市", picklist="guangdong_cities"),
         "form.ethnicity": FactType("string", None, "民族", picklist="ethnic_groups"),
         "form.note": FactType("string")}
FACTS = "facts:\n  today: {type: date, title: 今天}\n"


def _load(tmp_path: Path, when: str, examples: str = "[{given: {}, fires: []}]"):
    return one_rule_book(tmp_path, FACTS, when, examples, TYPES, PICKLISTS)


def test_within_another_fact_and_a_constant(tmp_path):
    examples = """
      - {given: {form: {residence_region: "440106", issuing_city: "440300"}}, fires: [X-001]}
      - {given: {form: {residence_region: "440106", issuing_city: "440100"}}, fires: []}
      - {given: {form: {residence_region: "440106"}}, fires: []}
"""
    book, problems = _load(tmp_path, "{not: {fact: form.residence_region, within: {fact: form.issuing_city}}}",
                           examples)
    assert book is not None, problems
    assert book.run_examples() == []
    for rs, rule, example in book.examples():
        assert book.check_example(rs, rule, example, plain=True) is None
    (tmp_path / "c").mkdir()
    book, problems = _load(tmp_path / "c", '{fact: form.residence_region, within: "440100"}',
                           '[{given: {form: {residence_region: "440106"}}, fires: [X-001]},'
                           ' {given: {form: {residence_region: "440305"}}, fires: []}]')
    assert book is not None, problems
    assert book.run_examples() == []


@pytest.mark.parametrize("when, code, word", [
    ('{fact: form.note, within: "440100"}', "rule.operator_not_for_type", "分级选项表"),
    ('{fact: form.ethnicity, within: "440100"}', "rule.operator_not_for_type", "分级选项表"),
    ('{fact: form.residence_region, within: "999999"}', "rule.value_not_in_enum", "999999"),
    ("{fact: form.residence_region, within: {fact: form.ethnicity}}", "rule.wrong_value_type", "永远不会"),
    ("{fact: form.residence_region, within: {fact: form.nope}}", "rule.unknown_fact", "form.nope"),
])
def test_within_is_checked_at_load(tmp_path, when, code, word):
    book, problems = _load(tmp_path, when)
    assert book is None
    errors = [p for p in problems if p.severity == "error"]
    assert [(p.code, p.line) for p in errors] == [(code, 7)], errors
    assert word in errors[0].message


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    found, problems = _load(tmp_path_factory.mktemp("within"),
                            "{fact: form.residence_region, within: {fact: form.issuing_city}}")
    assert found is not None, problems
    return found


@settings(max_examples=150, deadline=None)
@given(region=st.one_of(st.none(), st.sampled_from(REGIONS.leaves())),
       city=st.one_of(st.none(), st.sampled_from(CITIES)))
def test_durable_and_plain_agree_with_the_pick_list(book, region, city):
    form = {k: v for k, v in (("residence_region", region), ("issuing_city", city)) if v is not None}
    durable = book.evaluate("x", {"form": form}).ids()
    assert durable == book.evaluate_plain("x", {"form": form}).ids()
    expected = region is not None and city is not None and city in REGIONS.ancestors(region)
    assert (durable == ["X-001"]) == expected


def test_the_hidden_fact_is_named_for_the_checker_in_policy_words(book):
    titles = [t.title for p, t in book.catalogue.types.items() if p.startswith("govflow_within.")]
    assert titles == ["常住地区在申领城市之内"]


def test_flow_conditions_cannot_use_within():
    from govflow.definitions.conditions import FlowConditionReader
    from govflow.definitions.model import Origin
    from govflow.yamlsource import Source
    reader = FlowConditionReader(Origin(Source("flows/x.yaml", {}, {}), ()), TYPES, PICKLISTS, {}, True)
    assert reader.read({"field": "residence_region", "within": "440100"}, ("when",)) is None
    assert [p.code for p in reader.problems] == ["rule.only_in_rule_files"]
