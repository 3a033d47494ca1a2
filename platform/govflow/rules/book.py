"""RuleBook: the loaded rulesets, evaluated by durable-rules or by the plain reader.

Engines are built lazily, one per ruleset, and kept in the RuleBook instance;
results are always reported in file order, whatever order the engine used.
"""
from __future__ import annotations

import threading

from ..bulk import paused_gc
from ..errors import Problem
from ..say import names, say
from .durable_adapter import DurableRuleset, fact_plan, guarded_fact
from .facts import Catalogue, FactView
from .model import Evaluation, Fired, RuleEvaluationError, Ruleset
from .plain import holds
from .wording import rule_label


class RuleBook:
    def __init__(self, rulesets: dict[str, Ruleset], catalogue: Catalogue):
        self.rulesets = rulesets
        self.catalogue = catalogue
        self._engines: dict[str, DurableRuleset] = {}
        self._engines_lock = threading.Lock()
        self._plans: dict[str, tuple] = {}        # rule set -> fact_plan of what it reads

    def versions(self) -> dict[str, str]:
        """Content hash of every rule file, and of facts.yaml under the key 'facts'."""
        out = {name: rs.version for name, rs in sorted(self.rulesets.items())}
        out["facts"] = self.catalogue.version
        return out

    # -- evaluation ------------------------------------------------------------------------

    def view(self, facts: dict | FactView) -> FactView:
        """The facts prepared once, for several rule sets (a FactView is returned as it is)."""
        return facts if isinstance(facts, FactView) else FactView(self.catalogue, facts)

    def evaluate(self, ruleset: str, facts: dict | FactView) -> Evaluation:
        """Evaluate with durable-rules; every rule that fired, in file order. Pass the request's
        FactView when evaluating several rule sets on the same facts."""
        rs = self.rulesets.get(ruleset)
        if rs is None:
            rs = self._ruleset(ruleset)
        view = facts if isinstance(facts, FactView) else FactView(self.catalogue, facts)
        engine = self._engines.get(rs.name) or self._engine(rs)
        plan = self._plans.get(rs.name)
        if plan is None:
            types = self.catalogue.types          # lists are read by their hidden counts, not by the engine
            plan = self._plans[rs.name] = fact_plan(
                p for p in rs.facts_read if getattr(types.get(p), "type", None) != "array")
        indexes = engine.fire_fact(guarded_fact(plan, view.get))
        if not indexes:
            return Evaluation(rs.name, rs.version, [])
        return self._result(rs, view, indexes)

    def evaluate_plain(self, ruleset: str, facts: dict | FactView) -> Evaluation:
        """The same evaluation by the plain-Python reader (reference for differential tests)."""
        rs, view = self._ruleset(ruleset), self.view(facts)
        view.engine_values(rs.facts_read)          # type-check what the rule set reads, as evaluate does
        indexes = [i for i, rule in enumerate(rs.rules) if holds(rule.when, view)]
        return self._result(rs, view, indexes)

    def _ruleset(self, name: str) -> Ruleset:
        rs = self.rulesets.get(name)
        if rs is None:
            raise RuleEvaluationError(say("rules.book.unknown_ruleset", name=name, known=names(sorted(self.rulesets))))
        return rs

    def _engine(self, rs: Ruleset) -> DurableRuleset:
        engine = self._engines.get(rs.name)
        if engine is not None:
            return engine
        with self._engines_lock:
            engine = self._engines.get(rs.name)
            if engine is None:
                engine = DurableRuleset(f"{rs.name}_{rs.version}", [r.when for r in rs.rules])
                self._engines[rs.name] = engine
            return engine

    @staticmethod
    def _result(rs: Ruleset, view: FactView, indexes) -> Evaluation:
        fired = []
        for i in sorted(set(indexes)):
            rule = rs.rules[i]
            fired.append(Fired(rule.id, rule.title, rule.basis, rule.then, view.used(rule.facts_read), rule.why))
        return Evaluation(rs.name, rs.version, fired)

    # -- examples --------------------------------------------------------------------------

    def examples(self):
        """(ruleset, rule, example) for every example of every rule, in file order."""
        for rs in self.rulesets.values():
            for rule in rs.rules:
                for example in rule.examples:
                    yield rs, rule, example

    def check_example(self, rs: Ruleset, rule, example, plain: bool = False) -> Problem | None:
        """A problem at the example's line when what fires differs from `fires`."""
        evaluate = self.evaluate_plain if plain else self.evaluate
        try:
            got = evaluate(rs.name, example.given).ids()
        except RuleEvaluationError as exc:
            return Problem("rule.example_error", rule.id, str(exc), rule.file, example.line)
        if sorted(got) == sorted(example.fires):
            return None
        none = say("rules.book.no_rule")
        return Problem("rule.example_failed", rule.id,
                       say("rules.book.example_failed", rule=rule_label(rule.id, rule.title),
                           expected=names(sorted(example.fires)) or none, got=names(got) or none),
                       rule.file, example.line, say("rules.book.example_failed.hint"))

    def run_examples(self) -> list[Problem]:
        """Every failing example (evaluated with durable-rules) as a problem with file:line."""
        out = []
        with paused_gc():                       # see bulk.py
            for rs, rule, example in self.examples():
                problem = self.check_example(rs, rule, example)
                if problem is not None:
                    out.append(problem)
        return out
