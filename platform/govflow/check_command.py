"""`make check` (`govflow check`): everything policy staff need to know before a change reaches a
citizen, in their language, in seconds.

It loads every flow, rule and reference file (cross-reference checks, static analysis, the rule
examples), then, when they load, walks every scenario of scenarios/ on them (scenarios/suite.py).
Each problem is printed as `错误：file:line：message（提示：…） [code]`; the last line is a
one-line summary. `--lang en` prints English for developers; codes are the same in both.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from .definitions import load_definitions
from .errors import Problem
from .say import say


def _line(p: Problem) -> str:
    return say("listing.line", severity=say("severity." + p.severity), problem=str(p), code=p.code)


def run_scenarios(root: Path, definitions):
    """The scenario suite, with the per-app start-up warnings (demo accounts, no virus scanner)
    kept out of the listing: they are about the throw-away apps, not the definitions."""
    from .scenarios.suite import run_suite
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        return run_suite(root, definitions, processes=os.cpu_count() or 1)
    finally:
        logging.disable(previous)


def rule_id_history(root: Path, rulebook) -> list:
    """`rule.id_reused` against every version ever published, when there is a store (DATABASE_URL,
    or var/govflow.db); without one the history is unknown and nothing is said about it."""
    if not os.environ.get("DATABASE_URL") and not (Path(root) / "var" / "govflow.db").exists():
        return []
    from . import cli  # its _open prints why a store cannot be opened
    store = cli._open(root)
    if store is None:
        return []
    from .definitions.bundle import Bundles
    from .publishing.history import RuleHistory
    try:
        return RuleHistory(store, Bundles(root, store.versions, store.publications)).problems(rulebook)
    finally:
        store.close()


def check(root: Path, scenarios: bool = True, out=print) -> int:
    started = time.perf_counter()
    definitions, problems = load_definitions(root)
    if definitions is not None:
        problems = problems + rule_id_history(root, definitions.rulebook)
    passed = 0
    if definitions is not None and scenarios and not any(p.severity == "error" for p in problems):
        from .scenarios.suite import as_problems
        result = run_scenarios(root, definitions)
        problems = problems + as_problems(result)
        passed = result.passed
    for p in problems:
        out(_line(p))
    errors = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(errors)
    more = say("summary.warnings", count=warnings) if warnings else ""
    seconds = time.perf_counter() - started
    if errors or definitions is None:
        out(say("summary.failed", errors=len(errors), warnings=more, seconds=f"{seconds:.1f}"))
        return 1
    examples = sum(len(rule.examples) for rs in definitions.rulebook.rulesets.values() for rule in rs.rules)
    walks = say("summary.scenarios", count=passed) if scenarios else say("summary.no_scenarios")
    out(say("summary.ok", flows=len(definitions.flows), rulesets=len(definitions.rulebook.rulesets),
            scenarios=walks, examples=examples, warnings=more, seconds=f"{seconds:.1f}"))
    return 0
