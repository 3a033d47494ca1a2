"""The form editor's model (publishing/forms.py, yamledit.py): what a form may change in a flow or
rule file, and how a change is written back — only the changed value's characters, everything else
(comments, order, quoting, flow style) byte for byte; values checked by kind, in Chinese."""
from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path

import pytest
import yaml

from govflow.publishing import forms

ROOT = Path(__file__).resolve().parents[1]
NAMES = sorted(str(p.relative_to(ROOT)) for d in ("flows", "flows/shared", "rules", "connectors")
               for p in (ROOT / d).glob("*.yaml"))
FILES = {name: (ROOT / name).read_text("utf-8") for name in NAMES}
FACTS = forms.fact_titles(FILES)
BUNDLE = {**FILES, **{str(p.relative_to(ROOT)): p.read_text("utf-8") for p in sorted((ROOT / "reference").rglob("*"))
                      if p.suffix in (".yaml", ".json")}}
RULES = "rules/id_card_validity.yaml"
AGE = "rules/0/when/all/2/lt"


def _items(name: str) -> dict[str, forms.Item]:
    return {i.key: i for g in forms.items(name, FILES[name], FACTS) for i in g.items}


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]


def _apply(name: str, **raw) -> forms.Applied:
    return forms.apply(name, FILES[name], {k.replace("__", "/"): v for k, v in raw.items()}, FACTS)


def test_the_items_of_a_rule_file_are_labelled_from_the_file_and_the_facts():
    items = _items(RULES)
    age = items[AGE]
    assert (age.kind, age.value) == ("number", 46)
    assert age.label == "规则 ID-004 的条件：证件签发时年龄（周岁） 小于"
    assert items["rules/0/then/refuse/message"].label == "规则 ID-004 拒绝时的提示文字"
    assert items["rules/0/examples/0/given/form/valid_from"].kind == "date"
    assert items["rules/0/examples/0/given/form/valid_from"].label == "规则 ID-004 的例子 1：证件有效开始日期"
    fires = items["rules/0/examples/0/fires"]
    assert (fires.kind, fires.value, fires.min_items) == ("list", ["ID-004"], 0)
    groups = forms.items(RULES, FILES[RULES], FACTS)
    assert [g.title for g in groups][:2] == ["规则集", "规则 ID-004 签发时未满46周岁的居民身份证有效期不能为长期"]
    assert groups[1].key == "rules[0]"


def test_the_items_of_a_flow_file_cover_pages_fields_options_messages_and_buttons():
    items = _items("flows/sscard_adult.yaml")
    labels = {i.label: i for i in items.values()}
    assert labels["页面“申领资格校验”的标题"].value == "申领资格校验"
    assert labels["填写项“意向发卡地”的提示文字"].kind == "text"
    required = labels["填写项“意向发卡地”必填"]
    assert (required.kind, required.value, required.negate) == ("boolean", True, True)
    assert labels["填写项“证件材料”的选项“id_card”的文字"].value == "居民身份证"
    assert labels["填写项“本人已认真阅读，理解并自愿接受以上约定”的错误提示（required）"].kind == "text"
    assert labels["按钮“资格校验”的文字"].value == "资格校验"
    assert "填写项“姓名”必填" not in labels                      # a read-only field is never required
    shared = {i.label: i for i in _items("flows/shared/sscard_content.yaml").values()}
    block = shared["共用内容“guide_sections”第 1 个内容块（段落）的正文"]
    assert block.kind == "multiline" and block.value.count("\n") == 2
    assert shared["共用内容“guide_steps”第 1 个内容块（办理流程）的各项"].kind == "list"


@pytest.mark.parametrize("name", NAMES)
def test_an_unchanged_save_gives_the_identical_text(name):
    sent = {i.key: forms.shown(i) for g in forms.items(name, FILES[name], FACTS) for i in g.items}
    assert sent
    applied = forms.apply(name, FILES[name], sent, FACTS)
    assert applied.errors == {} and applied.changed == () and applied.text == FILES[name]
    # as a browser sends it back: textareas with CRLF
    crlf = {k: v.replace("\n", "\r\n") for k, v in sent.items()}
    assert forms.apply(name, FILES[name], crlf, FACTS).text == FILES[name]


def test_a_number_in_a_flow_style_condition_changes_only_its_characters():
    applied = _apply(RULES, **{AGE: "45"})
    assert applied.errors == {} and applied.changed == (AGE,)
    before, after = FILES[RULES], applied.text
    assert len(after) == len(before)
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [before.index("lt: 46") + 5]
    assert "- {fact: id_card.age_at_issue, lt: 45}\n" in after
    assert yaml.safe_load(after)["rules"][0]["when"]["all"][2]["lt"] == 45


def test_a_list_item_is_added_and_removed_in_its_own_style():
    name, key = "rules/precheck.yaml", "rules/0/when/not_in"
    assert _items(name)[key].value == ["mainland", "hk", "macau", "taiwan"]
    added = _apply(name, **{key: "mainland\nhk\nmacau\ntaiwan\noverseas_chinese"})
    assert _changed_lines(FILES[name], added.text) == [
        "-     when: {fact: identity.residency, not_in: [mainland, hk, macau, taiwan]}",
        "+     when: {fact: identity.residency, not_in: [mainland, hk, macau, taiwan, overseas_chinese]}"]
    removed = _apply(name, **{key: "mainland\nhk\r\nmacau\n"})
    assert "not_in: [mainland, hk, macau]}" in removed.text and len(_changed_lines(FILES[name], removed.text)) == 2
    block = "flows/shared/sscard_content.yaml"
    items = next(i for i in _items(block).values() if i.kind == "list" and i.value and "内地居民" in i.value[0])
    fewer = forms.apply(block, FILES[block], {items.key: "\n".join(items.value[:-1])}, FACTS)
    assert _changed_lines(FILES[block], fewer.text) == ["-         - " + items.value[-1]]


