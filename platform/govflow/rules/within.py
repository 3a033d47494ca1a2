"""`within:` — a code of a cascading pick-list (province > city > county) lies in a region: it is
that region's code or one of its descendants. `{fact: form.region, within: "4401"}` or
`within: {fact: form.city}` (a code of any pick-list; codes of one division scheme are shared).

Read into a test on a hidden boolean fact (`govflow_within.*`) computed before the rules run with
the pick-list's ancestors, so durable-rules and the analyses see a plain `eq: true`."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..say import say
from .facts import Derived
from .model import FactType, Test

HIDDEN = "govflow_within"


@dataclass(frozen=True)
class WithinSpec:
    picklist: Any              # the cascade (picklists.Picklist): its ancestors() of a code
    region: str | None         # a constant region code, or None: the region is derived.args[1]

    def value(self, view, derived: Derived) -> bool | None:
        code = view.seen(derived.args[0])
        region = self.region if self.region is not None else view.seen(derived.args[1])
        if code is None or region is None:
            return None
        return str(region) in self.picklist.ancestors(str(code))


def _cascade(reader, ftype: FactType):
    if ftype.picklist is None or reader.picklists is None:
        return None
    found = reader.picklists.get(ftype.picklist)
    return found if getattr(found, "is_cascade", False) else None


def _known(picklist, code) -> bool:
    return bool(picklist.ancestors(str(code)))


def read_within(reader, fact: str, ftype: FactType, value: Any, path: tuple) -> Test | None:
    """Check a `within:` test and register its hidden fact in the reader's catalogue."""
    cascade = _cascade(reader, ftype)
    if cascade is None:
        reader.problem(path, "rule.operator_not_for_type", say("cond.within_not_cascade", fact=fact),
                       say("cond.within_not_cascade.hint"))
        return None
    if reader.catalogue is None:
        reader.problem(path, "rule.only_in_rule_files", say("cond.within_not_here", fact=fact))
        return None
    if isinstance(value, dict):
        other = value.get("fact") if set(value) == {"fact"} else None
        otype = reader._fact_type(other, path + ("fact",)) if other is not None else None
        if other is None:
            reader.problem(path, "rule.wrong_value_type", say("cond.fact_ref"), say("cond.fact_ref.hint"))
        if otype is None:
            return None
        codes = reader.picklists.get(otype.picklist) if otype.picklist else None
        values = [] if codes is None else (codes.leaves() if codes.is_cascade else [o["value"] for o in codes.options])
        if not any(_known(cascade, v) for v in values):
            reader.problem(path + ("fact",), "rule.wrong_value_type",
                           say("cond.within_other_not_codes", fact=fact, other=other, picklist=cascade.title))
            return None
        key, region, called = other, None, otype.title or other
        args: tuple = (fact, other)
    else:
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not _known(cascade, value):
            reader.problem(path, "rule.value_not_in_enum",
                           say("cond.within_unknown_code", value=value, picklist=cascade.title),
                           say("cond.within_unknown_code.hint"))
            return None
        key, region, args = f"={value}", str(value), (fact,)
        called = cascade.label(region) or region
    digest = hashlib.sha256(repr((fact, ftype.picklist, key)).encode()).hexdigest()[:10]
    hidden = f"{HIDDEN}.{fact.replace('.', '_')}_{digest}"
    if hidden not in reader.catalogue.derived_by_path:
        reader.catalogue.derived.append(Derived(hidden, "within", args, WithinSpec(cascade, region)))
        reader.types[hidden] = FactType("boolean", None, say("cond.within_title", fact=ftype.title or fact,
                                                                 region=called))
    return Test(hidden, "eq", True)
