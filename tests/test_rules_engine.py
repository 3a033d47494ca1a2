"""The durable-rules adapter: order, no match, reuse, threads, errors, derived facts."""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from govflow.rules import FactType, RuleEvaluationError, load_rulebook
from govflow.rules.facts import days_between, is_anniversary, months_between, years_between
from test_rules_examples import FORM_TYPES, FakePicklists, load_real_book

FACTS_YAML = """facts:
  registry.cards_in_province: {type: integer, title: 张数}
"""


def _book(tmp_path: Path, rules_yaml: str):
    (tmp_path / "facts.yaml").write_text(FACTS_YAML, encoding="utf-8")
    (tmp_path / "order.yaml").write_text(rules_yaml, encoding="utf-8")
    book, problems = load_rulebook(tmp_path, FORM_TYPES, FakePicklists())
    assert book is not None, problems
    return book


def _rule(rule_id: str, op: str, value: int) -> str:
    return f"""  - id: {rule_id}
    title: t
    basis: b
    when: {{fact: registry.cards_in_province, {op}: {value}}}
    then: {{refuse: {{message: 不符合}}}}
    examples: [{{given: {{}}, fires: []}}]
"""


def test_fired_rules_come_in_file_order(tmp_path):
    ids = ["ZZZ-009", "AAA-001", "MMM-005", "BBB-002"]
    text = "ruleset: order\ntitle: 顺序\nrules:\n" + "".join(_rule(i, "gte", n) for n, i in enumerate(ids))
    book = _book(tmp_path, text)
    for _ in range(50):
        assert book.evaluate("order", {"registry": {"cards_in_province": 9}}).ids() == ids
    assert book.evaluate("order", {"registry": {"cards_in_province": 2}}).ids() == ids[:3]


def test_no_rule_fires_is_an_empty_result():
    book, _ = load_real_book()
    result = book.evaluate("precheck", {"identity": {"residency": "mainland"}, "registry": {"pending_applications": 0}})
    assert result.fired == [] and result.ruleset == "precheck"
    assert result.version == book.versions()["precheck"]


def test_fired_carries_outcome_and_facts_used():
    book, _ = load_real_book()
    facts = {"identity": {"id_type": "resident_id_card", "birth_date": dt.date(1980, 3, 10), "name": "张三"},
             "form": {"long_term": True, "valid_from": dt.date(2020, 1, 1)}}
    (fired,) = book.evaluate("id_card_validity", facts).fired
    assert fired.rule_id == "ID-004"
    assert fired.outcome["refuse"]["field"] == "long_term"
    assert fired.facts_used == {"identity.id_type": "resident_id_card", "form.long_term": True,
                                "id_card.age_at_issue": 39, "identity.birth_date": dt.date(1980, 3, 10),
                                "form.valid_from": dt.date(2020, 1, 1)}
    with pytest.raises(TypeError):                         # shared and read-only: the rule cannot change
        fired.outcome["refuse"]["field"] = "changed"
    assert book.evaluate("id_card_validity", facts).fired[0].outcome["refuse"]["field"] == "long_term"


def test_engine_is_reused_across_many_evaluations():
    book, _ = load_real_book()
    book.evaluate("eligibility", {})
    engine = book._engines["eligibility"]
    for i in range(2000):
        cards = i % 4
        got = book.evaluate("eligibility", {"registry": {"cards": [{"status": "正常"}] * cards},
                                            "form": {"issuing_city": "440100" if i % 3 else "110100"}}).ids()
        want = (["ELIG-001"] if cards > 1 else []) + ([] if i % 3 else ["ELIG-002"])
        assert got == want
    assert book._engines["eligibility"] is engine


def test_threads_agree_with_plain_reader():
    book, _ = load_real_book()
    residencies = ["mainland", "hk", "macau", "taiwan", "foreign", "overseas_chinese"]
    failures: list = []

    def work(seed: int) -> None:
        for i in range(200):
            facts = {"identity": {"residency": residencies[(seed + i) % 6]},
                     "registry": {"pending_applications": (seed * i) % 3}}
            name = ("precheck", "documents", "pickup")[i % 3]
            if book.evaluate(name, facts).ids() != book.evaluate_plain(name, facts).ids():
                failures.append((seed, i, facts))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_two_rulebooks_from_the_same_files_coexist():
    first, _ = load_real_book()
    second, _ = load_real_book()
    facts = {"registry": {"cards": [{"status": "正常"}, {"status": "临时挂失"}]}}
    assert first.evaluate("eligibility", facts).ids() == second.evaluate("eligibility", facts).ids() == ["ELIG-001"]
    assert first._engines["eligibility"].name != second._engines["eligibility"].name


