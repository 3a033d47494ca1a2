"""Checking a list of records (or of scalars) given in a rule's example against its declared type."""
from __future__ import annotations

from ..errors import Problem
from ..say import names, say
from ..yamlsource import Source
from .facts import coerce
from .model import FactType
from .wording import suggest, type_name


def check_list_example(source: Source, at: tuple, path: str, ftype: FactType, value) -> list[Problem]:
    if not isinstance(value, list):
        return [source.problem(at, "rule.wrong_value_type",
                               say("rules.loader.example_wrong_type", value=value, path=path,
                                   type=type_name("array")))]
    items = ftype.items or FactType("string")
    out: list[Problem] = []
    for i, item in enumerate(value):
        if items.type != "object":
            out += _scalar(source, at + (i,), f"{path}[{i}]", items, item)
            continue
        if not isinstance(item, dict):
            out.append(source.problem(at + (i,), "rule.wrong_value_type",
                                      say("rules.loader.example_wrong_type", value=item, path=f"{path}[{i}]",
                                          type=type_name("object"))))
            continue
        fields = dict(items.fields)
        for name, field_value in item.items():
            where = f"{path}[{i}].{name}"
            if name not in fields:
                out.append(source.problem(at + (i, name), "rule.example_unknown_fact",
                                          say("rules.loader.example_unknown_fact", path=where),
                                          suggest(str(name), fields)
                                          or say("hint.known_names", names=names(fields))))
            elif field_value is not None:
                out += _scalar(source, at + (i, name), where, fields[name], field_value)
    return out


def _scalar(source: Source, at: tuple, where: str, ftype: FactType, value) -> list[Problem]:
    ok, normal = coerce(ftype.type, value)
    if not ok:
        return [source.problem(at, "rule.wrong_value_type",
                               say("rules.loader.example_wrong_type", value=value, path=where,
                                   type=type_name(ftype.type)))]
    if ftype.enum is not None and normal not in ftype.enum:
        return [source.problem(at, "rule.value_not_in_enum",
                               say("rules.loader.example_not_in_enum", value=value, path=where),
                               suggest(value, ftype.enum) or say("hint.known_names", names=names(ftype.enum)))]
    return []
