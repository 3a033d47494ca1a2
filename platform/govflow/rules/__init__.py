"""Rule files (rules/*.yaml) compiled to durable-rules and read in plain Python.

See docs/rule-format.md for the format and docs/internals.md for fact names.
"""
from .book import RuleBook
from .facts import FUNCTIONS, FactView
from .loader import load_rulebook
from .model import Evaluation, Example, FactType, Fired, Rule, RuleEvaluationError, Ruleset
from .plain import holds

__all__ = ["FactType", "load_rulebook", "RuleBook", "Ruleset", "Rule", "Example", "Evaluation",
           "Fired", "RuleEvaluationError", "FUNCTIONS", "FactView", "holds"]
