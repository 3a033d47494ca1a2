"""Loading rules/facts.yaml into a Catalogue of fact types (declared + form + derived)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from pathlib import Path

import jsonschema

from ..errors import Problem
from ..say import names, say
from ..yamlsource import Source, load_file
from .facts import FUNCTIONS, RESERVED_TOP, Catalogue, Derived
from .list_derived import LIST_FUNCTIONS, read_list_derived
from .model import FactType, file_label
from .wording import rule_label, schema_message, schema_path, suggest, type_name

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "rules.schema.json"


def load_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def file_version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def schema_problems(source: Source, schema: dict, code: str, skip, doc: str = "docs/rule-format.md") -> list[Problem]:
    """JSON Schema errors as problems, except where `skip(path)` says a finer check reports them."""
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for error in sorted(validator.iter_errors(json_view(source.data)), key=lambda e: list(map(str, e.absolute_path))):
        if skip(tuple(error.absolute_path)):
            continue
        path = schema_path(error)
        message, hint = schema_message(error)
        rule = _rule_at(source.data, path)
        if rule is not None:
            message = say("rules.schema.in_rule", rule=rule, message=message)
        out.append(source.problem(path, code, message, hint or say("rules.schema.hint", doc=doc)))
    return out


def _rule_at(data, path: tuple) -> str | None:
    """The rule (id and title) a schema error of a rule file is inside, as the message names it."""
    if len(path) < 2 or path[0] != "rules" or not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return None
    rules, i = data["rules"], path[1]
    raw = rules[i] if isinstance(i, int) and i < len(rules) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    return rule_label(raw["id"], raw.get("title") if isinstance(raw.get("title"), str) else None)


def json_view(data):
    """The data as JSON would carry it (YAML dates become ISO text), for the JSON Schema."""
    if isinstance(data, dict):
        return {k: json_view(v) for k, v in data.items()}
    if isinstance(data, list):
        return [json_view(v) for v in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


def load_catalogue(rules_dir: Path, form_fact_types: dict, schema: dict,
                   picklists=None) -> tuple[Catalogue, list[Problem]]:
    """Fact types from facts.yaml plus the form's; problems name facts.yaml and its lines."""
    path = rules_dir / "facts.yaml"
    types = {k: v for k, v in form_fact_types.items()}
    catalogue = Catalogue(types=types, derived=[])
    if not path.exists():
        return catalogue, [Problem("facts.missing", "", say("rules.facts.missing"), str(path), None,
                                   say("rules.facts.missing.hint"))]
    source, problems = load_file(path, file_label(path))
    if source is None:
        return catalogue, problems
    catalogue.version = file_version(path)
    facts_schema = dict(schema["$defs"]["facts_file"], **{"$defs": schema["$defs"]})
    problems += schema_problems(source, facts_schema, "facts.schema",
                                lambda p: len(p) >= 2 and p[0] == "derived")
    data = source.data if isinstance(source.data, dict) else {}
    for name, decl in (data.get("facts") or {}).items():
        if name in form_fact_types and not name.startswith("form."):
            problems.append(source.problem(("facts", name), "facts.duplicate_fact",
                                           say("rules.facts.supplied_by_connector", name=name),
                                           say("rules.facts.supplied_by_connector.hint")))
        elif _reserved(name):
            problems.append(source.problem(("facts", name), "facts.reserved_name",
                                           say("rules.facts.reserved_name", name=name),
                                           say("rules.facts.reserved_name.hint")))
        elif isinstance(decl, dict):
            declared = _declaration(source, ("facts", name), name, decl, problems)
            if declared is not None:
                types[name] = declared
                catalogue.declared[name] = (source.file, source.line(("facts", name)))
    for name, spec in (data.get("derived") or {}).items():
        if isinstance(spec, dict) and set(spec) & set(LIST_FUNCTIONS):
            read_list_derived(source, name, spec, catalogue, picklists, problems)
            continue
        derived = _derived(source, name, spec, types, problems)
        if derived is not None:
            catalogue.derived.append(derived)
            unit = "months" if derived.function == "months_between" else None
            types[name] = FactType(FUNCTIONS[derived.function].result, None, spec.get("title"), unit=unit)
    return catalogue, problems


