"""The groups of applicants that reach a page, as bits: the machinery of the restriction analysis
(definitions/choices.py says what it finds and how it is reported).

The facts read by the restricting rules of a field are partitioned into classes of values that
every test of those rules (and of the refusals that matter) treats alike: the values of an enum,
yes/no, the ranges between the thresholds the rules compare a number or date with, the texts
compared with and "another text", and "absent" where a rule tests `exists`. A group is one class
of each fact (a combination), and bit i of a Python int stands for group i, so a rule's condition
becomes a few bitwise operations over every group at once, in three-valued reading: `(yes, no)`,
the groups where it holds for certain and where it fails for certain (a test on a fact outside
the partition, or comparing two facts, is unknown).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..rules.facts import engine_value
from ..rules.model import All, Any_, FactRef, Test, facts_read
from ..rules.plain import COMPARE
from ..say import names, say

CAP = 4096                        # groups per field, at most
ORDERED = ("integer", "number", "date")


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


ABSENT = _Marker("ABSENT")        # the fact is not there (only where a rule tests `exists`)
OTHER = _Marker("OTHER")          # a text no rule compares with


@dataclass
class Part:
    """One class of values of one fact: `rep` stands for all of them."""

    fact: str
    rep: object
    sig: tuple                    # what each test of the fact says of these values
    title: str
    labels: dict
    ranges: list                  # numbers and dates: the ranges, described
    values: list                  # the other types: the values (enum, yes/no, texts, ABSENT)
    among: list                   # every value of the fact, in order

    @property
    def words(self) -> list[str]:
        return self.ranges + ([_value_words(self.title, self.values, self.labels)] if self.values else [])


def describe(parts: list[Part]) -> str:
    """Several classes of one fact in words (人员类别为hk、macau之一)."""
    ranges = [r for p in parts for r in p.ranges]
    values = sorted((v for p in parts for v in p.values), key=parts[0].among.index)
    words = ranges + ([_value_words(parts[0].title, values, parts[0].labels)] if values else [])
    return say("choices.word.or").join(words)


def truth(test: Test, value) -> bool:
    if test.op == "exists":
        return (value is not ABSENT) == test.value
    if value is ABSENT or value is OTHER:
        return test.op in ("ne", "not_in") and value is OTHER
    return bool(COMPARE[test.op](value, test.value))


# -- partitions ---------------------------------------------------------------------------------

def _ordered_candidates(ftype: str, consts: set) -> list[tuple]:
    """(engine value, (lo, lo_in, hi, hi_in)) for the points and the ranges between thresholds."""
    step: Any = None                  # the next value: a day, one, or none (numbers are dense)
    pts: list[Any]
    if ftype == "date":
        pts, step = sorted(dt.date(c // 10000, c // 100 % 100, c % 100) for c in consts), dt.timedelta(days=1)
    else:
        pts, step = sorted(consts), (1 if ftype == "integer" else None)
    if not pts:
        return [(0 if ftype != "date" else engine_value(dt.date(2000, 1, 1)), (None, False, None, False))]

    def below(p):
        return p - step if step is not None else p - 1

    def above(p):
        return p + step if step is not None else p + 1

    out: list[tuple[Any, tuple]] = [(below(pts[0]), (None, False, pts[0], False))]
    for i, p in enumerate(pts):
        out.append((p, (p, True, p, True)))
        nxt = pts[i + 1] if i + 1 < len(pts) else None
        if nxt is None:
            out.append((above(p), (p, False, None, False)))
        elif step is None:
            out.append(((p + nxt) / 2, (p, False, nxt, False)))
        elif above(p) < nxt:
            out.append((above(p), (p, False, nxt, False)))
    return [(engine_value(v) if ftype == "date" else v, region) for v, region in out]


def partition(fact: str, ftype, tests: list[Test], labels: dict, absent: bool = False) -> list[Part]:
    """The classes of `fact` that every one of `tests` treats alike (in a stable order); `absent`:
    the fact may be missing (an optional answer), as it may where a test asks `exists`."""
    title = fact_title(fact, ftype)
    consts = {v for t in tests if t.op != "exists"
              for v in (t.value if isinstance(t.value, tuple) else (t.value,))}
    regions: list = []
    if ftype is not None and ftype.enum is not None:
        cands = [(engine_value(v), v) for v in ftype.enum]
    elif ftype is not None and ftype.type == "boolean":
        cands = [(True, True), (False, False)]
    elif ftype is not None and ftype.type in ORDERED:
        cands, regions = [], _ordered_candidates(ftype.type, consts)
    else:
        cands = [(v, v) for v in sorted(consts, key=repr)] + [(OTHER, OTHER)]
    if absent or any(t.op == "exists" for t in tests):
        cands.append((ABSENT, ABSENT))

    def sig(v):
        return tuple(truth(t, v) for t in tests)

    groups: dict[tuple, Part] = {}
    among = [shown for _, shown in cands]

    def part(s: tuple, value) -> Part:
        return groups.setdefault(s, Part(fact, value, s, title, labels, [], [], among))

    last_sig, last_region = None, None
    for value, region in regions:            # adjacent ranges treated alike become one range
        s = sig(value)
        if s == last_sig and last_region is not None:
            last_region[2], last_region[3] = region[2], region[3]
            continue
        last_sig, last_region = s, list(region)
        part(s, value).ranges.append(last_region)
    for value, shown in cands:
        part(sig(value), value).values.append(shown)
    for p in groups.values():
        p.ranges = [_region_words(title, r, ftype) for r in p.ranges]
    return list(groups.values())


def _fmt(v) -> str:
    return v.isoformat() if isinstance(v, dt.date) else f"{v:g}" if isinstance(v, float) else str(v)


def _region_words(title: str, region: list, ftype) -> str:
    lo, lo_in, hi, hi_in = region
    if ftype.type != "number":              # whole numbers and days: lower bound in, upper bound out
        step = dt.timedelta(days=1) if ftype.type == "date" else 1
        if lo is not None and not lo_in:
            lo, lo_in = lo + step, True
        if hi is not None and hi_in:
            hi, hi_in = hi + step, False
        if lo is not None and hi is not None and lo + step == hi:
            return f"{title}={_fmt(lo)}"
    if lo is not None and lo == hi:
        return f"{title}={_fmt(lo)}"
    left = f"{_fmt(lo)}{'≤' if lo_in else '<'}" if lo is not None else ""
    if hi is None:
        return f"{title}{'≥' if lo_in else '>'}{_fmt(lo)}" if lo is not None else title
    return f"{left}{title}{'≤' if hi_in else '<'}{_fmt(hi)}"


def _value_words(title: str, values: list, labels: dict) -> str:
    shown = [_label(v, labels) for v in values if v is not ABSENT]
    words = []
    if len(shown) == 1:
        words.append(f"{title}={shown[0]}")
    elif shown:
        words.append(say("choices.group.one_of", fact=title, values=names(shown)))
    if ABSENT in values:
        words.append(say("choices.group.absent", fact=title))
    return say("choices.word.or").join(words)


def _label(value, labels: dict) -> str:
    if value is OTHER:
        return say("choices.value.other")
    if value is True or value is False:
        return say("choices.value.yes") if value else say("choices.value.no")
    return str(labels.get(value, value))


def fact_title(fact: str, ftype) -> str:
    """The fact's title without its trailing explanation in brackets (人员类别（…） -> 人员类别)."""
    title = (ftype.title if ftype is not None else None) or fact
    return re.sub(r"[（(][^（(]*[）)]$", "", title).strip() or title


