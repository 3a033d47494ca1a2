"""Load and check everything a procedure is made of: pick-lists, flow files and rule files.

`load_definitions(root)` is what the server, `make check` and the tests call. It returns
every problem at once (file, line, code, hint); errors mean the definitions must not be served.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import formats
from ..errors import Problem
from ..picklists import load_picklists
from ..journey.conditions import expand
from ..rules import FactType, load_rulebook
from ..rules.conditions import ConditionReader, did_you_mean
from .analysis import analyse
from .checks import KNOWN_FACT_PREFIXES, check_flows, condition_facts
from .loader import FlowLoader
from .model import FlowDef

FACT_TYPE_OF_FIELD = {"date": "date", "upload": "string", "boolean": "boolean", "integer": "integer"}


@dataclass
class Definitions:
    flows: dict[str, FlowDef]
    picklists: object
    rulebook: object
    warnings: list[Problem]


def form_fact_types(flows: dict[str, FlowDef], picklists) -> tuple[dict[str, FactType], list[Problem]]:
    """`form.<field>` fact types for the rule files, from every flow's fields."""
    types: dict[str, FactType] = {}
    owner: dict[str, object] = {}
    problems = []
    for flow in flows.values():
        for page in flow.pages.values():
            for f in page.fields.values():
                if f.readonly:
                    continue
                enum = None
                if isinstance(f.options, list):
                    enum = tuple(o["value"] for o in f.options)
                elif isinstance(f.options, str) and picklists.get(f.options) is not None:
                    pl = picklists.get(f.options)
                    enum = tuple(pl.leaves() if pl.is_cascade else (o["value"] for o in pl.options))
                ft = FactType(type=FACT_TYPE_OF_FIELD.get(f.type, "string"), enum=enum, title=f.title)
                key = f"form.{f.name}"
                if key in types and types[key].type != ft.type:
                    problems.append(f.origin.problem("flow.field_type_conflict",
                                                     f"field '{f.name}' is a {ft.type} here but a "
                                                     f"{types[key].type} in {owner[key].file}",
                                                     "use the same type for a field name in every flow"))
                    continue
                types.setdefault(key, ft)
                owner.setdefault(key, f.origin)
    return types, problems


def _conditions(flow: FlowDef):
    """Every `when:` in a flow with the origin to report it at."""
    for page in flow.pages.values():
        for f in page.fields.values():
            if f.when:
                yield f.when, f.origin, ("when",)
        for section in page.review:
            if section.when:
                yield section.when, section.origin, ("when",)
        for action in page.actions:
            for key, target in (("next", action.next), ("navigate", action.navigate)):
                for i, (cond, _) in enumerate(target.branches if target else []):
                    if cond:
                        yield cond, action.origin, (key, i, "when")


def check_flow_conditions(flows: dict[str, FlowDef], rulebook, picklists) -> list[Problem]:
    """Type-check flow conditions with the rule files' reader: values must fit the field (enum, type).
    Unknown names are already reported by the cross-reference checks."""
    problems, unknown = [], []
    for flow in flows.values():
        for cond, origin, sub in _conditions(flow):
            reader = ConditionReader(origin.source, rulebook.catalogue.types, picklists)
            reader.read(expand(cond), origin.path + sub)
            problems += [p for p in reader.problems if p.code != "rule.unknown_fact"]
            for fact in condition_facts(expand(cond)):   # form fields and bad prefixes: checks.py
                if (fact.startswith(KNOWN_FACT_PREFIXES) and not fact.startswith("form.")
                        and fact not in rulebook.catalogue.types):
                    facts = [t for t in rulebook.catalogue.types if not t.startswith("form.")]
                    unknown.append(origin.problem("flow.unknown_fact", f"condition reads unknown fact '{fact}'",
                                                   did_you_mean(fact, facts) or "see rules/facts.yaml", sub))
    return [Problem(p.code.replace("rule.", "flow.condition."), p.path, p.message, p.file, p.line, p.hint)
            for p in problems] + unknown


def load_definitions(root: Path) -> tuple[Definitions | None, list[Problem]]:
    root = Path(root)
    problems: list[Problem] = []
    picklists, found = load_picklists(root / "reference")
    problems += found
    loader = FlowLoader(root / "flows")
    flows = loader.load_all()
    problems += loader.problems
    types, found = form_fact_types(flows, picklists)
    problems += found
    if any(p.severity == "error" for p in problems):
        return None, problems        # rule files are checked against the flows once those load
    rulebook, found = load_rulebook(root / "rules", types, picklists)
    problems += found
    problems += check_flows(flows, set(picklists.names()), set(formats.CHECKS),
                            set(rulebook.rulesets) if rulebook else None)
    if rulebook is not None:
        problems += check_flow_conditions(flows, rulebook, picklists)
        problems += rulebook.run_examples()
        problems += analyse(flows, rulebook)
    errors = [p for p in problems if p.severity == "error"]
    if errors or rulebook is None:
        return None, problems
    return Definitions(flows, picklists, rulebook, problems), problems
