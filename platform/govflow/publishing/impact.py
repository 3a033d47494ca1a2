"""What a draft would change in past decisions, before it is published.

The rule sets a draft changes are replayed on the inputs recorded for the last LIMIT real
evaluations of them (store rule_inputs: the facts each rule set read, sealed at rest), once with
the live rules and once with the draft's, on the same inputs and the same day they were made.
The result is per rule: how often it fired with the live rules and how often it would fire with
the draft's ("ABC-004: 46 → 45"), and a few of the evaluations that would change, with their facts
masked as on the decision trail. Evaluations whose inputs no longer fit the draft's fact types
are counted apart, never guessed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..journey.audit import mask_facts
from ..rules import FactView
from ..rules.durable_adapter import nested
from ..rules.model import RuleEvaluationError

LIMIT = 500
EXAMPLES = 5


@dataclass
class RuleImpact:
    rule_id: str
    title: str
    before: int = 0                     # fired with the live rules
    after: int = 0                      # would fire with the draft's
    examples: list[dict] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class Impact:
    rulesets: list[str]                 # the changed rule sets that were replayed
    replayed: int = 0
    changed: int = 0                    # evaluations whose fired rules differ
    unreadable: int = 0
    rules: list[RuleImpact] = field(default_factory=list)


def changed_rulesets(live_book, draft_book) -> list[str]:
    """Rule sets the draft adds or changes (by content version), and those whose facts changed."""
    facts_changed = live_book.catalogue.version != draft_book.catalogue.version
    return sorted(name for name, rs in draft_book.rulesets.items()
                  if facts_changed or name not in live_book.rulesets or live_book.rulesets[name].version != rs.version)


def _fired(book, name: str, inputs: dict) -> list[str] | None:
    if name not in book.rulesets:
        return []
    try:
        return book.evaluate(name, FactView(book.catalogue, nested(inputs))).ids()
    except RuleEvaluationError:
        return None


def impact(store, live_book, draft_book, limit: int = LIMIT) -> Impact:
    names = changed_rulesets(live_book, draft_book)
    result = Impact(names)
    if not names:
        return result
    titles = {r.id: r.title for book in (live_book, draft_book) for rs in book.rulesets.values() for r in rs.rules}
    before: Counter = Counter()
    after: Counter = Counter()
    examples: dict[str, list[dict]] = {}
    for entry in store.rule_inputs.recent(names, limit):
        old, new = _fired(live_book, entry.ruleset, entry.inputs), _fired(draft_book, entry.ruleset, entry.inputs)
        if old is None or new is None:
            result.unreadable += 1
            continue
        result.replayed += 1
        before.update(old)
        after.update(new)
        if set(old) != set(new):
            result.changed += 1
            for rule_id in set(old) ^ set(new):
                shown = examples.setdefault(rule_id, [])
                if len(shown) < EXAMPLES:
                    shown.append({"application": entry.application_id[:8], "at": entry.at, "step": entry.step,
                                  "before": sorted(old), "after": sorted(new), "facts": mask_facts(entry.inputs)})
    for rule_id in sorted(set(before) | set(after) | set(examples)):
        result.rules.append(RuleImpact(rule_id, titles.get(rule_id, ""), before[rule_id], after[rule_id],
                                       examples.get(rule_id, [])))
    return result
