"""A field whose answer is one record of a list fact (`options_from:`, journey/records.py): shown as a
radio table in HTML and as an `enum` with the rows in the API, checked on the server for both, with
the flow's `empty` text when there is no record; and the `where:` of a `records` block.

The flow is a test fixture (tests/fixtures/record_choice/), copied into a copy of the project."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apptools import make_app
from govflow.definitions import load_definitions
from govflow.definitions.model import FieldDef
from govflow.journey import records
from walkers import ApiWalker, HtmlWalker

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "record_choice" / "choose_record.yaml"
FLOW = "choose_record"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    for name in ("flows", "rules", "reference", "demo", "connectors"):
        shutil.copytree(ROOT / name, root / name)
    (root / "renderers").symlink_to(ROOT / "renderers")
    shutil.copy(FIXTURE, root / "flows" / FIXTURE.name)
    loaded, problems = load_definitions(root)
    assert loaded is not None and [p for p in problems if p.severity == "error"] == []
    return root, loaded


@pytest.fixture
def record_app(tmp_path, project):
    root, loaded = project
    app = make_app(tmp_path, loaded, PROJECT_DIR=root)
    yield app
    app.extensions["govflow"].env.store.close()


def _api(record_app, persona):
    api = ApiWalker(record_app.test_client(), record_app)
    api.create(FLOW)
    assert api.verify(persona)["page"] == "choose"
    return api


def _field(body):
    return next(f for f in body["fields"] if f["name"] == "card_number")


def test_api_offers_the_records_as_an_enum_with_rows(record_app):
    api = _api(record_app, "two_cards")
    _, body = api.page("choose")
    field = _field(body)
    assert field["widget"] == "records" and field["enum"] == ["A40127356", "A60288941"]
    assert [r["cells"]["issuing_city_name"] for r in field["records"]] == ["广州市", "佛山市"]
    assert field["records"][0]["cells"]["card_number"] == "A401*7356"          # the column says mask: id
    assert field["value"] is None                                             # two records: none chosen
    assert [r["card_number"] for r in body["content"][0]["rows"]] == field["enum"]   # the block's where: too
    assert api.act("choose", "next", {}, expect=422)["errors"][0]["code"] == "required.choice"
    assert api.act("choose", "next", {"card_number": "B00000000"}, expect=422)["errors"][0]["code"] == \
        "records.not_offered"
    assert api.act("choose", "next", {"card_number": "A60288941"}, expect=200)["page"] == "done"


def test_the_flows_schema_names_the_list(record_app):
    body = record_app.test_client().get(f"/api/v1/flows/{FLOW}").get_json()
    page = next(p for p in body["pages"] if p["id"] == "choose")
    schema = page["schema"]["properties"]["card_number"]
    assert schema["x-options-from"] == {"list": "registry.cards", "value": "card_number",
                                        "columns": ["card_number", "issuing_city_name", "status"]}


def test_one_record_is_chosen_already(record_app):
    api = _api(record_app, "guardian_parent")
    _, body = api.page("choose")
    assert _field(body)["value"] == "A30155720"


def test_no_record_the_empty_text_and_no_answer(record_app):
    api = _api(record_app, "mainland_adult")
    _, body = api.page("choose")
    assert _field(body)["records"] == [] and _field(body)["empty"] == "您名下没有可以选择的记录"
    for data in ({}, {"card_number": "A40127356"}):
        error = api.act("choose", "next", data, expect=422)["errors"][0]
        assert (error["code"], error["message"]) == ("records.none", "您名下没有可以选择的记录")


def test_html_shows_a_radio_table_and_checks_the_answer(record_app):
    web = HtmlWalker(record_app.test_client(), record_app)
    web.start(FLOW)
    web.verify("two_cards")
    html = web.get("choose").get_data(as_text=True)
    radios = re.findall(r'<input type="radio" name="card_number" value="([^"]+)"', html)
    assert radios == ["A40127356", "A60288941"] and "A401*7356" in html and "佛山市" in html
    web.post("choose", "next", {"card_number": "A40127356x"}, expect=422)
    assert ("card_number", "records.not_offered") in web.errors()
    web.post("choose", "next", {"card_number": "A40127356"}, expect=302)


def test_html_without_records_says_the_empty_text(record_app):
    web = HtmlWalker(record_app.test_client(), record_app)
    web.start(FLOW)
    web.verify("mainland_adult")
    assert "您名下没有可以选择的记录" in web.get("choose").get_data(as_text=True)
    web.post("choose", "next", {}, expect=422)
    assert web.errors() == [("card_number", "records.none")]


_WALKS: dict = {}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.floats(),
                       st.lists(st.text(max_size=3), max_size=2), st.dictionaries(st.text(max_size=2), st.none()),
                       st.sampled_from(["a40127356", "A40127356\x00", "A401*7356", "A4012735"])))
def test_any_other_posted_value_is_a_chinese_error_never_a_500(record_app, value):
    """One application (creating many is rate-limited) stays on the page: nothing but a record passes
    (spaces around a record's value are trimmed, as for every answer)."""
    if isinstance(value, str) and value.strip() in ("A40127356", "A60288941"):
        return
    api = _WALKS.get(id(record_app)) or _WALKS.setdefault(id(record_app), _api(record_app, "two_cards"))
    body = api.act("choose", "next", {"card_number": value})
    assert api.last.status_code == 422, (api.last.status_code, body)
    assert body["errors"] and all(re.search(r"[\u4e00-\u9fff]", e["message"]) for e in body["errors"])


# ---- unit tests of journey/records.py ------------------------------------------------------------

CONTEXT = {"looked_up": ["look"],
           "look": {"items": [{"key": "1", "state": "ok", "n": 1}, {"key": "2", "state": "gone", "n": 2},
                              {"key": "3", "state": "ok", "n": 3}, "not a record", {"state": "ok"}]}}


def _choice_field(**spec) -> FieldDef:
    return FieldDef(name="pick", title="选择", page_id="p", origin=None,  # type: ignore[arg-type]
                    options_from={"list": "look.items", "value": "key", "columns": {"key": "号", "n": "数"}, **spec})


@pytest.mark.parametrize("where, keys", [
    (None, ["1", "2", "3"]),
    ({"state": "ok"}, ["1", "3"]),
    ({"state": {"ne": "gone"}}, ["1", "3"]),
    ({"n": {"in": [2, 3]}}, ["2", "3"]),
    ({"n": {"not_in": [2, 3]}, "state": {"eq": "ok"}}, ["1"]),
])
def test_where_filters_the_records(where, keys):
    assert records.values(_choice_field(where=where), CONTEXT) == keys
    assert [r.get("key") for r in records.select(CONTEXT, "look.items", where)] == \
        [r.get("key") for r in CONTEXT["look"]["items"] if isinstance(r, dict) and records.matches(r, where)]


def test_a_list_that_is_not_there_has_no_records():
    assert records.select(CONTEXT, "look.nothing") == [] and records.select({}, "look.items") == []
    assert records.select({"looked_up": ["look"], "look": {"items": "text"}}, "look.items") == []
    assert records.select({"look": CONTEXT["look"]}, "look.items") == []        # not a look-up of the application


def test_choices_show_the_columns_masked_as_asked():
    field = _choice_field(columns={"key": {"title": "号", "mask": "id"}, "n": "数"})
    assert records.columns(field) == {"key": "号", "n": "数"}
    assert records.choices(field, CONTEXT)[0] == {"value": "1", "cells": {"key": "*", "n": "1"}}


def test_check_choice_codes():
    field = _choice_field()
    assert records.check_choice(field, "2", CONTEXT) is None
    assert records.check_choice(field, "9", CONTEXT).code == "records.not_offered"
    assert records.check_choice(field, ["1"], CONTEXT).code == "records.not_offered"
    assert records.check_choice(field, "1", {}).code == "records.none"


def test_options_and_options_from_together_is_refused(tmp_path, project):
    root, _ = project
    copy = tmp_path / "p"
    shutil.copytree(root, copy, symlinks=True)
    path = copy / "flows" / FIXTURE.name
    path.write_text(path.read_text("utf-8").replace("        options_from:\n",
                                                    "        options: [{value: a, label: A}]\n        options_from:\n"),
                    "utf-8")
    _, problems = load_definitions(copy)
    found = [p for p in problems if p.code == "flow.options_and_options_from"]
    assert found and found[0].file == "flows/choose_record.yaml" and found[0].line


IN = " " * 10           # the indentation of options_from's keys in the fixture


@pytest.mark.parametrize("old, new, code, at", [
    (IN + "list: registry.cards\n", IN + "list: registry.card\n", "flow.records_unknown_list", "registry.card"),
    (IN + "list: registry.cards\n", IN + "list: identity.name\n", "flow.records_unknown_list", "identity.name"),
    (IN + "value: card_number\n", IN + "value: card_no\n", "flow.records_unknown_key", "value: card_no"),
    (IN + "  status: 卡状态\n", IN + "  state: 卡状态\n", "flow.records_unknown_key", "state: 卡状态"),
    (IN + "where: {status: {ne: 注销}}\n", IN + "where: {stat: {ne: 注销}}\n", "flow.records_unknown_key", "{stat"),
])
def test_the_checker_knows_the_lists_and_their_keys(tmp_path, project, old, new, code, at):
    """`list:` must be a list of records some look-up answers; value, columns, where: its keys."""
    root, _ = project
    copy = tmp_path / "p"
    shutil.copytree(root, copy, symlinks=True)
    path = copy / "flows" / FIXTURE.name
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    _, problems = load_definitions(copy)
    found = [p for p in problems if p.code == code]
    assert len(found) == 1 and found[0].file == "flows/choose_record.yaml", [str(p) for p in problems]
    assert at in path.read_text("utf-8").splitlines()[found[0].line - 1], str(found[0])
