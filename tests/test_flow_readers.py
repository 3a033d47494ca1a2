"""Each flow speaks to its reader: the minor flow's guide lists the minor's materials, and the
guardian of the minor flow reads about his child in the shared rules' popups (`rule_texts:`)."""
from __future__ import annotations

import pytest

from walkers import HtmlWalker


@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def _guide(web, flow):
    web.start(flow)
    html = web.get("guide").get_data(as_text=True)
    assert web.last.status_code == 200
    return html


def test_the_minor_guide_lists_the_materials_of_a_guardian_and_a_minor(web):
    html = _guide(web, "sscard_minor")
    for text in ("户口本主页", "出生医学证明", "法定监护人：本人居民身份证", "监护人人脸核验"):
        assert text in html, text
    assert "港澳居民来往内地通行证" not in html          # the adult applicant's materials
    assert "质量管理卡" in html                          # the shared notices stay


def test_the_adult_guide_keeps_the_adult_materials(web):
    html = _guide(web, "sscard_adult")
    assert "港澳居民来往内地通行证正反面" in html and "出生医学证明" not in html


def test_the_adult_application_keeps_the_rules_own_words(definitions):
    adult, minor = definitions.flows["sscard_adult"], definitions.flows["sscard_minor"]
    assert adult.rule_texts == {}
    assert minor.rule_texts["PRE-002"].startswith("该申领人")
    rule = next(r for r in definitions.rulebook.rulesets["precheck"].rules if r.id == "PRE-002")
    assert rule.then["refuse"]["message"].startswith("您已存在")   # the shared rule is not changed
