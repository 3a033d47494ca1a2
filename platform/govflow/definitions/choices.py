"""Restriction analysis: who is left without a choice, and which option nobody may choose.

For each page that runs rule sets in `checks:` (the rule sets whose `restrict` outcomes narrow
the options the page shows) and each field of the page those rule sets restrict, the analysis
looks at every group of applicants that can reach the page (definitions/combinations.py), not at
one fact at a time. The groups a refusal or redirect stops for certain are left out: the rule
sets run earlier on every path to the page (`on_enter` and `checks` of the pages before it, this
page's `on_enter`) and the page's own `checks`. A restriction applies to a group when its
condition holds for every applicant of the group; the options a group may choose are the
field's options that every applying restriction allows. Facts from outside the form are
assumed present (an identity has a residency) unless a rule tests `exists`; an answer may be
absent unless the flow asks it of everyone (required, no `when:`). A group the field is not
asked of (its `when:` fails for certain) is left out too.

Not covered: a refusal on the page that names the field's value (`refuse` when form.<field> is
X) is not read as taking X away; comparisons of two facts are "unknown" (never a finding).

- `rule.restriction_gap`: a group is left with no option (named with fact and value titles,
  at the first of the rules that together leave nothing); or the rules restricting the field by
  one fact form a table of cases (disjoint values, different lists) that forgets a value of
  that fact although nothing stops those applicants (they would be offered every option).
- `rule.option_never_allowed`: an option of the field that no group reaching the page may
  choose (restrictions apply to every group, and none of the applying ones allows it), at the
  field's line.
- `rule.restriction_analysis_limit` (warning): the facts read give more than CAP groups; the
  field is not analysed.
"""
from __future__ import annotations

from ..errors import Problem
from ..rules.model import facts_read
from ..say import names, say
from .combinations import CAP, FieldChoices, Part, describe, lowest, minimal
from .model import FieldDef, FlowDef, PageDef

STOPPING = ("refuse", "redirect")
LISTED = 6                        # rules named in a message, the others counted


def restriction_problems(flows: dict[str, FlowDef], doms: dict, rulebook, cap: int = CAP) -> list[Problem]:
    """Every finding of the restriction analysis; `doms` are the flows' dominators (analysis.py)."""
    types = rulebook.catalogue.types
    out: list[Problem] = []
    seen: set = set()
    for flow in flows.values():
        labels = _labels(flow, types)
        always = {n for n, f in flow.input_fields().items() if f.required and f.condition is None}
        optional = frozenset(p for p in types if p.startswith("form.") and p[5:] not in always)
        for page_id, before in doms[flow.id].items():
            page = flow.pages[page_id]
            restricted = _restricted(page, rulebook)
            if not restricted:
                continue
            stops = _stops(flow, page, before, rulebook)
            for name, rules in restricted.items():
                f = page.fields.get(name)
                options = _options(f, types)
                if f is None or not options:
                    continue
                for key, problem in _field(flow, page, f, options, rules, stops, types, labels, cap, optional):
                    if key not in seen:
                        seen.add(key)
                        out.append(problem)
    return out


def _restricted(page: PageDef, rulebook) -> dict[str, list]:
    """Field -> the rules restricting it, in the order the page runs them."""
    out: dict[str, list] = {}
    for name in dict.fromkeys(page.checks):
        rs = rulebook.rulesets.get(name)
        for rule in rs.rules if rs is not None else ():
            spec = rule.then.get("restrict")
            if spec is not None:
                out.setdefault(spec["field"], []).append(rule)
    return out


def _stops(flow: FlowDef, page: PageDef, before: set, rulebook) -> list:
    """The refusing and redirecting rules run before the page's options count, or with them."""
    names_run = [n for p in before - {page.id} for n in flow.pages[p].on_enter + flow.pages[p].checks]
    out = []
    for name in dict.fromkeys(names_run + page.on_enter + page.checks):
        rs = rulebook.rulesets.get(name)
        out += [r for r in (rs.rules if rs is not None else ()) if next(iter(r.then)) in STOPPING]
    return out


def _options(f: FieldDef | None, types: dict) -> list | None:
    if f is None or f.readonly or not f.options:
        return None
    if isinstance(f.options, list):
        return [o["value"] for o in f.options if isinstance(o, dict) and "value" in o]
    ftype = types.get(f"form.{f.name}")
    return list(ftype.enum) if ftype is not None and ftype.enum is not None else None


def _labels(flow: FlowDef, types: dict) -> dict[str, dict]:
    """fact -> {value: label}: the `labels:` of rules/facts.yaml, and form.<field> for the fields
    of the flow with options written inline."""
    out: dict[str, dict] = {fact: dict(t.labels) for fact, t in types.items() if getattr(t, "labels", ())}
    for name, f in flow.input_fields().items():
        if isinstance(f.options, list):
            out[f"form.{name}"] = {o.get("value"): o.get("label", o.get("value"))
                                   for o in f.options if isinstance(o, dict)}
    return out


# -- one field ----------------------------------------------------------------------------------

