"""Flow `when:` conditions compiled once, at load, into the rule files' typed condition tree.

Flows may write `{field: x, ...}` for `{fact: form.x, ...}`; everything else is the rule files'
condition language (staff learn one language), read by the same ConditionReader, so a value
that does not fit the field (enum, type) is refused with file:line like in a rule file. The
compiled tree is stored on the loaded definitions (`FieldDef.condition`, `ReviewSection.condition`,
`Branch.condition`, `PageDef.content_conditions`) and evaluated by `rules.plain.holds` on the
request's FactView; `rules.model.facts_read` says which facts each one reads.
"""
from __future__ import annotations

import difflib
from typing import Any, Iterator

from ..errors import Problem
from ..rules.conditions import ConditionReader, did_you_mean
from ..rules.model import Condition, FactType
from ..say import names, say
from .model import FlowDef, Origin, PageDef


def _hint(name: str, choices) -> str | None:
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=1)
    if close:
        return say("hint.did_you_mean", name=close[0])
    return say("hint.known_names", names=names(sorted(choices)[:12])) if choices else None


class FlowConditionReader(ConditionReader):
    """The rule files' reader with the `field:` shorthand and flow error codes.

    `known_facts`: whether facts other than form fields can be checked (False when the rule
    files did not load: their catalogue is missing, so only form fields are reported)."""

    def __init__(self, origin: Origin, types: dict[str, FactType], picklists, fields, known_facts: bool):
        super().__init__(origin.source, types, picklists)
        self.fields = fields
        self.known_facts = known_facts

    def read(self, node: Any, path: tuple) -> Condition | None:
        if isinstance(node, dict) and "field" in node and "fact" not in node:
            node = {("fact" if k == "field" else k): (f"form.{v}" if k == "field" else v) for k, v in node.items()}
        return super().read(node, path)

    def _fact_ref(self, value: dict, ftype: FactType, path: tuple):
        if isinstance(value, dict) and set(value) == {"field"}:
            value = {"fact": f"form.{value['field']}"}
        return super()._fact_ref(value, ftype, path)

    def _fact_type(self, fact: Any, path: tuple) -> FactType | None:
        if isinstance(fact, str) and fact in self.types:
            return self.types[fact]
        if isinstance(fact, str) and fact.startswith("form."):
            name = fact[5:]
            self.problem(path, "flow.unknown_field", say("flow.condition_unknown_field", field=name),
                         _hint(name, self.fields))
        elif self.known_facts:
            facts = [t for t in self.types if not t.startswith("form.")]
            self.problem(path, "flow.unknown_fact", say("flow.condition_unknown_fact", fact=fact),
                         did_you_mean(fact, facts) or say("flow.condition_unknown_fact.hint"))
        return None


def _sites(flow: FlowDef) -> Iterator[tuple[dict, Origin, tuple, Any]]:
    """Every `when:` of a flow: (condition, origin, sub-path, setter of the compiled tree)."""
    for page in flow.pages.values():
        yield from _page_sites(page)


def _page_sites(page: PageDef) -> Iterator[tuple[dict, Origin, tuple, Any]]:
    for f in page.fields.values():
        if f.when:
            yield f.when, f.origin, ("when",), lambda c, f=f: setattr(f, "condition", c)
    for section in page.review:
        if section.when:
            yield section.when, section.origin, ("when",), lambda c, s=section: setattr(s, "condition", c)
    page.content_conditions = [None] * len(page.content)
    for i, block in enumerate(page.content):
        if block.get("when"):
            def put(c, page=page, i=i):
                page.content_conditions[i] = c
            yield block["when"], page.origin, ("content", i, "when"), put
    for action in page.actions:
        for key, target in (("next", action.next), ("navigate", action.navigate)):
            for i, branch in enumerate(target.branches if target else []):
                if branch.when:
                    yield (branch.when, action.origin, (key, i, "when"),
                           lambda c, b=branch: setattr(b, "condition", c))


def compile_conditions(flows: dict[str, FlowDef], types: dict[str, FactType], picklists,
                       known_facts: bool = True) -> list[Problem]:
    """Compile every flow condition in place; the problems of those that do not compile."""
    problems: list[Problem] = []
    for flow in flows.values():
        fields = flow.input_fields()
        for cond, origin, sub, put in _sites(flow):
            reader = FlowConditionReader(origin, types, picklists, fields, known_facts)
            put(reader.read(cond, origin.path + sub))
            for p in reader.problems:
                code = p.code if p.code.startswith("flow.") else p.code.replace("rule.", "flow.condition.")
                problems.append(Problem(code, p.path, p.message, p.file, p.line, p.hint))
    return problems


def page_reads(flow: FlowDef, page: PageDef, rulebook) -> frozenset[str]:
    """The facts whose change can change whether `page`, with its answers, still passes: its own
    fields, what their conditions read, what its `checks:` rule sets read, and the phone an SMS
    code was sent to. The journey re-checks a completed page only when one of these changed."""
    reads = {f"form.{f.name}" for f in page.input_fields()}
    for f in page.input_fields():
        reads.update(f.reads)
        reads.update(f.verify_reads)      # e.g. the phone a code was sent to, the person applied for
    for name in page.checks:
        rs = rulebook.rulesets.get(name) if rulebook is not None else None
        if rs is not None:
            reads.update(rs.facts_read)
    return frozenset(reads)