def test_a_message_changes_and_keeps_its_quoting_or_gets_quotes_when_it_needs_them():
    key = "rules/0/then/refuse/message"
    old = _items(RULES)[key].value
    applied = _apply(RULES, **{key: old.replace("46", "45")})
    assert _changed_lines(FILES[RULES], applied.text) == ["-         message: " + old,
                                                          "+         message: " + old.replace("46", "45")]
    tricky = _apply(RULES, **{key: "注意: 请核对 # 证件"})
    assert 'message: "注意: 请核对 # 证件"\n' in tricky.text
    assert yaml.safe_load(tricky.text)["rules"][0]["then"]["refuse"]["message"] == "注意: 请核对 # 证件"
    block = "flows/shared/sscard_content.yaml"
    text = next(i for i in _items(block).values() if i.kind == "multiline" and i.path[-1] == "text")
    rewritten = forms.apply(block, FILES[block], {text.key: "第一段\r\n第二段"}, FACTS)
    assert rewritten.errors == {}
    assert yaml.safe_load(rewritten.text)["content"]["guide_sections"][0]["text"] == "第一段\n第二段\n"


def test_a_field_is_marked_required_or_optional():
    name = "flows/sscard_adult.yaml"
    items = _items(name)
    city = next(i for i in items.values() if i.label == "填写项“意向发卡地”必填")
    optional = _apply(name, **{city.key: "false"})
    assert _changed_lines(FILES[name], optional.text) == ["+         optional: true"]
    assert yaml.safe_load(optional.text)["pages"][1]["fields"]["issuing_city"]["optional"] is True
    again = forms.apply(name, optional.text, {city.key: "true"}, FACTS)      # and back: the key says false
    assert yaml.safe_load(again.text)["pages"][1]["fields"]["issuing_city"]["optional"] is False
    upload = next(i for i in items.values() if i.label == "填写项“身份证国徽面”必填")
    flow_style = _apply(name, **{upload.key: "false"})
    assert _changed_lines(FILES[name], flow_style.text)[1].endswith("eq: id_card}, optional: true}")


def test_an_examples_fires_and_date_change_and_the_rules_still_load():
    from govflow.definitions.edits import check_edit
    fires, when = "rules/0/examples/1/fires", "rules/0/examples/0/given/form/valid_from"
    applied = _apply(RULES, **{fires: "ID-004"})
    assert "      - given: {identity: {id_type: resident_id_card, birth_date: 1980-03-10}, form: {long_term: true, " \
           "valid_from: 2026-03-10}}\n        fires: [ID-004]\n" in applied.text
    assert not [p for p in check_edit(BUNDLE, RULES, FILES[RULES]) if p.severity == "error"]
    failing = [p for p in check_edit(BUNDLE, RULES, applied.text) if p.severity == "error"]
    assert failing and all("ID-004" in p.message for p in failing)                      # that example now fails
    moved = _apply(RULES, **{AGE: "45", when: "2025-03-09"})
    assert moved.errors == {} and len(_changed_lines(FILES[RULES], moved.text)) == 4
    assert yaml.safe_load(moved.text)["rules"][0]["examples"][0]["given"]["form"]["valid_from"] == date(2025, 3, 9)
    assert not [p for p in check_edit(BUNDLE, RULES, moved.text) if p.severity == "error"]


@pytest.mark.parametrize("key, raw, message", [
    (AGE, "四十五", "请填写整数，例如 45"),
    (AGE, "45.5", "请填写整数，例如 45"),
    ("rules/0/examples/0/given/form/valid_from", "2025-02-30", "请填写有效的日期（年-月-日），例如 2026-03-09"),
    ("rules/0/examples/0/given/form/long_term", "maybe", "请选择“是”或“否”"),
    ("rules/0/then/refuse/message", "   ", "不能为空"),
    ("rules/0/title", "一行\n两行", "只能填写一行"),
    ("rules/0/examples/0/fires", "ID-004\n\nID-005", "第 2 行是空的：每行填写一项，请删去空行"),
    ("rules/0/examples/0/fires", "ID-004\nID-004", "“ID-004”重复了，每项只能出现一次"),
])
def test_invalid_values_are_refused_in_chinese_and_nothing_is_written(key, raw, message):
    applied = forms.apply(RULES, FILES[RULES], {key: raw, "rules/0/title": "改过的标题"} if key != "rules/0/title"
                          else {key: raw}, FACTS)
    assert applied.errors == {key: message} and applied.text == FILES[RULES] and applied.changed == ()


def test_a_condition_list_must_keep_one_item_and_an_unreadable_file_is_said_so():
    applied = _apply("rules/precheck.yaml", **{"rules/0/when/not_in": ""})
    assert applied.errors == {"rules/0/when/not_in": "至少要保留一项"}
    with pytest.raises(forms.Unreadable):
        forms.items(RULES, "rules: [\n", FACTS)
    assert forms.editable("flows/shared/x.yaml") and forms.editable(RULES) and not forms.editable("reference/a.yaml")
