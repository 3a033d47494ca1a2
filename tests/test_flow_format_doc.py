"""docs/flow-format.md and the JSON Schema of flow files must describe the same keys.

The doc has one key table per kind of object (the file, a page, a field, an action ...),
each after a marker `<!-- keys: POINTER -->` naming the object in the schema by its JSON
pointer. A key added to (or removed from) the schema without the doc, or the other way
round, fails here; so does a new kind of object without its table.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from govflow import cli, formats
from govflow.definitions import load_definitions
from govflow.definitions.metaschema import flow_schema
from govflow.rules.conditions import OPERATORS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "flow-format.md"
MARKER = re.compile(r"^<!-- keys: (\S+) -->\s*$")
KEY_CELL = re.compile(r"^\|\s*`([A-Za-z_]+)`\s*\|")


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def documented_tables() -> dict[str, list[str]]:
    """POINTER -> the keys of the first column of the table that follows its marker."""
    tables: dict[str, list[str]] = {}
    lines = doc_text().splitlines()
    for i, line in enumerate(lines):
        found = MARKER.match(line)
        if not found:
            continue
        pointer = found.group(1)
        assert pointer not in tables, f"two key tables for {pointer}"
        rows = []
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        while j < len(lines) and lines[j].startswith("|"):
            rows.append(lines[j])
            j += 1
        assert len(rows) > 2, f"no table after the marker for {pointer}"
        keys = []
        for row in rows[2:]:                       # header and |---| line
            cell = KEY_CELL.match(row)
            assert cell, f"row of the {pointer} table does not start with a `key`: {row}"
            keys.append(cell.group(1))
        tables[pointer] = keys
    return tables


def objects_with_keys(node, pointer: str = "", out: dict | None = None) -> dict[str, set[str]]:
    """JSON pointer -> property names, for every schema object that defines `properties`."""
    out = {} if out is None else out
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            out[pointer or "/"] = set(node["properties"])
        for key, value in node.items():
            objects_with_keys(value, f"{pointer}/{key}", out)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            objects_with_keys(item, f"{pointer}/{i}", out)
    return out


def enum_values(node, out: set | None = None) -> set[str]:
    out = set() if out is None else out
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            out.update(str(v) for v in node["enum"])
        for value in node.values():
            enum_values(value, out)
    elif isinstance(node, list):
        for item in node:
            enum_values(item, out)
    return out


def in_backticks(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


def test_every_schema_object_has_a_key_table_and_no_table_is_stray():
    in_schema = set(objects_with_keys(flow_schema()))
    documented = set(documented_tables())
    assert in_schema - documented == set(), "schema objects without a key table in the doc"
    assert documented - in_schema == set(), "key tables for objects the schema does not have"


def test_each_key_table_lists_exactly_the_keys_of_its_schema_object():
    schema = objects_with_keys(flow_schema())
    for pointer, keys in documented_tables().items():
        assert len(keys) == len(set(keys)), (pointer, "a key is listed twice")
        assert set(keys) - schema[pointer] == set(), (pointer, "documented but not in the schema")
        assert schema[pointer] - set(keys) == set(), (pointer, "in the schema but not documented")


def test_every_schema_key_and_value_appears_in_backticks():
    schema = flow_schema()
    keys = set().union(*objects_with_keys(schema).values())
    written = in_backticks(doc_text())
    assert keys - written == set(), "keys not written as `key` in the doc"
    assert enum_values(schema) - written == set(), "allowed values not written as `value` in the doc"


def test_conditions_and_formats_match_the_code():
    conditions = flow_schema()["$defs"]["condition"]["properties"]
    assert set(conditions) == set(OPERATORS) | {"all", "any", "not", "fact", "field"}
    written = in_backticks(doc_text())
    assert set(formats.CHECKS) - written == set(), "formats not documented"


def test_the_example_flow_of_the_doc_is_valid_under_the_schema():
    blocks = re.findall(r"```yaml\n(.*?)```", doc_text(), flags=re.S)
    example = yaml.safe_load(blocks[0])
    assert example["id"] and example["pages"]
    errors = list(jsonschema.Draft202012Validator(flow_schema()).iter_errors(example))
    assert errors == [], [e.message for e in errors]


def checker_output(root: Path, lang: str, monkeypatch, capsys) -> list[str]:
    """What `govflow check` prints for `root` in `lang` ('zh', the default of `make check`, or 'en')."""
    monkeypatch.setenv("GOVFLOW_LANG", lang)
    monkeypatch.delenv("DATABASE_URL", raising=False)          # the copy alone, no published history
    cli.main(["--root", str(root), "--lang", lang, "check"])
    out = capsys.readouterr().out
    out = re.sub(r"用时[\d.]+秒", "用时0.5秒", re.sub(r"\([\d.]+ s\)", "(0.5 s)", out))   # the doc shows 0.5
    return [line for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_error_shown_in_the_doc_is_what_the_checker_prints(tmp_path, monkeypatch, capsys, lang):
    for name in ("flows", "rules", "connectors", "reference"):
        shutil.copytree(ROOT / name, tmp_path / name)
    flow = tmp_path / "flows" / "sscard_adult.yaml"
    text = flow.read_text("utf-8")
    assert "next: photo}" in text
    flow.write_text(text.replace("next: photo}", "next: phtoo}", 1), "utf-8")
    _, problems = load_definitions(tmp_path)
    assert any(p.code == "flow.unknown_page" for p in problems)
    printed = checker_output(tmp_path, lang, monkeypatch, capsys)
    first = next(line for line in printed if line.endswith("[flow.unknown_page]"))
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", doc_text(), flags=re.S | re.M)
    shown = [b for b in blocks if "[flow.unknown_page]" in b]
    assert any(first in b for b in shown), f"the doc should show, as {lang} output of the checker:\n{first}"
    assert any(printed[-1] in b for b in shown), f"the doc should end that {lang} output with:\n{printed[-1]}"


PART = {"options": "options", "content": "blocks", "actions": "items:action", "next": "target",
        "review": "items:review_section", "when": "condition", "pages": "items:page_use"}


def test_every_example_of_the_doc_is_valid_where_it_would_be_written():
    """Each ```yaml example (a page, fields, options, content, buttons, a target, review
    sections, a condition) is checked against the part of the schema it would be written in;
    an example shortened with `...` is left out."""
    schema = flow_schema()
    checked = 0
    for block in re.findall(r"^```yaml\n(.*?)^```", doc_text(), flags=re.S | re.M)[1:]:
        if re.search(r"^\s*\.\.\.\s*$|: \.\.\.\s*$", block, flags=re.M):
            continue
        data = yaml.safe_load(block)
        if isinstance(data, list):
            parts = [("page", page) for page in data]
        elif set(data) <= set(PART):
            parts = [(PART[key], value) for key, value in data.items()]
        else:
            parts = [("field", field) for field in data.values()]
        for name, value in parts:
            items, _, name = name.rpartition(":")
            node = {"type": "array", "items": {"$ref": f"#/$defs/{name}"}} if items else {"$ref": f"#/$defs/{name}"}
            errors = list(jsonschema.Draft202012Validator(dict(node, **{"$defs": schema["$defs"]})).iter_errors(value))
            assert errors == [], (name, value, [e.message for e in errors])
            checked += 1
    assert checked >= 10


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("name", ["flow-format.md", "rule-format.md", "scenarios.md"])
def test_links_of_the_policy_docs_lead_to_files_and_headings(name):
    text = (ROOT / "docs" / name).read_text("utf-8")
    assert "internals.md" in text.split("\n## ")[0], "the note on developers' internals at the top"
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        path, _, anchor = target.partition("#")
        linked = (ROOT / "docs" / path) if path else ROOT / "docs" / name
        assert linked.is_file(), (name, target)
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text("utf-8"), flags=re.M)
            assert anchor in {slug(h) for h in headings}, (name, target)
