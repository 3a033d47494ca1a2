"""One root cause, one message (issue 13): each mistake below, made in a copy of the shipped files
as a policy officer made it, gives exactly one error, at the file and line of the mistake, in
Chinese — no follow-on errors elsewhere, no suggestion of the typo itself."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govflow import say
from govflow.definitions import load_definitions
from govflow.errors import Problem

ROOT = Path(__file__).resolve().parents[1]
CONTENT = "flows/shared/sscard_content.yaml"
ADULT = "flows/sscard_adult.yaml"
MINOR = "flows/sscard_minor.yaml"


@pytest.fixture(autouse=True)
def _chinese(monkeypatch):
    monkeypatch.setenv("GOVFLOW_LANG", "zh")


def _project_copy(tmp_path: Path) -> Path:
    for name in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def _break(root: Path, file: str, old: str, new: str) -> list[str]:
    path = root / file
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"fixture text not found once in {file}: {old!r}"
    path.write_text(text.replace(old, new), "utf-8")
    return path.read_text("utf-8").splitlines()


def _only_error(root: Path) -> Problem:
    definitions, problems = load_definitions(root)
    assert definitions is None
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1, "\n".join(str(p) for p in errors)
    return errors[0]


def _at(problem: Problem, file: str, lines: list[str], text: str) -> None:
    assert problem.file == file, str(problem)
    assert text in lines[problem.line - 1], (str(problem), lines[problem.line - 1])


# -- a typo in a flow's own field name: rules, groups, conditions and omit_fields use the right name

def test_misnamed_field_read_by_rules_is_one_error_at_the_field(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, CONTENT, "      long_term:\n", "      long_trem:\n")
    problem = _only_error(root)
    assert problem.code == "flow.field_misnamed"
    _at(problem, CONTENT, lines, "long_trem:")
    assert "“long_trem”" in problem.message and "“long_term”" in problem.message
    assert "申请信息" in problem.message                       # the page, by its title
    assert "long_term" in (problem.hint or "")


def test_misnamed_field_listed_by_two_files_is_one_error_at_the_field(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, CONTENT, "      residence_region: {", "      residence_regoin: {")
    problem = _only_error(root)
    assert problem.code == "flow.field_misnamed"
    _at(problem, CONTENT, lines, "residence_regoin:")


def test_a_reference_typo_still_suggests_the_real_field(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, "rules/id_validity.yaml", "valid_to}}\n        - any: [{fact: form.long_term, eq: false}",
                   "valid_to}}\n        - any: [{fact: form.long_trem, eq: false}")
    definitions, problems = load_definitions(root)
    found = [p for p in problems if p.severity == "error"]
    assert found and all(p.file == "rules/id_validity.yaml" for p in found), [str(p) for p in found]
    assert "form.long_trem" in lines[found[0].line - 1]
    assert "long_term" in (found[0].hint or "")
    assert not any(p.code == "flow.field_misnamed" for p in problems)


def test_misnamed_shared_page_is_one_error_at_its_id(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, CONTENT, "  - id: photo\n", "  - id: phot\n")
    problem = _only_error(root)
    assert problem.code == "flow.page_misnamed"
    _at(problem, CONTENT, lines, "id: phot")
    assert "获取制卡相片" in problem.message and "“photo”" in problem.message and "sscard_adult.yaml" in problem.hint


def test_misnamed_page_of_one_flow_is_one_error_at_its_id(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, ADULT, "  - id: upload\n", "  - id: uplaod\n")
    problem = _only_error(root)
    assert problem.code == "flow.page_misnamed"
    _at(problem, ADULT, lines, "id: uplaod")


def test_a_misspelt_next_still_suggests_the_real_page(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, ADULT, "next: upload}", "next: uplaod}")
    problem = _only_error(root)
    assert problem.code == "flow.unknown_page" and "“upload”" in (problem.hint or "")
    _at(problem, ADULT, lines, "next: uplaod}")


# -- a mistake in a `use:` override is reported at the override, not in the shared fragment --------

def test_typo_in_an_overridden_review_is_reported_at_the_override(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, MINOR, "valid_to, residence_region, residence_address], edit: info}",
                   "valid_to, residence_regoin, residence_address], edit: info}")
    problem = _only_error(root)
    assert problem.code == "flow.unknown_field"
    _at(problem, MINOR, lines, "residence_regoin")
    assert "residence_regoin" in problem.message and "residence_region" in (problem.hint or "")
    assert "信息确认" in problem.message


def test_typo_in_an_overridden_field_is_reported_at_the_override(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, MINOR, "      mobile: {title: 监护人手机号码, type: string, format: mobile,",
                   "      mobile: {title: 监护人手机号码, type: string, format: mobil,")
    problem = _only_error(root)
    assert problem.code == "flow.unknown_format"
    _at(problem, MINOR, lines, "format: mobil,")


def test_bad_condition_in_an_overridden_review_is_reported_at_the_override(tmp_path):
    root = _project_copy(tmp_path)
    old = ("        edit: pickup\n        when: {field: pickup_method, eq: mail}\n"
           "      - {title: 上传材料, page: upload, edit: upload}\n\n  - {use: success, manual: \"1.4.8\"}")
    lines = _break(root, MINOR, old, old.replace("eq: mail}", "eq: mial}"))
    problem = _only_error(root)
    assert problem.code == "flow.condition.value_not_in_enum"
    _at(problem, MINOR, lines, "eq: mial}")


def test_misspelt_field_in_an_override_does_not_add_a_second_field(tmp_path):
    root = _project_copy(tmp_path)
    title = ":\n        title: 证件有效开始日期"
    lines = _break(root, MINOR, "      valid_from" + title, "      valid_form" + title)
    problem = _only_error(root)
    assert problem.code == "flow.override_unknown_field"
    _at(problem, MINOR, lines, "valid_form:")
    assert "“valid_from”" in (problem.hint or "") and "申请信息" in problem.message


# -- a misspelt keyword in a shared fragment: one error, not "the fragment was not included" -------

def test_misspelt_keyword_in_a_fragment_is_one_error(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, CONTENT, "        maxLength: 100\n        widget: textarea\n        when",
                   "        maxLenght: 100\n        widget: textarea\n        when")
    problem = _only_error(root)
    assert problem.code == "flow.schema.additionalProperties"
    _at(problem, CONTENT, lines, "maxLenght: 100")
    assert "“maxLenght”" in problem.message and "maxLength" in (problem.hint or "")


def test_misspelt_required_key_is_one_error(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, ADULT, "    title: 申领资格校验", "    titel: 申领资格校验")
    problem = _only_error(root)
    assert problem.code == "flow.schema.additionalProperties"
    _at(problem, ADULT, lines, "titel:")
    assert "title" in (problem.hint or "")


# -- valid YAML, wrong shape: say what was expected there ------------------------------------------

def test_wrong_indentation_says_what_was_expected(tmp_path):
    root = _project_copy(tmp_path)
    help_ = "help: 请选择您希望领取社会保障卡的广东省地级市\n    actions:\n      - {id: check"
    lines = _break(root, ADULT, "        " + help_, "      " + help_)
    problem = _only_error(root)
    assert problem.code == "flow.schema.type"
    _at(problem, ADULT, lines, "help: 请选择")
    assert problem.message == "此处应为字段的设置（title、type…），而不是文字：是否缩进有误？"
    assert "issuing_city" in (problem.hint or "") and "help" in (problem.hint or "")


def test_a_list_where_a_name_is_expected_is_said_in_plain_words(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, ADULT, "start: guide\n", "start: [guide]\n")
    problem = _only_error(root)
    assert problem.code == "flow.schema.type"
    _at(problem, ADULT, lines, "start: [guide]")
    assert "名称" in problem.message and "列表" in problem.message


def test_chinese_hint_is_printed_in_chinese_brackets(monkeypatch):
    problem = Problem("x", "", "消息", "a.yaml", 3, "提示文字")
    assert str(problem) == "a.yaml:3: 消息（提示：提示文字）"
    monkeypatch.setenv("GOVFLOW_LANG", "en")
    assert str(Problem("x", "", "message", "a.yaml", 3, "hint")) == "a.yaml:3: message (hint)"


def test_every_sentence_of_the_flow_catalogue_can_be_said(monkeypatch):
    """Literal braces ({fact: ...}) are doubled, so no template breaks when it is filled in."""
    import string
    for key, langs in say.catalogue().items():
        for lang in say.LANGUAGES:
            monkeypatch.setenv("GOVFLOW_LANG", lang)
            fields = {name for _, name, _, _ in string.Formatter().parse(langs[lang]) if name}
            assert say.say(key, **{name: "x" for name in fields}), key


def test_an_unclosed_brace_is_reported_where_it_was_opened(tmp_path):
    root = _project_copy(tmp_path)
    button = "      - {id: next, label: 下一步, next: photo"
    lines = _break(root, ADULT, button + "}", button)
    problem = _only_error(root)
    assert problem.code == "yaml.syntax"
    _at(problem, ADULT, lines, "next: photo")
    assert "“}”" in problem.message


def test_a_mapping_where_a_list_of_buttons_goes_says_so(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, ADULT, "      - {id: check, label: 资格校验, next: upload}",
                   "      id: check\n      label: 资格校验\n      next: upload")
    problem = _only_error(root)
    assert problem.code == "flow.schema.type"
    _at(problem, ADULT, lines, "actions:")
    assert "按钮" in problem.message and "“- ”" in problem.message


def test_a_number_where_text_goes_is_hinted_to_be_quoted(tmp_path):
    root = _project_copy(tmp_path)
    lines = _break(root, ADULT, '    manual: "1.3.2"', "    manual: 1.3")
    problem = _only_error(root)
    _at(problem, ADULT, lines, "manual: 1.3")
    assert problem.message == "此处应为文字，而不是数字" and '"1.3"' in (problem.hint or "")