# -- the groups of applicants, as bits ----------------------------------------------------------

class Space:
    """Every combination of one class per fact; bit i of a mask is combination i."""

    def __init__(self, parts: dict[str, list[Part]], tests: dict[str, list[Test]]):
        self.facts = list(parts)
        self.parts = parts
        self.tests = tests
        self.size = 1
        for fact in self.facts:
            self.size *= len(parts[fact])
        self.all = (1 << self.size) - 1
        self._class: dict[tuple[str, int], int] = {}
        self._tests: dict = {}

    def class_mask(self, fact: str, k: int) -> int:
        key = (fact, k)
        if key not in self._class:
            stride = 1
            for f in self.facts[:self.facts.index(fact)]:
                stride *= len(self.parts[f])
            period = stride * len(self.parts[fact])
            block = ((1 << stride) - 1) << (k * stride)
            self._class[key] = block * (((1 << self.size) - 1) // ((1 << period) - 1))
        return self._class[key]

    def test(self, t: Test) -> tuple[int, int]:
        """(groups where the test holds for certain, groups where it fails for certain)."""
        found = self._tests.get(t)
        if found is None:
            if t.path not in self.parts or isinstance(t.value, FactRef):
                found = (0, 0)
            else:
                yes = 0
                for k, part in enumerate(self.parts[t.path]):
                    if truth(t, part.rep):
                        yes |= self.class_mask(t.path, k)
                found = (yes, self.all & ~yes)
            self._tests[t] = found
        return found

    def cond(self, c) -> tuple[int, int]:
        if isinstance(c, Test):
            return self.test(c)
        pairs = [self.cond(item) for item in c.items]
        yes, no = pairs[0]
        for y, n in pairs[1:]:
            yes, no = (yes & y, no | n) if isinstance(c, All) else (yes | y, no & n)
        return yes, no

    def index_of(self, values: dict) -> int | None:
        """The group of the applicant whose facts (engine values) are `values`; None when the
        partition has no class for one of them (which would be a mistake of the partition)."""
        index, stride = 0, 1
        for fact in self.facts:
            s = tuple(truth(t, values.get(fact, ABSENT)) for t in self.tests[fact])
            ks = [k for k, part in enumerate(self.parts[fact]) if part.sig == s]
            if not ks:
                return None
            index += ks[0] * stride
            stride *= len(self.parts[fact])
        return index

    def decode(self, index: int) -> list[Part]:
        out = []
        for fact in self.facts:
            n = len(self.parts[fact])
            out.append(self.parts[fact][index % n])
            index //= n
        return out


def tests_on(cond, facts: set, into: dict) -> None:
    if isinstance(cond, (All, Any_)):
        for item in cond.items:
            tests_on(item, facts, into)
    elif cond.path in facts and not isinstance(cond.value, FactRef):
        into.setdefault(cond.path, {})[cond] = None


@dataclass
class FieldChoices:
    """The analysis of one restricted field on one page: masks over the groups that reach it."""

    space: Space
    options: list
    rules: list                   # the restricting rules, in the order the page runs them
    applies: list                 # per rule: groups it applies to for certain
    possible: int                 # groups some restriction may apply to
    reachable: int                # groups not stopped for certain by a refusal or redirect
    excluded: dict                # option -> groups where an applying restriction leaves it out

    @classmethod
    def build(cls, rules: list, stops: list, options: list, types: dict, labels: dict, cap: int = CAP,
              condition=None, optional: frozenset = frozenset()):
        """None when there are more than `cap` groups. `condition`: the field's `when:` (the
        groups it is not asked of are left out, as the stopped ones); `optional`: the facts that
        may be absent (answers the citizen may leave out or is not asked)."""
        read = {p for r in rules for p in facts_read(r.when)}
        relevant = [s.when for s in stops if read.intersection(facts_read(s.when))]
        asked = condition if condition is not None and read.intersection(facts_read(condition)) else None
        tests: dict = {}
        for cond in [r.when for r in rules] + relevant + ([asked] if asked is not None else []):
            tests_on(cond, read, tests)
        parts, size, listed = {}, 1, {}
        for fact in sorted(read):
            listed[fact] = list(tests.get(fact, {}))
            parts[fact] = partition(fact, types.get(fact), listed[fact], labels.get(fact, {}), fact in optional)
            size *= len(parts[fact])
            if size > cap:
                return None
        space = Space(parts, listed)
        reachable = space.all
        for cond in relevant:
            reachable &= ~space.cond(cond)[0]
        if asked is not None:
            reachable &= ~space.cond(asked)[1]
        applies: list[int] = []
        possible = 0
        by_list: dict[frozenset, int] = {}
        for rule in rules:
            yes, no = space.cond(rule.when)
            applies.append(yes)
            possible |= space.all & ~no
            to = frozenset(rule.then["restrict"]["to"])
            by_list[to] = by_list.get(to, 0) | yes
        in_lists = frozenset().union(*by_list)
        every = 0
        for yes in by_list.values():
            every |= yes
        excluded = {}
        for o in options:                 # an option in no list is left out wherever one applies
            mask = 0 if o in in_lists else every
            if o in in_lists:
                for to, yes in by_list.items():
                    if o not in to:
                        mask |= yes
            excluded[o] = mask
        return cls(space, options, rules, applies, possible, reachable, excluded)

    def gaps(self) -> int:
        """Groups that reach the page with no option left."""
        mask = self.reachable
        for o in self.options:
            mask &= self.excluded[o]
        return mask

    def never_allowed(self) -> list:
        """Options that no group reaching the page may choose (every one of them is restricted)."""
        if not self.reachable:
            return []
        return [o for o in self.options if not self.reachable & ~self.excluded[o]]

    def uncovered(self) -> int:
        return self.reachable & ~self.possible

    def applying(self, index: int) -> list:
        return [r for r, yes in zip(self.rules, self.applies, strict=True) if yes >> index & 1]

    def group(self, index: int, facts=None) -> list[Part]:
        return [p for p in self.space.decode(index) if facts is None or p.fact in facts]

    def representative(self, index: int) -> dict:
        """fact -> engine value standing for the group (absent facts left out)."""
        return {p.fact: p.rep for p in self.space.decode(index) if p.rep is not ABSENT}


def lowest(mask: int) -> int:
    return (mask & -mask).bit_length() - 1


def minimal(rules: list, options: list) -> list:
    """A smallest-by-removal subset of `rules` whose lists together still leave no option."""
    keep = list(rules)
    for rule in list(keep):
        rest = [r for r in keep if r is not rule]
        left = set(options)
        for r in rest:
            left &= set(r.then["restrict"]["to"])
        if rest and not left:
            keep = rest
    return keep