def test_engine_error_rebuilds_and_raises(monkeypatch):
    book, _ = load_real_book()
    book.evaluate("pickup", {})
    engine = book._engines["pickup"]
    old_name = engine.name

    def boom(*args, **kwargs):
        raise RuntimeError("simulated engine failure")

    monkeypatch.setattr(engine._host, "assert_fact", boom)
    with pytest.raises(RuleEvaluationError, match="引擎已重建"):
        book.evaluate("pickup", {"identity": {"residency": "hk"}})
    assert engine.name != old_name
    assert book.evaluate("pickup", {"identity": {"residency": "hk"}}).ids() == ["PICK-001"]


def test_wrong_fact_type_and_unknown_ruleset_raise():
    book, _ = load_real_book()
    with pytest.raises(RuleEvaluationError, match="registry.cards"):
        book.evaluate("eligibility", {"registry": {"cards": "2"}})
    with pytest.raises(RuleEvaluationError, match="没有名为“nope”的规则集"):
        book.evaluate("nope", {})


def test_iso_date_strings_and_none_are_accepted():
    book, _ = load_real_book()
    facts = {"today": "2026-11-27", "form": {"valid_from": "2026-12-01", "valid_to": None}}
    assert book.evaluate("id_validity", facts).ids() == ["ID-003"]


def test_derived_functions():
    assert years_between(dt.date(1980, 3, 10), dt.date(2026, 3, 9)) == 45
    assert years_between(dt.date(1980, 3, 10), dt.date(2026, 3, 10)) == 46
    assert years_between(dt.date(2000, 2, 29), dt.date(2016, 2, 28)) == 15
    assert years_between(dt.date(2000, 2, 29), dt.date(2016, 3, 1)) == 16
    assert months_between(dt.date(1990, 6, 15), dt.date(2016, 8, 1)) == 313
    assert days_between(dt.date(2024, 2, 28), dt.date(2024, 3, 1)) == 2
    assert is_anniversary(dt.date(2016, 5, 1), dt.date(2026, 5, 1))
    assert not is_anniversary(dt.date(2016, 5, 1), dt.date(2026, 4, 30))
    assert is_anniversary(dt.date(2016, 2, 29), dt.date(2026, 2, 28))


def test_rule_file_reload_gives_new_version(tmp_path):
    text = "ruleset: order\ntitle: 版本\nrules:\n" + _rule("ORD-001", "gt", 1)
    first = _book(tmp_path, text).versions()["order"]
    second = _book(tmp_path, text.replace("gt: 1", "gt: 2")).versions()["order"]
    assert first != second and len(first) == 12


def test_flow_conditions_compile_to_the_rule_tree_with_rule_semantics():
    from govflow.definitions.conditions import FlowConditionReader
    from govflow.definitions.model import Origin
    from govflow.rules import FactView, holds
    from govflow.rules.facts import Catalogue
    from govflow.yamlsource import Source
    types = {"form.pickup_method": FactType("string", ("mail", "branch")), "form.absent": FactType("string"),
             "form.valid_from": FactType("date"), "form.valid_to": FactType("date")}
    catalogue = Catalogue(types=types, derived=[])
    facts = FactView(catalogue, {"form": {"pickup_method": "mail", "valid_from": "2020-01-01",
                                          "valid_to": dt.date(2030, 1, 1)}})
    reader = FlowConditionReader(Origin(Source("flows/x.yaml", {}, {}), ()), types, None,
                                 {"pickup_method": None}, known_facts=True)

    def holds_for(cond):
        compiled = reader.read(cond, ())
        assert compiled is not None, reader.problems
        return holds(compiled, facts)
    assert holds_for({"field": "pickup_method", "eq": "mail"})
    assert not holds_for({"not": {"field": "pickup_method", "eq": "mail"}})
    assert not holds_for({"not": {"field": "absent", "eq": "mail"}})          # absent: never true
    assert holds_for({"not": {"field": "absent", "exists": True}})
    assert holds_for({"field": "valid_from", "lt": {"field": "valid_to"}})
    assert holds_for({"any": [{"field": "pickup_method", "in": ["branch"]},
                              {"fact": "form.valid_to", "gte": dt.date(2030, 1, 1)}]})
    assert reader.read({"field": "pickup_method", "like": "m"}, ()) is None
    assert reader.read({"field": "pickup_metod", "eq": "mail"}, ()) is None
    assert [p.code for p in reader.problems] == ["rule.unknown_operator", "flow.unknown_field"]
