"""Derived facts over a list, in rules/facts.yaml `derived:`:

- `count: {list: L, where: C}`: how many items of L satisfy C (every item without `where`);
- `record: {list: L, where: C}`: the first item of L that satisfies C; each of its fields F is the
  fact `<name>.F` with the field's declared type (absent when no item matches).
"""
from __future__ import annotations

from ..say import names, say
from ..yamlsource import Source
from .conditions import ConditionReader
from .facts import Catalogue, Derived
from .lists import ListSpec, outer_reads
from .model import FactType
from .wording import suggest

LIST_FUNCTIONS = ("count", "record")


def _duplicate(source: Source, name: str, catalogue: Catalogue, problems: list) -> bool:
    from .catalogue import _reserved
    if name in catalogue.types or _reserved(name):
        problems.append(source.problem(("derived", name), "facts.duplicate_fact",
                                       say("rules.facts.duplicate_fact", name=name),
                                       say("rules.facts.duplicate_fact.hint")))
        return True
    return False


def _list_type(source: Source, name: str, at: tuple, body, types: dict, problems: list) -> FactType | None:
    fact = body.get("list") if isinstance(body, dict) else None
    ftype = types.get(fact) if isinstance(fact, str) else None
    if ftype is None or ftype.type != "array":
        lists = [p for p, t in types.items() if t.type == "array"]
        problems.append(source.problem(at + ("list",), "facts.not_a_list",
                                       say("rules.facts.not_a_list", name=name, fact=fact),
                                       suggest(str(fact), lists) or say("rules.facts.not_a_list.hint")))
        return None
    return ftype


def read_list_derived(source: Source, name: str, spec: dict, catalogue: Catalogue, picklists,
                      problems: list) -> None:
    """Check one `count:` / `record:` derived fact and add it (and a record's fields) to the catalogue."""
    from .list_conditions import read_where
    where_at = ("derived", name)
    functions = [k for k in spec if k != "title"]
    if "title" not in spec:
        problems.append(source.problem(where_at, "facts.schema", say("rules.facts.derived_no_title", name=name)))
    if len(functions) != 1:
        problems.append(source.problem(where_at, "facts.unknown_function",
                                       say("rules.facts.unknown_function", name=name, found=names(functions)),
                                       say("hint.known_names", names=names(LIST_FUNCTIONS))))
        return
    if _duplicate(source, name, catalogue, problems):
        return
    function = functions[0]
    at = where_at + (function,)
    body = spec[function]
    list_type = _list_type(source, name, at, body, catalogue.types, problems)
    if list_type is None:
        return
    if function == "record" and (list_type.items is None or list_type.items.type != "object"):
        problems.append(source.problem(at + ("list",), "facts.bad_arguments",
                                       say("rules.facts.record_of_scalars", name=name)))
        return
    where = None
    if body.get("where") is not None:
        reader = ConditionReader(source, catalogue.types, picklists)
        where = read_where(reader, body["list"], list_type, body["where"], at + ("where",))
        problems += reader.problems
        if where is None:
            return
    args = (body["list"],) + outer_reads(where, list_type)
    title = spec.get("title")
    if function == "count":
        catalogue.derived.append(Derived(name, "count", args, ListSpec(list_type, where, "count")))
        catalogue.types[name] = FactType("integer", None, title)
        return
    for field, ftype in (list_type.items.fields if list_type.items else ()):
        path = f"{name}.{field}"
        catalogue.derived.append(Derived(path, "record", args, ListSpec(list_type, where, "field", field)))
        catalogue.types[path] = FactType(ftype.type, ftype.enum, f"{title}：{ftype.title or field}", ftype.labels)
