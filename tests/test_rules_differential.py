"""durable-rules and the plain-Python reader must agree: on every example and on
generated facts (seeded), including absent facts and values at the boundaries."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from pathlib import Path

import pytest

from govflow.rules.durable_adapter import nested
from govflow.rules.model import All, Any_, FactRef
from test_rules_examples import real_book

RULES = Path(__file__).resolve().parents[1] / "rules"
ANCHOR = dt.date(2016, 5, 1)
SAMPLES = 500


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:                      # 29 Feb
        return day.replace(year=day.year + years, day=28)


def constants(cond, out: dict) -> dict:
    """path -> constants the rules compare it with (engine values), for boundary values."""
    if isinstance(cond, (All, Any_)):
        for item in cond.items:
            constants(item, out)
        return out
    if cond.op != "exists" and not isinstance(cond.value, FactRef):
        values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        out.setdefault(cond.path, set()).update(values)
    return out


def generate(rng: random.Random, book, ruleset) -> dict:
    derived = {d.path for d in book.catalogue.derived}
    consts: dict = {}
    for rule in ruleset.rules:
        constants(rule.when, consts)
    flat: dict = {}
    dates = [ANCHOR]                                    # dates are drawn relative to each other
    for path in sorted({p for r in ruleset.rules for p in r.facts_read} - derived):
        if rng.random() < 0.15:
            continue                                   # absent
        ftype = book.catalogue.types[path]
        flat[path] = _value(rng, ftype, sorted(consts.get(path, ()), key=repr), dates)
    return nested(flat)


def _value(rng, ftype, consts, dates):
    if ftype.type == "array":                           # a list of records (or of values): 0 to 3 of them
        items = ftype.items
        if items is not None and items.type == "object":
            return [{name: _value(rng, t, sorted(t.enum or (), key=repr), dates) for name, t in items.fields
                     if rng.random() < 0.9} for _ in range(rng.randint(0, 3))]
        return [_value(rng, items, [], dates) for _ in range(rng.randint(0, 3))] if items is not None else []
    if ftype.type == "boolean":
        return rng.random() < 0.5
    if ftype.type == "date":
        day = _add_years(rng.choice(dates), rng.choice([-46, -26, -25, -16, -15, -5, 0, 5, 10, 20]))
        day += dt.timedelta(days=rng.choice([-400, -100, -31, -1, 0, 0, 0, 0, 0, 0, 1, 31, 100]))
        dates.append(day)
        return day
    if ftype.type in ("integer", "number"):
        base = rng.choice(consts) if consts and rng.random() < 0.8 else rng.randint(-3, 50)
        return base + rng.choice([-1, 0, 0, 1])
    if consts and rng.random() < 0.6:
        return rng.choice(consts)
    pool = list(ftype.enum or ())
    if not pool or rng.random() < 0.1:
        return rng.choice(["", "other", "110100", "x"])
    return rng.choice(pool)


@pytest.mark.parametrize("name", sorted(p.stem for p in RULES.glob("*.yaml") if p.name != "facts.yaml"))
def test_generated_facts_agree(name):
    book = real_book()
    ruleset = book.rulesets[name]
    rng = random.Random(f"govflow-{name}")
    fired, silent = Counter(), Counter()
    # a fifth of the samples are the rule set's own examples: facts random values rarely make (a valid
    # ID number whose birth date makes a minor) still reach every rule
    seeds = [example.given for rs, _, example in book.examples() if rs.name == name]
    for i in range(SAMPLES):
        facts = seeds[(i // 5) % len(seeds)] if seeds and i % 5 == 0 else generate(rng, book, ruleset)
        durable = book.evaluate(name, facts).ids()
        plain = book.evaluate_plain(name, facts).ids()
        assert durable == plain, facts
        for rule in ruleset.rules:
            (fired if rule.id in durable else silent)[rule.id] += 1
    # the generator must exercise every rule both ways, or agreement proves little
    for rule in ruleset.rules:
        assert fired[rule.id] > 0 and silent[rule.id] > 0, (rule.id, fired, silent)


def test_examples_agree():
    book = real_book()
    for rs, rule, example in book.examples():
        assert book.evaluate(rs.name, example.given).ids() == book.evaluate_plain(rs.name, example.given).ids()
        assert book.check_example(rs, rule, example, plain=True) is None


def test_absent_facts_fire_nothing_but_exists_false():
    book = real_book()
    for name in book.rulesets:
        assert book.evaluate(name, {}).ids() == book.evaluate_plain(name, {}).ids() == []
