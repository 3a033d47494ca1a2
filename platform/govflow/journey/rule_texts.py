"""A flow's own words for a shared rule's message (`rule_texts:` of the flow).

One rule set serves several flows; its message speaks to the person it was written for. A flow
read by someone else (a guardian applying for his child) says the same thing to its own reader:
`rule_texts: {<rule id>: <the flow's message>}`. The rule, its id and its basis stay
the same, so the audit still names the rule that decided; only the text the citizen reads changes.
"""
from __future__ import annotations

from dataclasses import replace

OUTCOME_KINDS = ("refuse", "redirect", "restrict")


def worded(flow, evaluation):
    """The evaluation with the flow's texts in place of its rules' messages (the same object if none)."""
    texts = getattr(flow, "rule_texts", None)
    if not texts or not any(f.rule_id in texts for f in evaluation.fired):
        return evaluation
    return replace(evaluation, fired=[_reworded(f, texts[f.rule_id]) if f.rule_id in texts else f
                                      for f in evaluation.fired])


def _reworded(fired, message: str):
    outcome = {kind: ({**spec, "message": message} if kind in OUTCOME_KINDS and isinstance(spec, dict) else spec)
               for kind, spec in fired.outcome.items()}
    return replace(fired, outcome=outcome)

