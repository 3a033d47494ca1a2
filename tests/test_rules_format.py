"""docs/rule-format.md and the JSON Schema of rule files must describe the same keys."""
from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import yaml

from govflow.rules import FUNCTIONS
from govflow.rules.catalogue import json_view, load_schema
from govflow.rules.conditions import OPERATORS
from govflow.rules.list_conditions import LIST_TESTS
from govflow.rules.list_derived import LIST_FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rule-format.md"


def documented_keys() -> set[str]:
    return set(re.findall(r"^###\s+`([a-z_]+)`", DOC.read_text(encoding="utf-8"), flags=re.M))


def schema_keys(node, out: set) -> set:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out.update(value)
            schema_keys(value, out)
    elif isinstance(node, list):
        for item in node:
            schema_keys(item, out)
    return out


def test_every_documented_key_is_in_the_schema_and_back():
    documented = documented_keys()
    in_schema = schema_keys(load_schema(), set())
    assert documented - in_schema == set(), "documented but not in the schema"
    assert in_schema - documented == set(), "in the schema but not documented"


def test_operators_and_functions_match_the_code():
    schema = load_schema()["$defs"]
    assert set(schema["test"]["properties"]) - {"fact"} == set(OPERATORS)
    assert set(schema["derived_fact"]["properties"]) - {"title"} == set(FUNCTIONS) | set(LIST_FUNCTIONS)
    assert set(schema["list_test"]["properties"]) - {"fact"} == set(LIST_TESTS) - {"exists"}


def test_shipped_rule_files_are_valid_under_the_schema():
    schema = load_schema()
    facts_schema = dict(schema["$defs"]["facts_file"], **{"$defs": schema["$defs"]})
    files = sorted((ROOT / "rules").glob("*.yaml"))
    assert len(files) >= 6
    for path in files:
        data = json_view(yaml.safe_load(path.read_text(encoding="utf-8")))
        errors = list(jsonschema.Draft202012Validator(facts_schema if path.name == "facts.yaml" else schema)
                      .iter_errors(data))
        assert errors == [], (path.name, [e.message for e in errors])


def test_schema_rejects_a_test_with_two_operators():
    schema = load_schema()
    rule = {"ruleset": "x", "title": "t", "rules": [{
        "id": "X-001", "title": "t", "basis": "b", "then": {"refuse": {"message": "m"}},
        "when": {"fact": "registry.cards_in_province", "gt": 1, "lt": 3},
        "examples": [{"given": {}, "fires": []}]}]}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(rule))
    rule["rules"][0]["when"] = {"fact": "registry.cards_in_province", "gt": 1}
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(rule))


def doc_examples() -> list:
    """The YAML examples of the doc, parsed (an example shortened with a `...` line is left out)."""
    blocks = re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)
    return [json_view(yaml.safe_load(b)) for b in blocks if not re.search(r"^\s*\.\.\.\s*$", b, flags=re.M)]


def valid(data, pointer: str) -> list[str]:
    schema = load_schema()
    node = dict(schema["$defs"][pointer], **{"$defs": schema["$defs"]}) if pointer else schema
    return [e.message for e in jsonschema.Draft202012Validator(node).iter_errors(data)]


def test_the_examples_of_the_doc_are_valid_under_the_schema():
    examples = doc_examples()
    assert valid(examples[0], "") == [], "the complete rule file at the top of the doc"
    facts = [e for e in examples if isinstance(e, dict) and "derived" in e and "facts" in e]
    assert len(facts) == 1 and valid(facts[0], "facts_file") == [], "the rules/facts.yaml example"
    conditions = [e["when"] for e in examples if isinstance(e, dict) and set(e) == {"when"}]
    outcomes = [e["then"] for e in examples if isinstance(e, dict) and set(e) == {"then"}]
    assert len(conditions) >= 15 and len(outcomes) >= 4
    for condition in conditions:
        assert valid(condition, "condition") == [], condition
    for outcome in outcomes:
        assert valid(outcome, "outcome") == [], outcome
