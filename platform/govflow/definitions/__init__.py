"""Load and check everything a procedure is made of: pick-lists, flow files, rule files and the
connectors to the outside systems.

`load_definitions(root)` is what the server, `make check` and the tests call. It returns
every problem at once (file, line, code, hint); errors mean the definitions must not be served.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import formats
from ..connectors.checks import check_connectors
from ..connectors.loader import load_connectors
from ..connectors.model import Catalog
from ..errors import Problem
from ..picklists import load_picklists
from ..rules import FactType, load_rulebook
from ..rules.conditions import a_type
from ..say import say
from .analysis import analyse
from .checks import check_flows, check_rule_texts
from .conditions import compile_conditions, page_reads
from .loader import FlowLoader
from .model import FlowDef
from .record_checks import check_record_fields
from .renames import misnamed

FACT_TYPE_OF_FIELD = {"date": "date", "upload": "string", "boolean": "boolean", "integer": "integer"}


@dataclass
class Definitions:
    flows: dict[str, FlowDef]
    picklists: Any
    rulebook: Any          # a RuleBook
    warnings: list[Problem]
    connectors: Catalog = field(default_factory=Catalog)   # connectors/*.yaml


def form_fact_types(flows: dict[str, FlowDef], picklists) -> tuple[dict[str, FactType], list[Problem]]:
    """`form.<field>` fact types for the rule files, from every flow's fields."""
    types: dict[str, FactType] = {}
    owner: dict[str, Any] = {}
    problems = []
    for flow in flows.values():
        for page in flow.pages.values():
            for f in page.fields.values():
                if f.readonly:
                    continue
                enum, picklist = None, None
                if isinstance(f.options, list):
                    enum = tuple(o["value"] for o in f.options)
                elif isinstance(f.options, str) and picklists.get(f.options) is not None:
                    pl = picklists.get(f.options)
                    enum = tuple(pl.leaves() if pl.is_cascade else (o["value"] for o in pl.options))
                    picklist = f.options
                ft = FactType(type=FACT_TYPE_OF_FIELD.get(f.type, "string"), enum=enum, title=f.title,
                              picklist=picklist)
                key = f"form.{f.name}"
                if key in types and types[key].type != ft.type:
                    problems.append(f.origin.problem("flow.field_type_conflict",
                                                     say("flow.field_type_conflict", field=f.name,
                                                         type=a_type(ft.type), other=a_type(types[key].type),
                                                         file=owner[key].file),
                                                     say("flow.field_type_conflict.hint")))
                    continue
                types.setdefault(key, ft)
                owner.setdefault(key, f.origin)
    return types, problems


def load_definitions(root: Path) -> tuple[Definitions | None, list[Problem]]:
    """Every problem of the definitions under `root`, each once (a shared fragment is loaded for
    every flow including it); the definitions when there is no error."""
    definitions, problems = _load_definitions(Path(root))
    return definitions, list(dict.fromkeys(problems))


def _load_definitions(root: Path) -> tuple[Definitions | None, list[Problem]]:
    problems: list[Problem] = []
    picklists, found = load_picklists(root / "reference")
    problems += found
    loader = FlowLoader(root / "flows", *misnamed(root))
    flows = loader.load_all()
    problems += loader.problems
    types, found = form_fact_types(flows, picklists)
    problems += found
    connectors, found = load_connectors(root)
    problems += found
    if any(p.severity == "error" for p in problems):
        # One root cause, one message: rule files are checked against the flows once those load
        # (a flow that did not load would make every rule reading its fields look wrong).
        return None, problems
    rulebook, found = load_rulebook(root / "rules", types, picklists, connectors.fact_types())
    problems += found
    problems += check_flows(flows, set(picklists.names()), set(formats.CHECKS),
                            set(rulebook.rulesets) if rulebook else None)
    problems += compile_conditions(flows, rulebook.catalogue.types if rulebook else types, picklists,
                                   known_facts=rulebook is not None)
    if rulebook is not None:                     # identity.* and derived facts are the rule catalogue's
        problems += check_rule_texts(flows, rulebook)
        problems += check_connectors(flows, connectors, rulebook.catalogue.types)
        problems += check_record_fields(flows, rulebook.catalogue.types)
    for flow in flows.values():
        for page in flow.pages.values():
            page.reads = page_reads(flow, page, rulebook)
    if rulebook is not None:
        # The analysis reasons over pages and rules whose names all resolve: with a broken
        # reference (a misspelt start page) it would report the consequences of that one mistake.
        sound = not any(p.severity == "error" for p in problems)
        problems += rulebook.run_examples()
        if sound:
            problems += analyse(flows, rulebook)
    errors = [p for p in problems if p.severity == "error"]
    if errors or rulebook is None:
        return None, problems
    return Definitions(flows, picklists, rulebook, problems, connectors), problems
