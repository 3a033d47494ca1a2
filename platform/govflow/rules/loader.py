"""Loading every rule file of a folder into a RuleBook, with file:line problems."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..bulk import paused_gc
from ..errors import Problem
from ..say import names, say
from ..yamlsource import Source, load_file
from . import citizen_text
from .book import RuleBook
from .catalogue import file_version, load_catalogue, load_schema, schema_problems
from .conditions import ConditionReader
from .durable_adapter import EXPRESSION_LIMIT, compile_rule, expression_count
from .example_lists import check_list_example
from .facts import coerce
from .model import Example, FactType, Rule, Ruleset, facts_read, file_label, freeze
from .outcomes import check_outcome
from .schema_refs import inline_refs
from .wording import rule_label, suggest, type_name


def load_rulebook(rules_dir: Path, form_fact_types: dict[str, FactType], picklists,
                  connector_facts: dict[str, FactType] | None = None) -> tuple[RuleBook | None, list[Problem]]:
    """Read rules_dir/facts.yaml and every other rules_dir/*.yaml; None when any error was found.
    The facts the connectors' look-ups answer are known too (by default those of the project's
    connectors/ beside rules_dir)."""
    if connector_facts is None:
        from ..connectors.loader import load_connectors
        connector_facts = load_connectors(Path(rules_dir).parent)[0].fact_types()
    with paused_gc():                           # see bulk.py: twice as fast for large rule files
        return _load_rulebook(Path(rules_dir), {**form_fact_types, **connector_facts}, picklists)


def _load_rulebook(rules_dir: Path, form_fact_types: dict[str, FactType],
                   picklists) -> tuple[RuleBook | None, list[Problem]]:
    schema = inline_refs(load_schema())          # the same errors, three times faster
    catalogue, problems = load_catalogue(rules_dir, form_fact_types, schema, picklists)
    rulesets: dict[str, Ruleset] = {}
    seen_ids: dict[str, Rule | str] = {}
    for path in sorted(rules_dir.glob("*.yaml")):
        if path.name == "facts.yaml":
            continue
        ruleset, found = _load_file(path, catalogue, picklists, schema, seen_ids)
        problems += found
        if ruleset is not None:
            rulesets[ruleset.name] = ruleset
    if any(p.severity == "error" for p in problems):
        return None, problems
    return RuleBook(rulesets, catalogue), problems


def _load_file(path: Path, catalogue, picklists, schema: dict, seen_ids: dict):
    source, problems = load_file(path, file_label(path))
    if source is None:
        return None, problems
    problems += schema_problems(source, schema, "rule.schema", _finer_check)
    data = source.data
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        return None, problems
    if data.get("ruleset") != path.stem:
        problems.append(source.problem(("ruleset",), "rule.ruleset_name",
                                       say("rules.loader.ruleset_name", name=data.get("ruleset"), file=path.name),
                                       say("rules.loader.ruleset_name.hint", stem=path.stem)))
    reader = ConditionReader(source, catalogue.types, picklists, catalogue)
    rules: list[Rule] = []
    for i, raw in enumerate(data["rules"]):
        rule = _rule(source, raw, ("rules", i), reader, catalogue, seen_ids, problems)
        if rule is not None:
            rules.append(rule)
    problems += reader.problems
    rule_ids = {raw.get("id") for raw in data["rules"] if isinstance(raw, dict)}
    for i, raw in enumerate(data["rules"]):
        problems += _check_examples(source, raw, ("rules", i), rule_ids, catalogue)
    ruleset = Ruleset(path.stem, str(data.get("title", "")), source.file, file_version(path), rules)
    return ruleset, problems


def _finer_check(path: tuple) -> bool:
    """Schema errors inside when/then are reported by the condition and outcome checks instead."""
    return len(path) >= 3 and path[0] == "rules" and path[2] in ("when", "then")


def _rule(source: Source, raw: Any, where: tuple, reader: ConditionReader, catalogue,
          seen_ids: dict, problems: list) -> Rule | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    rule_id = raw["id"]
    if rule_id in seen_ids:
        problems.append(source.problem(where + ("id",), "rule.duplicate_id",
                                       say("rules.loader.duplicate_id", id=rule_id, where=seen_ids[rule_id]),
                                       say("rules.loader.duplicate_id.hint")))
        return None
    seen_ids[rule_id] = f"{source.file}:{source.line(where + ('id',))}"
    problems += citizen_text.problems(source, raw, where)
    if "when" not in raw or "then" not in raw:
        return None
    when = reader.read(raw["when"], where + ("when",))
    outcome_problems = check_outcome(source, raw["then"], where + ("then",), catalogue.types)
    problems += outcome_problems
    if when is None or outcome_problems:
        return None
    used = expression_count(compile_rule(when))
    if used > EXPRESSION_LIMIT:
        problems.append(source.problem(where + ("when",), "rule.too_complex",
                                       say("rules.loader.too_complex", rule=rule_label(rule_id, raw.get("title")),
                                           used=used, limit=EXPRESSION_LIMIT),
                                       say("rules.loader.too_complex.hint")))
        return None
    read: list[str] = []
    for path in facts_read(when):
        read += [p for p in catalogue.inputs_of(path) if p not in read]
    examples = tuple(Example(ex.get("given") or {}, tuple(ex.get("fires") or ()),
                             source.line(where + ("examples", j)))
                     for j, ex in enumerate(raw.get("examples") or []) if isinstance(ex, dict))
    return Rule(id=rule_id, title=str(raw.get("title", "")), basis=str(raw.get("basis", "")),
                when=when, then=freeze(raw["then"]), examples=examples, file=source.file,
                line=source.line(where), facts_read=tuple(read), why=str(raw.get("why", "")))


def _check_examples(source: Source, raw: Any, where: tuple, rule_ids: set, catalogue) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(raw, dict):
        return out
    if not isinstance(raw.get("examples") or [], list):
        return out                                  # the schema error says what is wrong there
    positive = negative = False
    for j, example in enumerate(raw.get("examples") or []):
        at = where + ("examples", j)
        if not isinstance(example, dict):
            continue
        fires = example.get("fires") or []
        for k, rule_id in enumerate(fires):
            if rule_id not in rule_ids:
                out.append(source.problem(at + ("fires", k), "rule.example_unknown_rule",
                                          say("rules.loader.example_unknown_rule", id=rule_id),
                                          suggest(rule_id, rule_ids - {None})
                                          or say("rules.loader.example_unknown_rule.hint")))
        positive |= raw.get("id") in fires
        negative |= raw.get("id") not in fires
        given = example.get("given")
        if isinstance(given, dict):
            out += _check_given(source, given, at + ("given",), (), catalogue)
    if raw.get("examples") and not (positive and negative):
        out.append(source.problem(where + ("examples",), "rule.examples_one_sided",
                                  say("rules.loader.examples_one_sided",
                                      rule=rule_label(raw.get("id"), raw.get("title"))),
                                  severity="warning"))
    return out


def _check_given(source: Source, given: dict, at: tuple, prefix: tuple, catalogue) -> list[Problem]:
    out: list[Problem] = []
    derived = {d.path for d in catalogue.derived}
    for key, value in given.items():
        path = ".".join(prefix + (str(key),))
        if isinstance(value, dict):
            out += _check_given(source, value, at + (key,), prefix + (str(key),), catalogue)
            continue
        ftype = catalogue.types.get(path)
        if ftype is None or path in derived:
            out.append(source.problem(at + (key,), "rule.example_unknown_fact",
                                      say("rules.loader.example_derived_fact" if path in derived
                                          else "rules.loader.example_unknown_fact", path=path),
                                      _inputs_hint(path, catalogue) or suggest(path, set(catalogue.types) - derived)))
            continue
        if value is None:
            continue
        if ftype.type == "array":
            out += check_list_example(source, at + (key,), path, ftype, value)
            continue
        ok, normal = coerce(ftype.type, value)
        if not ok:
            out.append(source.problem(at + (key,), "rule.wrong_value_type",
                                      say("rules.loader.example_wrong_type", value=value, path=path,
                                          type=type_name(ftype.type))))
        elif ftype.enum is not None and normal not in ftype.enum and not path.startswith("form."):
            # a form answer may be anything a client posts: examples may show a rule guarding against it
            out.append(source.problem(at + (key,), "rule.value_not_in_enum",
                                      say("rules.loader.example_not_in_enum", value=value, path=path),
                                      suggest(value, ftype.enum)
                                      or say("hint.known_names", names=names(ftype.enum))))
    return out


def _inputs_hint(path: str, catalogue) -> str | None:
    """For a derived fact given in an example: the facts it is computed from, to give instead."""
    for d in catalogue.derived:
        if d.path == path:
            return say("rules.loader.example_derived_fact.hint", inputs=names(d.args))
    return None
