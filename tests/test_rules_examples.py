"""Every example of every rule file, evaluated with durable-rules (one test per example).

Also holds the small helpers the other test_rules_* modules import: form fact types
and a tiny fake of the pick-list registry for the small rule files made in tests;
the shipped rule files are loaded with the types and pick-lists of the shipped flows.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from govflow.rules import FactType, load_rulebook

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "rules"

GUANGDONG_CITIES = ["440100", "440200", "440300", "440400", "440500", "440600", "440700", "440800",
                    "440900", "441200", "441300", "441400", "441500", "441600", "441700", "441800",
                    "441900", "442000", "445100", "445200", "445300"]

def _form_types() -> dict[str, FactType]:
    """`form.<field>` of every shipped flow, as the flow loader gives them to the rule files (read from
    the flows, never listed here: a new field or flow needs no change of the tests)."""
    from govflow.definitions import form_fact_types
    from govflow.definitions.loader import FlowLoader
    from govflow.picklists import load_picklists
    picklists, _ = load_picklists(ROOT / "reference")
    return form_fact_types(FlowLoader(ROOT / "flows").load_all(), picklists)[0]


FORM_TYPES = _form_types()


class FakePicklist:
    def __init__(self, values, cascade=False):
        self.options = [{"value": v, "label": v} for v in values]
        self.is_cascade = cascade

    def leaves(self):
        return self.options


class FakePicklists:
    def __init__(self, lists: dict | None = None):
        self.lists = lists if lists is not None else {"guangdong_cities": FakePicklist(GUANGDONG_CITIES),
                                                      "guardian_relationships": FakePicklist(["51", "52"])}

    def get(self, name):
        return self.lists.get(name)


def one_rule_book(tmp_path: Path, facts: str, when: str, examples: str, types: dict, picklists):
    """A rule book of `facts` (facts.yaml) and one rule X-001 refusing `when`, with `examples` (YAML)."""
    (tmp_path / "facts.yaml").write_text(facts, encoding="utf-8")
    (tmp_path / "x.yaml").write_text(
        "ruleset: x\ntitle: t\nrules:\n  - id: X-001\n    title: t\n    basis: b\n"
        f"    when: {when}\n    then: {{refuse: {{message: m}}}}\n    examples: {examples}\n", encoding="utf-8")
    return load_rulebook(tmp_path, types, picklists)


def load_real_book():
    """The shipped rule files with the form fact types and pick-lists the shipped flows give them."""
    from govflow.definitions import form_fact_types
    from govflow.definitions.loader import FlowLoader
    from govflow.picklists import load_picklists
    picklists, _ = load_picklists(ROOT / "reference")
    types, _ = form_fact_types(FlowLoader(ROOT / "flows").load_all(), picklists)
    book, problems = load_rulebook(RULES_DIR, types, picklists)
    errors = [p for p in problems if p.severity == "error"]
    if book is None or errors:
        raise AssertionError("rules/ does not load:\n" + "\n".join(map(str, problems)))
    return book, problems


_BOOK = []


def real_book():
    if not _BOOK:
        _BOOK.append(load_real_book()[0])
    return _BOOK[0]


def all_examples():
    book = real_book()
    return [pytest.param(rs, rule, ex, id=f"{Path(rule.file).name}:{rule.id}:line{ex.line}")
            for rs, rule, ex in book.examples()]


def test_rule_files_load_without_problems():
    _, problems = load_real_book()
    assert problems == []


def test_every_rule_has_positive_and_negative_example():
    book = real_book()
    for rs in book.rulesets.values():
        for rule in rs.rules:
            assert rule.basis, rule.id
            assert any(rule.id in ex.fires for ex in rule.examples), rule.id
            assert any(rule.id not in ex.fires for ex in rule.examples), rule.id


def test_every_rule_file_loads_as_its_rule_set():
    """Derived from the files, so a new rule file is no test change: each rules/*.yaml but facts.yaml
    is one rule set, named by its `ruleset:`; every file (facts.yaml too) has a version."""
    import yaml
    files = {p.stem: yaml.safe_load(p.read_text("utf-8")) for p in RULES_DIR.glob("*.yaml")}
    book = real_book()
    assert set(book.rulesets) == {doc["ruleset"] for name, doc in files.items() if name != "facts"}
    assert set(book.versions()) == set(book.rulesets) | {"facts"}
    assert all(len(v) == 12 for v in book.versions().values())


@pytest.mark.parametrize("rs,rule,example", all_examples())
def test_example(rs, rule, example):
    book = real_book()
    got = book.evaluate(rs.name, example.given).ids()
    assert sorted(got) == sorted(example.fires), f"{rule.file}:{example.line}"


def test_run_examples_reports_nothing_for_real_rules():
    assert real_book().run_examples() == []
