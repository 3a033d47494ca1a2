"""connectors/*.yaml: read into a catalog, checked file by file and against the flows and rules.

Each mistake a policy officer can make in a declaration, or in a flow using one, is refused with
the file and line where it is written and a Chinese message."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from govflow.connectors.loader import load_connectors
from govflow.connectors.model import Source
from govflow.connectors.runtime import Values
from govflow.definitions import load_definitions

ROOT = Path(__file__).resolve().parents[1]


def project(tmp_path: Path) -> Path:
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def errors(root: Path) -> list:
    _, problems = load_definitions(root)
    return [p for p in problems if p.severity == "error"]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_every_shipped_declaration_loads():
    catalog, problems = load_connectors(ROOT)
    assert [p for p in problems if p.severity == "error"] == []
    assert catalog.connectors, "connectors/ declares the outside systems"
    for connector in catalog.connectors.values():
        assert connector.file == f"connectors/{connector.id}.yaml"
        for operation in connector.operations.values():
            assert operation.failures, f"{operation.name}: say what the system may refuse"
    # every look-up fact is typed and titled for auditors
    for path, ftype in catalog.fact_types().items():
        assert ftype.title, path


def test_look_up_facts_are_known_to_the_rules():
    definitions, _ = load_definitions(ROOT)
    assert definitions is not None
    types = definitions.rulebook.catalogue.types
    for path in definitions.connectors.fact_types():
        assert path in types


def test_a_rule_reading_a_fact_no_connector_declares_is_refused_with_file_and_line(tmp_path):
    root = project(tmp_path)
    rules = sorted(p for p in (root / "rules").glob("*.yaml") if p.name != "facts.yaml")
    target = next(p for p in rules if "fact: identity.residency" in p.read_text("utf-8"))
    edit(target, "fact: identity.residency", "fact: registry.card_status")
    found = [p for p in errors(root) if p.code == "rule.unknown_fact"]
    assert found and found[0].file == f"rules/{target.name}"
    assert found[0].line == line_of(target, "registry.card_status")
    assert "registry.card_status" in found[0].message


def _submitting_flow(root: Path) -> tuple[Path, str]:
    """A shipped flow with a `submit:` and the operation it names."""
    for path in sorted((root / "flows").glob("*.yaml")):
        for line in path.read_text("utf-8").splitlines():
            name = line.split(":", 1)[1].strip() if line.strip().startswith("submit:") else ""
            if name.isidentifier():                  # `submit: <operation>` (not the `{operation: ...}` form)
                return path, name
    raise AssertionError("no flow submits anything")


def test_an_operation_missing_a_request_field_is_refused_at_the_button(tmp_path):
    root = project(tmp_path)
    flow, operation = _submitting_flow(root)
    declaration = next(p for p in (root / "connectors").glob("*.yaml") if f"\n  {operation}:" in p.read_text("utf-8"))
    data = yaml.safe_load(declaration.read_text("utf-8"))
    first = next(iter(data["operations"][operation]["request"]))
    text = declaration.read_text("utf-8")
    start = text.index(f"\n  {operation}:\n")
    at = text.index(f"      {first}:", start)
    end = text.index("\n", at)
    declaration.write_text(text[:at] + f"      {first}: {{type: string, title: 缺少来源的字段}}" + text[end:], "utf-8")
    found = [p for p in errors(root) if p.code == "flow.operation_request_incomplete"]
    assert found, errors(root)
    assert found[0].file == f"flows/{flow.name}"
    assert found[0].line == line_of(flow, f"submit: {operation}")
    assert "缺少请求字段“缺少来源的字段”" in found[0].message and first in found[0].message


def test_the_flow_may_say_where_a_request_field_comes_from(tmp_path):
    root = project(tmp_path)
    flow, operation = _submitting_flow(root)
    declaration = next(p for p in (root / "connectors").glob("*.yaml") if f"\n  {operation}:" in p.read_text("utf-8"))
    edit(declaration, "    request:\n", "    request:\n      note: {type: string, title: 备注}\n")
    assert any(p.code == "flow.operation_request_incomplete" and "备注" in p.message for p in errors(root))
    # the flow gives it: from an identity fact
    edit(flow, f"submit: {operation}",
         f"submit: {{operation: {operation}, request: {{note: {{from: identity.name}}}}}}")
    assert not [p for p in errors(root) if p.code == "flow.operation_request_incomplete"
                and p.file == f"flows/{flow.name}" and "备注" in p.message]


def test_a_submit_naming_no_operation_is_refused_with_a_suggestion(tmp_path):
    root = project(tmp_path)
    flow, operation = _submitting_flow(root)
    edit(flow, f"submit: {operation}", f"submit: {operation}x")
    found = [p for p in errors(root) if p.code == "flow.unknown_operation"]
    assert len(found) == 1 and found[0].file == f"flows/{flow.name}"
    assert found[0].line == line_of(flow, f"submit: {operation}x")
    assert operation in (found[0].hint or "")


def test_a_source_that_names_nothing_is_refused(tmp_path):
    root = project(tmp_path)
    flow, operation = _submitting_flow(root)
    edit(flow, f"submit: {operation}",
         f"submit: {{operation: {operation}, request: {{ssn: {{from: form.no_such_field}}}}}}")
    found = [p for p in errors(root) if p.code == "connector.unknown_source"]
    assert found and found[0].file == f"flows/{flow.name}" and "form.no_such_field" in found[0].message


def test_a_selection_on_a_field_records_do_not_have_is_refused(tmp_path):
    root = project(tmp_path)
    path = next(p for p in (root / "connectors").glob("*.yaml") if "pick:" in p.read_text("utf-8"))
    text = path.read_text("utf-8")
    pick = next(line for line in text.splitlines() if line.strip().startswith("pick:"))
    edit(path, pick, pick.split("pick:")[0] + "pick: no_such_column")
    found = [p for p in errors(root) if p.code == "connector.bad_selection"]
    assert found and found[0].file == f"connectors/{path.name}" and "no_such_column" in found[0].message


@pytest.mark.parametrize("case", ["id", "path", "duplicate", "schema", "facts_twice"])
def test_declaration_mistakes_are_refused_where_they_are_written(tmp_path, case):
    root = project(tmp_path)
    first = next(p for p in sorted((root / "connectors").glob("*.yaml")) if "lookups:" in p.read_text("utf-8"))
    data = yaml.safe_load(first.read_text("utf-8"))
    if case == "id":
        edit(first, f"id: {data['id']}", f"id: {data['id']}_other")
        code, where = "connector.id_not_file_name", f"id: {data['id']}_other"
    elif case == "path":
        edit(first, 'path: "/', 'path: "/{nobody}/')
        code, where = "connector.unknown_path_parameter", "{nobody}"
    elif case == "duplicate":
        name = next(iter(data["operations"]))
        copy = root / "connectors" / "zz_copy.yaml"
        copy.write_text(f"id: zz_copy\ntitle: 副本\noperations:\n  {name}:\n    title: 重复\n    request: {{}}\n"
                        "    response: {}\n", encoding="utf-8")
        code, where, first = "connector.duplicate_operation", f"  {name}:", copy
    elif case == "schema":
        edit(first, "description:", "descripton:")
        code, where = "connector.schema", "descripton:"
    else:
        facts = root / "rules" / "facts.yaml"
        lookup = next(iter(data["lookups"].values()))
        fact = f"{lookup['facts']}.{next(iter(lookup['returns']))}"
        edit(facts, "facts:\n", f"facts:\n  {fact}: {{type: integer, title: 再声明一次}}\n")
        code, where, first = "facts.duplicate_fact", fact, facts
    found = [p for p in errors(root) if p.code == code]
    assert found, [(p.code, p.message) for p in errors(root)]
    assert found[0].line == line_of(first, where)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in found[0].message)


def test_values_select_and_pick_from_records():
    values = Values(facts={"sys": {"items": [{"n": "1", "ok": True}, {"n": "2", "ok": False}, "junk"]}})
    assert values.get(Source(path="sys.items", where=(("ok", True),), pick="n")) == ["1"]
    assert values.get(Source(path="sys.items", where=(("ok", False),))) == [{"n": "2", "ok": False}]
    assert values.get(Source(value=7)) == 7
    assert values.get(Source(path="sys.missing")) is None


def test_the_doc_explains_every_key_of_the_format():
    import json
    import re
    schema = json.loads((ROOT / "platform/govflow/schemas/connector.schema.json").read_text("utf-8"))
    keys = set(schema["properties"])
    for name in ("lookup", "operation", "request_field", "source", "endpoint"):
        keys |= set(schema["$defs"][name]["properties"])
    keys |= set(schema["properties"]["http"]["properties"])
    doc = (ROOT / "docs/connectors.md").read_text("utf-8")
    written = set(re.findall(r"`([a-z_]+)", doc))
    assert keys - written == set()
    for example in ("connectors/registry.yaml", "connectors/card_backend.yaml"):
        assert example in doc and (ROOT / example).exists()