def _field(flow, page, f, options, rules, stops, types, labels, cap, optional):
    fc = FieldChoices.build(rules, stops, options, types, labels, cap, f.condition, optional)
    where = _where(flow, page)
    shown = labels.get(f"form.{f.name}", {})
    if fc is None:
        first = rules[0]
        read = {p for r in rules for p in facts_read(r.when)}
        yield ("limit", first.file, first.line, f.name), Problem(
            "rule.restriction_analysis_limit", first.id,
            say("choices.limit", where=where, field=f.title, count=len(rules), facts=len(read), cap=cap),
            first.file, first.line, say("choices.limit.hint"), "warning")
        return
    gaps = fc.gaps()
    if gaps:
        i = lowest(gaps)
        involved = minimal(fc.applying(i), options)
        read = list(dict.fromkeys(p for r in involved for p in facts_read(r.when)))   # as the rules read them
        group, rest = _group(fc, gaps, i, involved, read)
        first = involved[0]
        yield ("gap", first.file, first.line, group), Problem(
            "rule.restriction_gap", first.id,
            say("choices.gap", where=where, rules=_rules(involved), group=group, field=f.title),
            first.file, first.line,
            say("choices.gap.hint", allowed=_allowed(involved, options, shown), field=f.title)
            + (say("choices.gap.more") if rest else ""))
    for fact, table in _tables(fc, types):
        uncovered = fc.uncovered()
        missing = [p for k, p in enumerate(fc.space.parts[fact]) if uncovered & fc.space.class_mask(fact, k)]
        if missing:
            first = table[0]
            group = describe(missing)
            yield ("uncovered", first.file, first.line, group), Problem(
                "rule.restriction_gap", first.id,
                say("choices.uncovered", where=where, rules=_rules(table), field=f.title, group=group),
                first.file, first.line, say("choices.uncovered.hint", field=f.title))
    never = fc.never_allowed()
    if never and len(never) < len(options):
        against = [r for r in rules if set(never) - set(r.then["restrict"]["to"])]
        yield ("never", f.origin.file, f.origin.line, tuple(never)), f.origin.problem(
            "rule.option_never_allowed",
            say("choices.never", where=where, field=f.title, options=names(_label(o, shown) for o in never)),
            say("choices.never.hint", field=f.title, rules=_rules(against)))


def _tables(fc: FieldChoices, types: dict):
    """(fact, rules) for the rules that restrict the field by one enum fact each, when they are
    a table of cases: at least two different lists, for values that do not overlap."""
    by_fact: dict[str, list] = {}
    for rule, yes in zip(fc.rules, fc.applies, strict=True):
        read = facts_read(rule.when)
        ftype = types.get(read[0]) if len(read) == 1 else None
        if ftype is not None and ftype.enum is not None and read[0] in fc.space.parts:
            by_fact.setdefault(read[0], []).append((rule, yes))
    for fact, cases in by_fact.items():
        if len({frozenset(r.then["restrict"]["to"]) for r, _ in cases}) < 2:
            continue
        union, disjoint = 0, True
        for _, yes in cases:
            disjoint = disjoint and not union & yes
            union |= yes
        if disjoint:
            yield fact, [r for r, _ in cases]


def _group(fc: FieldChoices, gaps: int, index: int, involved: list, read: list) -> tuple[str, int]:
    """The applicants left without options because of the `involved` rules, in words, and the
    groups left without options for other reasons. Every group where these rules all apply is
    named when they make a block (one set of classes per fact); else the group at `index`."""
    space, cause = fc.space, gaps
    for rule, yes in zip(fc.rules, fc.applies, strict=True):
        if any(rule is r for r in involved):
            cause &= yes
    classes: dict[str, list[Part]] = {}
    block = space.all
    for fact in read:
        ks = [k for k in range(len(space.parts[fact])) if cause & space.class_mask(fact, k)]
        classes[fact] = [space.parts[fact][k] for k in ks]
        mask = 0
        for k in ks:
            mask |= space.class_mask(fact, k)
        block &= mask
    if block & fc.reachable != cause:
        cause = space.all
        for part in fc.group(index, set(read)):
            classes[part.fact] = [part]
            cause &= space.class_mask(part.fact, space.parts[part.fact].index(part))
    group = say("choices.group.and").join(describe(classes[fact]) for fact in read)
    return group, gaps & ~cause


# -- words --------------------------------------------------------------------------------------

def _where(flow: FlowDef, page: PageDef) -> str:
    return say("choices.where", flow=flow.title or flow.id, flow_id=flow.id,
               page=page.title or page.id, page_id=page.id)


def _rules(rules: list) -> str:
    shown = [say("choices.rule", id=r.id, t=r.title) if r.title else r.id for r in rules[:LISTED]]
    if len(rules) > LISTED:
        shown.append(say("choices.and_more", count=len(rules) - LISTED))
    return names(shown)


def _label(value, shown: dict) -> str:
    return str(shown.get(value, value))


def _allowed(rules: list, options: list, shown: dict) -> str:
    parts = []
    for r in rules:
        allowed = [_label(o, shown) for o in options if o in r.then["restrict"]["to"]]
        parts.append(say("choices.allowed", rule=r.id, options=names(allowed) if allowed else say("choices.nothing")))
    return say("choices.separator").join(parts)
