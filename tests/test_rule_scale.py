"""Large rule sets load, compile once and evaluate within durable-rules' fixed limits.

No timing here (bench/bench_rule_scale.py measures): the tests count what made `make check` grow
faster than the rule set — engine builds per example, and the network shapes that made
durable-rules fail every evaluation ("error code: 303", then a rebuild per example) — and check
the faster YAML and JSON Schema paths give exactly what the slow ones gave.
"""
from __future__ import annotations

import gc
import shutil

import jsonschema
import yaml

from govflow.bulk import paused_gc
from govflow.rules import durable_network as network
from govflow.rules import load_rulebook
from govflow.rules.catalogue import json_view, load_schema
from govflow.rules.durable_adapter import DurableRuleset
from govflow.rules.model import All
from govflow.rules.model import Test as Check  # not collected by pytest
from govflow.rules.schema_refs import inline_refs
from govflow.yamlsource import _construct, _Loader, load_text
from test_rules_examples import FORM_TYPES, RULES_DIR, FakePicklists


def _rule(i: int, when: str, given: str) -> str:
    return (f"  - id: BIG-{i:03d}\n    title: 规则 {i}\n    basis: 测试\n    when: {when}\n"
            f"    then: {{restrict: {{field: pickup_method, to: [branch], message: 请选择网点领卡。}}}}\n"
            f"    examples:\n      - given: {given}\n        fires: [BIG-{i:03d}]\n")


def _book(tmp_path, rules: list[str]):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    shutil.copy(RULES_DIR / "facts.yaml", rules_dir / "facts.yaml")
    shutil.copytree(RULES_DIR.parent / "connectors", tmp_path / "connectors")     # the look-ups' facts
    (rules_dir / "big.yaml").write_text("ruleset: big\ntitle: 大规则集\nrules:\n" + "".join(rules), encoding="utf-8")
    book, problems = load_rulebook(rules_dir, FORM_TYPES, FakePicklists())
    errors = [p for p in problems if p.severity == "error"]
    assert book is not None and not errors, errors[:3]
    return book


def test_rules_sharing_an_in_list_pass_their_examples_with_one_engine_build(tmp_path):
    # 300 rules beginning with the same `in`: compiled as `$or`, durable-rules pushed one node per
    # rule for every fact from Hong Kong (stack of 64) and failed; each failure rebuilt the engine
    rules = [_rule(i, f"{{all: [{{fact: identity.residency, in: [hk, macau]}}, "
                      f"{{fact: registry.pending_applications, eq: {i}}}]}}",
                   f"{{identity: {{residency: hk}}, registry: {{pending_applications: {i}}}}}") for i in range(300)]
    book = _book(tmp_path, rules)
    assert book.run_examples() == []
    engine = book._engines["big"]
    assert engine.builds == 1                       # one compilation for 300 examples
    assert len(engine.names) == 1                   # and one durable-rules ruleset
    facts = {"identity": {"residency": "macau"}, "registry": {"pending_applications": 7}}
    assert book.evaluate("big", facts).ids() == book.evaluate_plain("big", facts).ids() == ["BIG-007"]


def test_tests_matching_the_same_fact_beyond_the_engines_stack_are_split_into_shards(tmp_path):
    # `cards >= k` for 100 values of k: a fact with 500 applications matches all 100 tests of one node
    rules = [_rule(i, f"{{fact: registry.pending_applications, gte: {i}}}",
                   f"{{registry: {{pending_applications: {i}}}}}") for i in range(100)]
    rules = [r.replace(f"fires: [BIG-{i:03d}]", "fires: [" + ", ".join(f"BIG-{j:03d}" for j in range(i + 1)) + "]")
             for i, r in enumerate(rules)]
    book = _book(tmp_path, rules)
    assert book.run_examples() == []
    engine = book._engines["big"]
    assert len(engine.names) >= 100 // network.LIMITS["stack"] + 1 and engine.builds == 1
    facts = {"registry": {"pending_applications": 500}}
    assert book.evaluate("big", facts).ids() == book.evaluate_plain("big", facts).ids() == \
        [f"BIG-{j:03d}" for j in range(100)]


def test_more_first_tests_than_a_node_holds_are_split_and_in_lists_become_patterns():
    conditions = [Check("c", "eq", i) for i in range(700)]             # 700 children of the guard node
    conditions.append(All((Check("r", "in", ("a", "b")), Check("c", "eq", 3))))
    engine = DurableRuleset("t", conditions)
    assert len(engine.names) == 2 and engine.builds == 1
    sizes = [len(d) for d in engine.definition.values()]
    assert sum(sizes) == 702                                          # the `in` rule is two patterns
    for value in (0, 3, 480, 699):
        assert engine.fire({"c": value}) == [value]
    assert engine.fire({"c": 3, "r": "b"}) == [3, 700]
    assert engine.fire({"c": 1000}) == []


def test_patterns_order_facts_with_few_different_tests_first():
    conds = [All((Check("n", "eq", i), Check("r", "eq", "x" if i % 2 else "y"))) for i in range(10)]
    engine = DurableRuleset("t", conds)
    (shard,) = engine.definition.values()
    first = [rule["all"][0]["m"]["$and"][1] for rule in shard.values()]
    assert all(list(test) == ["r"] for test in first)                 # r (2 values) before n (10)


def test_the_fast_yaml_path_gives_the_same_data_lines_and_errors():
    text = (RULES_DIR / "pickup.yaml").read_text(encoding="utf-8") + "extra: {a: 2024-01-31, b: [1, 2.5, true, null]}\n"
    source, problems = load_text(text, "x.yaml")
    assert source is not None and problems == []
    assert source.data == yaml.load(text, Loader=yaml.SafeLoader)
    lines: dict = {}
    assert _construct(yaml.compose(text, Loader=_Loader), (), lines, [], "x.yaml") == source.data
    assert source.lines == lines and source.lines[("rules", 0, "when")] == 8
    broken = "a: 1\nb: [1, 2\nc: 3\n"
    _, problems = load_text(broken, "x.yaml")
    # the slow parser's problem is at line 3; the checker names the line where the `[` was opened
    assert [p.code for p in problems] == ["yaml.syntax"] and problems[0].line == 2


def test_the_inlined_schema_reports_the_same_errors():
    schema = load_schema()
    broken = {"ruleset": "X", "rules": [
        {"id": "bad", "title": "", "when": {"all": [{"fact": "a", "eq": 1, "ne": 2}, {"any": [{"not": {"x": 1}}]}]},
         "then": {"refuse": {}, "restrict": {"to": []}}, "examples": [{"given": 1}]},
        {"id": "OK-001", "title": "t", "basis": "b", "when": {"fact": "a.b", "in": {"options": ""}},
         "then": {"redirect": {"message": "m"}}, "examples": []}]}
    def errors(s):
        return sorted((tuple(map(str, e.absolute_path)), e.validator, e.message)
                      for e in jsonschema.Draft202012Validator(s).iter_errors(json_view(broken)))
    assert errors(inline_refs(schema)) == errors(schema) != []
    assert inline_refs(schema)["$defs"].keys() == schema["$defs"].keys()


def test_paused_gc_nests_and_restores():
    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()                   # it was off before: it stays off
    finally:
        gc.enable()
