"""The form editor of a draft's file on the staff pages (表单编辑, web/staff_forms.py): a plain HTML
form of the values staff change most; a save goes through Workflow.save_file (roles, revision, the
history's "edited") and shows up in the draft's changes in policy words; refusals in Chinese, with
what was typed kept, never a 500."""
from __future__ import annotations

import re

import pytest

from govflow.store.staff import StaffAccounts
from test_publishing import _form, _new_draft
from test_staff_pages import login, text

RULE = "rules/id_card_validity.yaml"
AGE = "v:rules/0/when/all/2/lt"
MESSAGE = "v:rules/0/then/refuse/message"
EXAMPLE_DATE = "v:rules/0/examples/0/given/form/valid_from"
OLD_MESSAGE = "签发时未满46周岁的居民身份证没有长期有效期，请取消勾选“证件有效期是否为长期”，并按证件填写有效截止日期。"


@pytest.fixture
def editor(app):
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def _url(draft: int, name: str = RULE) -> str:
    return f"/staff/drafts/{draft}/form/{name}"


def _post(client, draft: int, name: str = RULE, revision: str | None = None, **values):
    data = _form(client, _url(draft, name)) if revision is None else {**_form(client, _url(draft, name)),
                                                                       "revision": revision}
    return client.post(_url(draft, name), data={**data, **values})


def _file(app, draft: int, name: str = RULE) -> str:
    engine = app.extensions["govflow"]
    record = engine.env.store.drafts.get(draft)
    return engine.bundles.texts(record.manifest)[name]


def test_the_draft_page_links_the_form_of_each_flow_and_rule_file(app, editor):
    draft = _new_draft(editor)
    page = editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)
    links = re.findall(r'href="/staff/drafts/\d+/form/([^"]+)"', page)
    assert RULE in links and "flows/sscard_adult.yaml" in links and "flows/shared/sscard_content.yaml" in links
    assert not [name for name in links if name.startswith("reference/")]
    form = editor.get(_url(draft))
    shown = text(form)
    assert form.status_code == 200 and "表单编辑" in shown
    assert "规则 ID-004 的条件：证件签发时年龄（周岁） 小于" in shown and "规则 ID-004 拒绝时的提示文字" in shown
    html = form.get_data(as_text=True)
    assert f'name="{AGE}" value="46"' in html and "<fieldset" in html and "<legend>" in html
    assert "<script" not in html.split("</head>", 1)[1]                 # works without JavaScript
    flow = text(editor.get(_url(draft, "flows/sscard_adult.yaml")))
    assert "页面“申领资格校验”的标题" in flow and "填写项“意向发卡地”必填" in flow
    assert editor.get(_url(draft, "rules/nothing.yaml")).status_code == 404


