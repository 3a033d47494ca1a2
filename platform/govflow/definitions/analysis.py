"""Static analysis over flows and rules together (run by `load_definitions`, i.e. `make check`).

The cross-reference checks (checks.py) make sure every name exists; the analysis here looks at
what the definitions *mean* together:

- wiring.py: rules and flow conditions reading fields not collected yet, restrictions no page
  applies, redirects the journey cannot follow, declared facts that nothing supplies
  (`flow.rule_reads_later_field`, `flow.condition_reads_later_field`, `flow.restriction_not_applied`,
  `flow.redirect_unfollowable`, `rule.fact_not_supplied`).
- `rule.contradiction`: two rules of one rule set with the same (normalised) condition and
  outcomes that cannot both apply (refuse vs restrict, restrict one field to different lists,
  redirect to different places).
- `rule.restriction_gap`, `rule.option_never_allowed`: the restriction analysis of
  definitions/choices.py (groups of applicants left without a choice, options nobody may choose).

Every finding has file, line, code and a hint, like the other checks.
"""
from __future__ import annotations

from ..errors import Problem
from ..rules.model import All, FactRef, Test
from ..say import names, say
from .checks import reachable_pages, successors
from .choices import restriction_problems
from .model import FlowDef
from .wiring import check_wiring, rule_name


def analyse(flows: dict[str, FlowDef], rulebook) -> list[Problem]:
    """Every finding of the analysis; `rulebook` is a loaded RuleBook."""
    problems: list[Problem] = []
    doms = {flow.id: dominators(flow) for flow in flows.values()}
    problems += check_wiring(flows, doms, rulebook)
    for rs in rulebook.rulesets.values():
        problems += _contradictions(rs)
    problems += restriction_problems(flows, doms, rulebook)
    return problems


# -- the page graph -----------------------------------------------------------------------------

def dominators(flow: FlowDef) -> dict[str, set[str]]:
    """For each reachable page, the pages on every path from the start to it (itself included)."""
    reachable = reachable_pages(flow)
    if flow.start not in reachable:
        return {}
    preds: dict[str, set[str]] = {p: set() for p in reachable}
    for pid in reachable:
        for nxt in successors(flow, flow.pages[pid]):
            if nxt in reachable:
                preds[nxt].add(pid)
    dom = {p: set(reachable) for p in reachable}
    dom[flow.start] = {flow.start}
    changed = True
    while changed:
        changed = False
        for pid in reachable:
            if pid == flow.start:
                continue
            incoming = [dom[p] for p in preds[pid]]
            new = (set.intersection(*incoming) if incoming else set()) | {pid}
            if new != dom[pid]:
                dom[pid], changed = new, True
    return dom


# -- normalised conditions ----------------------------------------------------------------------

def canonical(cond):
    """A hashable normal form: nested all/any flattened, items sorted, `in [x]` written `eq x`."""
    if isinstance(cond, Test):
        op, value = cond.op, cond.value
        if op in ("in", "not_in") and isinstance(value, tuple):
            value = tuple(sorted(set(value), key=repr))
            if len(value) == 1:
                op, value = ("eq" if op == "in" else "ne"), value[0]
        return ("test", cond.path, op, value)
    kind = "all" if isinstance(cond, All) else "any"
    items: list = []
    for item in cond.items:
        c = canonical(item)
        items += list(c[1]) if c[0] == kind else [c]
    # `any` of eq/in on one fact is one `in`; `all` of ne/not_in on one fact is one `not_in`
    merge_ops = ("eq", "in") if kind == "any" else ("ne", "not_in")
    merged: dict[str, set] = {}
    rest = []
    for c in items:
        if c[0] == "test" and c[2] in merge_ops and not isinstance(c[3], FactRef):
            merged.setdefault(c[1], set()).update(c[3] if isinstance(c[3], tuple) else (c[3],))
        else:
            rest.append(c)
    for path, values in merged.items():
        op = "in" if kind == "any" else "not_in"
        rest.append(canonical(Test(path, op, tuple(values))))
    items = sorted(set(rest), key=repr)
    return items[0] if len(items) == 1 else (kind, tuple(items))


def _kind(rule) -> str:
    return next(iter(rule.then))


def _body(rule) -> dict:
    return rule.then[_kind(rule)]


# -- (b) contradicting rules --------------------------------------------------------------------

def _options(values) -> str:
    return names(map(str, values))


def _conflict(a, b) -> str | None:
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        if "restrict" in (ka, kb) or {ka, kb} == {"refuse", "redirect"}:
            return say("analysis.conflict.outcomes", a=a.id, said_a=_describe(a), b=b.id, said_b=_describe(b))
        return None
    if ka == "restrict":
        fa, fb = _body(a), _body(b)
        if fa["field"] == fb["field"] and set(map(str, fa["to"])) != set(map(str, fb["to"])):
            return say("analysis.conflict.restrictions", a=a.id, b=b.id, field=fa["field"],
                       to_a=_options(fa["to"]), to_b=_options(fb["to"]))
    if ka == "redirect":
        fa, fb = _body(a), _body(b)
        if (fa["flow"], fa.get("page")) != (fb["flow"], fb.get("page")):
            return say("analysis.conflict.redirects", a=a.id, b=b.id, flow_a=fa["flow"], flow_b=fb["flow"])
    return None


def _describe(rule) -> str:
    kind, body = _kind(rule), _body(rule)
    if kind == "restrict":
        return say("analysis.says.restrict", field=body["field"], to=_options(body["to"]))
    if kind == "redirect":
        return say("analysis.says.redirect", flow=body["flow"])
    return say("analysis.says.refuse")


def _contradictions(rs) -> list[Problem]:
    out: list[Problem] = []
    by_condition: dict = {}
    for rule in rs.rules:
        key = canonical(rule.when)
        for earlier in by_condition.get(key, []):
            why = _conflict(earlier, rule)
            if why:
                out.append(Problem("rule.contradiction", rule.id,
                                   say("analysis.contradiction", rule=rule_name(rule), earlier=rule_name(earlier),
                                       where=f"{earlier.file}:{earlier.line}", why=why),
                                   rule.file, rule.line, say("analysis.contradiction.hint")))
                break
        by_condition.setdefault(key, []).append(rule)
    return out
