"""Ages in months written in policy's units: `{years: 46, months: 3}` on a months_between fact."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from test_rules_examples import FORM_TYPES, FakePicklists, load_real_book, one_rule_book

FACTS = """facts:
  identity.birth_date: {type: date, title: 出生日期}
  registry.pending_applications: {type: integer, title: 在途数}
derived:
  age_months: {title: 签发时年龄（足月数）, months_between: [identity.birth_date, form.valid_from]}
"""


EXAMPLES = """
      - given: {identity: {birth_date: 1980-01-10}, form: {valid_from: 2026-04-10}}
        fires: [X-001]
      - given: {identity: {birth_date: 1980-01-10}, form: {valid_from: 2026-04-09}}
        fires: []"""


def _load(tmp_path: Path, when: str):
    return one_rule_book(tmp_path, FACTS, when, EXAMPLES, FORM_TYPES, FakePicklists())


def test_years_and_months_are_months(tmp_path):
    book, problems = _load(tmp_path, "{fact: age_months, gte: {years: 46, months: 3}}")
    assert book is not None, problems
    assert book.run_examples() == []
    assert book.rulesets["x"].rules[0].when.value == 555


@pytest.mark.parametrize("when, word", [
    ("{fact: age_months, gte: {years: 46, months: 12}}", "0 到 11"),
    ("{fact: age_months, gte: {years: -1}}", "0 到 11"),
    ("{fact: age_months, gte: {years: 4.5}}", "整数"),
    ("{fact: registry.pending_applications, gte: {years: 1}}", "months_between"),
])
def test_impossible_ages_and_other_facts_are_refused_at_their_line(tmp_path, when, word):
    book, problems = _load(tmp_path, when)
    assert book is None
    (problem,) = [p for p in problems if p.severity == "error" and p.code != "rule.schema"]
    assert problem.code == "rule.wrong_value_type" and problem.line == 7
    assert word in problem.message + (problem.hint or "")


def test_the_shipped_id_card_rules_are_written_in_years_and_months():
    text = (Path(__file__).resolve().parent.parent / "rules" / "id_card_validity.yaml").read_text("utf-8")
    assert "{years: 46, months: 3}" in text and "555" not in text
    book, _ = load_real_book()
    facts = {"identity": {"id_type": "resident_id_card", "birth_date": dt.date(1980, 1, 10)},
             "form": {"long_term": False, "valid_from": dt.date(2026, 4, 10), "valid_to": dt.date(2046, 4, 10)}}
    assert "ID-006" in book.evaluate("id_card_validity", facts).ids()
    facts["form"]["valid_from"] = dt.date(2026, 4, 9)
    assert "ID-006" not in book.evaluate("id_card_validity", facts).ids()
