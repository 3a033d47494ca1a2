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
- `rule.restriction_gap`: a "case table" (two or more rules restricting the same field, each by a
  single test on the same enum fact, e.g. documents per `identity.residency`) that gives no choice
  for some value of that fact, although no rule set run earlier on the path refuses that value.

Every finding has file, line, code and a hint, like the other checks.
"""
from __future__ import annotations

from ..errors import Problem
from ..rules.model import All, FactRef, Test
from .checks import reachable_pages, successors
from .model import FlowDef
from .wiring import check_wiring

ENUM_OPS = ("eq", "ne", "in", "not_in")
STOPPING = ("refuse", "redirect")


def analyse(flows: dict[str, FlowDef], rulebook) -> list[Problem]:
    """Every finding of the analysis; `rulebook` is a loaded RuleBook."""
    problems: list[Problem] = []
    doms = {flow.id: dominators(flow) for flow in flows.values()}
    problems += check_wiring(flows, doms, rulebook)
    for rs in rulebook.rulesets.values():
        problems += _contradictions(rs)
    problems += _restriction_gaps(flows, doms, rulebook)
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


def enum_test(cond, types) -> tuple[str, set] | None:
    """(fact, values for which the condition holds) when it is one eq/ne/in/not_in test on an enum fact."""
    c = canonical(cond) if not isinstance(cond, tuple) else cond
    if c[0] != "test" or c[2] not in ENUM_OPS:
        return None
    _, path, op, value = c
    ftype = types.get(path)
    if ftype is None or ftype.enum is None:
        return None
    values = set(value) if isinstance(value, tuple) else {value}
    return path, (values if op in ("eq", "in") else set(ftype.enum) - values)


def _kind(rule) -> str:
    return next(iter(rule.then))


def _body(rule) -> dict:
    return rule.then[_kind(rule)]


# -- (b) contradicting rules --------------------------------------------------------------------

def _conflict(a, b) -> str | None:
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        if "restrict" in (ka, kb) or {ka, kb} == {"refuse", "redirect"}:
            return f"{a.id} says {_describe(a)} but {b.id} says {_describe(b)}"
        return None
    if ka == "restrict":
        fa, fb = _body(a), _body(b)
        if fa["field"] == fb["field"] and set(map(str, fa["to"])) != set(map(str, fb["to"])):
            return f"{a.id} restricts '{fa['field']}' to {list(fa['to'])} but {b.id} to {list(fb['to'])}"
    if ka == "redirect":
        fa, fb = _body(a), _body(b)
        if (fa["flow"], fa.get("page")) != (fb["flow"], fb.get("page")):
            return f"{a.id} redirects to '{fa['flow']}' but {b.id} to '{fb['flow']}'"
    return None


def _describe(rule) -> str:
    kind, body = _kind(rule), _body(rule)
    if kind == "restrict":
        return f"restrict '{body['field']}' to {list(body['to'])}"
    if kind == "redirect":
        return f"redirect to flow '{body['flow']}'"
    return "refuse"


def _contradictions(rs) -> list[Problem]:
    out: list[Problem] = []
    by_condition: dict = {}
    for rule in rs.rules:
        key = canonical(rule.when)
        for earlier in by_condition.get(key, []):
            why = _conflict(earlier, rule)
            if why:
                out.append(Problem("rule.contradiction", rule.id,
                                   f"{rule.id} has the same condition as {earlier.id} ({earlier.file}:{earlier.line}) "
                                   f"with a contradicting outcome: {why}",
                                   rule.file, rule.line,
                                   "change one rule's condition or outcome, or remove one of them"))
                break
        by_condition.setdefault(key, []).append(rule)
    return out


# -- (c) case tables that leave values without a choice -------------------------------------------

def _case_tables(rs, types) -> dict[tuple[str, str], list]:
    """(field, fact) -> [(rule, values)] for restrict rules tested on one enum fact; 2+ rules only."""
    tables: dict[tuple[str, str], list] = {}
    for rule in rs.rules:
        if _kind(rule) != "restrict":
            continue
        test = enum_test(rule.when, types)
        if test is not None:
            tables.setdefault((_body(rule)["field"], test[0]), []).append((rule, test[1]))
    # a table has at least two different cases; one case written twice is a contradiction or a copy
    return {k: v for k, v in tables.items() if len({frozenset(values) for _, values in v}) >= 2}


def _stopped(rulesets, fact: str, types) -> set:
    """Values of `fact` that a refuse/redirect rule of these rule sets stops (single enum tests only)."""
    out: set = set()
    for rs in rulesets:
        for rule in rs.rules:
            if _kind(rule) in STOPPING:
                test = enum_test(rule.when, types)
                if test is not None and test[0] == fact:
                    out |= test[1]
    return out


def _uses(flows, doms, ruleset: str):
    """(flow, page, rule sets run before this one on every path) for each page that runs `ruleset`."""
    for flow in flows.values():
        for page_id, before in doms[flow.id].items():
            page = flow.pages[page_id]
            for key in ("on_enter", "checks"):
                names = getattr(page, key)
                if ruleset not in names:
                    continue
                earlier = [n for p in before - {page_id} for n in flow.pages[p].on_enter + flow.pages[p].checks]
                earlier += page.on_enter[:page.on_enter.index(ruleset)] if key == "on_enter" else page.on_enter
                earlier += names[:names.index(ruleset)] if key == "checks" else []
                yield flow, page, earlier


def _restriction_gaps(flows, doms, rulebook) -> list[Problem]:
    out: list[Problem] = []
    types = rulebook.catalogue.types
    for rs in rulebook.rulesets.values():
        tables = _case_tables(rs, types)
        if not tables:
            continue
        uses = list(_uses(flows, doms, rs.name)) or [(None, None, [])]
        for (field, fact), cases in tables.items():
            covered = set().union(*(values for _, values in cases))
            reported: set = set()
            for flow, page, earlier in uses:
                before = [rulebook.rulesets[n] for n in dict.fromkeys(earlier) if n in rulebook.rulesets]
                stopped = _stopped(before + [rs], fact, types)
                missing = [v for v in types[fact].enum if v not in covered and v not in stopped]
                if not missing or tuple(missing) in reported:
                    continue
                reported.add(tuple(missing))
                first = cases[0][0]
                ids = ", ".join(r.id for r, _ in cases)
                where = (f"; checked for page '{page.id}' of flow '{flow.id}', after rule sets "
                         f"{', '.join(dict.fromkeys(earlier)) or '(none)'}") if page is not None else ""
                out.append(Problem(
                    "rule.restriction_gap", first.id,
                    f"the rules restricting '{field}' by {fact} ({ids}) give no choice for "
                    f"{', '.join(map(str, missing))}",
                    first.file, first.line,
                    f"add a rule restricting '{field}' for {', '.join(map(str, missing))}, or refuse "
                    f"these values in an earlier rule set{where}"))
    return out