SCALARS = ("string", "integer", "number", "boolean", "date")


def _declaration(source: Source, at: tuple, name: str, decl: dict, problems: list) -> FactType | None:
    """One declared type: a scalar (with enum and labels), a list (`items`) or a record (`fields`)."""
    kind = decl.get("type")
    if kind == "array":
        items = decl.get("items")
        inner = _declaration(source, at + ("items",), name, items, problems) if isinstance(items, dict) else None
        if inner is not None and inner.title is None:
            inner = replace(inner, title=decl.get("title"))      # an item is called what its list is called
        return FactType("array", None, decl.get("title"), items=inner) if inner is not None else None
    if kind == "object":
        written = decl.get("fields")
        props: dict = written if isinstance(written, dict) else {}
        fields = []
        for field, fdecl in props.items():
            ftype = _declaration(source, at + ("fields", field), f"{name}.{field}", fdecl, problems) \
                if isinstance(fdecl, dict) and fdecl.get("type") in SCALARS else None
            if ftype is not None:
                fields.append((str(field), ftype))
        return FactType("object", None, decl.get("title"), fields=tuple(fields))
    if kind not in SCALARS:
        return None
    enum = tuple(decl["enum"]) if isinstance(decl.get("enum"), list) else None
    written = decl.get("labels")
    labels: dict = written if isinstance(written, dict) else {}
    for value in labels:
        if enum is None or value not in enum:
            problems.append(source.problem(at + ("labels", value), "facts.label_not_in_enum",
                                           say("rules.facts.label_not_in_enum", name=name, value=value),
                                           say("rules.facts.label_not_in_enum.hint", values=names(enum or ()))))
    return FactType(kind, enum, decl.get("title"),
                    tuple((v, str(t)) for v, t in labels.items() if enum and v in enum))


def _reserved(name: str) -> bool:
    return name.split(".")[0] in RESERVED_TOP + ("form",)


def _derived(source: Source, name: str, spec, types: dict, problems: list) -> Derived | None:
    where = ("derived", name)
    if name in types or _reserved(name):
        problems.append(source.problem(where, "facts.duplicate_fact",
                                       say("rules.facts.duplicate_fact", name=name),
                                       say("rules.facts.duplicate_fact.hint")))
        return None
    if not isinstance(spec, dict):
        problems.append(source.problem(where, "facts.schema", say("rules.facts.derived_not_mapping", name=name)))
        return None
    functions = [k for k in spec if k != "title"]
    if "title" not in spec:
        problems.append(source.problem(where, "facts.schema", say("rules.facts.derived_no_title", name=name)))
    if len(functions) != 1 or functions[0] not in FUNCTIONS:
        word = functions[0] if functions else ""
        problems.append(source.problem(where, "facts.unknown_function",
                                       say("rules.facts.unknown_function", name=name, found=names(functions) or "-"),
                                       suggest(word, FUNCTIONS) or say("hint.known_names", names=names(FUNCTIONS))))
        return None
    fname = functions[0]
    args = spec[fname]
    wanted = FUNCTIONS[fname].args
    if not isinstance(args, list) or len(args) != len(wanted):
        problems.append(source.problem(where + (fname,), "facts.bad_arguments",
                                       say("rules.facts.argument_count", function=fname, n=len(wanted))))
        return None
    ok = True
    for i, (arg, want) in enumerate(zip(args, wanted, strict=False)):
        if arg not in types:
            problems.append(source.problem(where + (fname, i), "facts.unknown_fact",
                                           say("rules.facts.unknown_fact", name=name, fact=arg),
                                           suggest(arg, types) or say("rules.facts.unknown_fact.hint")))
            ok = False
        elif types[arg].type != want:
            problems.append(source.problem(where + (fname, i), "facts.bad_arguments",
                                           say("rules.facts.argument_type", function=fname, wanted=type_name(want),
                                               fact=arg, found=type_name(types[arg].type))))
            ok = False
    return Derived(name, fname, tuple(args)) if ok else None