def test_a_form_save_changes_only_those_values_and_shows_in_the_changes(app, editor):
    draft = _new_draft(editor)
    before = _file(app, draft)
    saved = _post(editor, draft, **{AGE: "45", MESSAGE: OLD_MESSAGE.replace("46", "45"), EXAMPLE_DATE: "2025-03-09"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/staff/drafts/{draft}#files")
    after = _file(app, draft)
    assert after == (before.replace("lt: 46}", "lt: 45}", 1).replace(OLD_MESSAGE, OLD_MESSAGE.replace("46", "45"), 1)
                     .replace("valid_from: 2026-03-09}}\n        fires: [ID-004]",
                              "valid_from: 2025-03-09}}\n        fires: [ID-004]", 1))
    page = editor.get(f"/staff/drafts/{draft}")
    html = page.get_data(as_text=True)
    assert 'data-errors="0"' in html
    changes = text(page).split("与当前生效版本相比的变化", 1)[1].split("变更影响", 1)[0]
    assert RULE in changes and "ID-004" in changes and "46" in changes and "45" in changes
    assert re.findall(r'data-action="(\w+)"', html) == ["created", "edited"]
    unchanged = _post(editor, draft)                                   # nothing typed: nothing saved
    assert unchanged.status_code == 302 and _file(app, draft) == after
    assert re.findall(r'data-action="(\w+)"', editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)) == [
        "created", "edited"]


def test_an_auditor_sees_no_save_button_and_a_post_is_refused_in_chinese(app, editor):
    draft = _new_draft(editor)
    StaffAccounts(app.extensions["govflow"].env.store).add("carol", "carol-password")     # an auditor
    carol = app.test_client()
    assert login(carol, "carol", "carol-password").status_code == 302
    page = carol.get(_url(draft))
    assert page.status_code == 200 and "保存修改" not in text(page) and "只能查看" in text(page)
    assert re.search(r'name="v:rules/0/when/all/2/lt" value="46"[^>]* readonly>', page.get_data(as_text=True))
    refused = _post(carol, draft, **{AGE: "45"})
    assert refused.status_code == 403 and "没有这项权限" in text(refused)
    assert "lt: 46}" in _file(app, draft)


def test_a_stale_revision_is_refused_with_the_values_kept(app, editor):
    draft = _new_draft(editor)
    stale = _form(editor, _url(draft))["revision"]
    assert _post(editor, draft, **{MESSAGE: "另一位同事先改了这句"}).status_code == 302
    refused = _post(editor, draft, revision=stale, **{AGE: "44"})
    assert refused.status_code == 409 and "已被他人修改" in text(refused)
    assert f'name="{AGE}" value="44"' in refused.get_data(as_text=True)          # what was typed is kept
    assert "lt: 46}" in _file(app, draft) and "另一位同事先改了这句" in _file(app, draft)


def test_invalid_values_and_new_errors_show_the_form_again(app, editor):
    draft = _new_draft(editor)
    bad = _post(editor, draft, **{AGE: "四十五", MESSAGE: "新的提示"})
    assert bad.status_code == 422 and "请填写整数，例如 45" in text(bad) and "未保存" in text(bad)
    html = bad.get_data(as_text=True)
    assert f'name="{AGE}" value="四十五"' in html and f'name="{MESSAGE}" value="新的提示"' in html
    assert 'class="staff-form-item has-error" data-key="rules/0/when/all/2/lt"' in html
    failing = _post(editor, draft, **{AGE: "45"})                 # the example at 45 now fails
    assert failing.status_code == 422 and "检查发现下列错误" in text(failing) and "ID-004" in text(failing)
    assert 'name="force"' in failing.get_data(as_text=True) and "lt: 46}" in _file(app, draft)
    forced = _post(editor, draft, force="1", **{AGE: "45"})
    assert forced.status_code == 302 and "lt: 45}" in _file(app, draft)
    assert 'data-errors="0"' not in editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)
    broken = _post(editor, draft, **{"v:rules/0/examples/0/fires": "ID-004\n\nID-006"})
    assert broken.status_code == 422 and "第 2 行是空的" in text(broken)


def test_a_field_marked_optional_by_form_and_a_file_that_is_not_yaml(app, editor):
    draft = _new_draft(editor)
    name = "flows/sscard_adult.yaml"
    page = editor.get(_url(draft, name)).get_data(as_text=True)
    key = re.search(r'<label for="(item-[\d-]+)">填写项“意向发卡地”必填</label>', page)
    field = re.search(rf'<select id="{key.group(1)}" name="([^"]+)"', page).group(1)
    assert _post(editor, draft, name, **{field: "false"}).status_code == 302
    assert "        optional: true\n" in _file(app, draft, name)
    shown = text(editor.get(f"/staff/drafts/{draft}"))
    assert "意向发卡地" in shown.split("与当前生效版本相比的变化", 1)[1]
    url = f"/staff/drafts/{draft}/files/{RULE}"
    assert editor.post(url, data={**_form(editor, url), "text": "rules: [\n"}).status_code == 302
    unreadable = editor.get(_url(draft))
    assert unreadable.status_code == 422 and "YAML 格式有误" in text(unreadable)
