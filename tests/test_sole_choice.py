"""A single allowed option is chosen for the citizen (issue 16, item 10): a required radio or
select whose rules allow one option shows it chosen (HTML and API) and is accepted without
being sent; two allowed options leave the choice to the citizen; a given answer is never changed."""
from __future__ import annotations

import re

import pytest

from walkers import HtmlWalker, jpeg


@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def _checked(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}" value="([^"]+)" checked', html)


def _to_upload_api(api, persona):
    api.create()
    api.verify(persona)
    assert api.eligibility()["page"] == "upload", api.last.get_json()


def _to_upload_html(web, persona):
    web.start()
    web.verify(persona)
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    assert web.location().endswith("/upload")


def test_api_page_view_has_the_only_allowed_document_set_chosen(api):
    _to_upload_api(api, "mainland_adult")
    status, view = api.page("upload")
    fields = {f["name"]: f for f in view["fields"]}
    assert status == 200
    assert [o["value"] for o in fields["document_set"]["options"]] == ["id_card"]
    assert fields["document_set"]["value"] == "id_card"
    assert "id_card_emblem" in fields and "id_card_portrait" in fields     # its uploads apply: listed
    assert "permit_front" not in fields


def test_api_post_without_document_set_is_accepted_and_saved(api):
    _to_upload_api(api, "mainland_adult")
    data = {"id_card_emblem": api.upload("id_card_emblem"), "id_card_portrait": api.upload("id_card_portrait")}
    assert api.act("upload", "next", data, expect=200)["page"] == "photo"
    saved = api.journey.env.store.applications.get(api.id).answers["upload"]
    assert saved["document_set"] == "id_card"
    _, view = api.page("upload")
    assert {f["name"]: f["value"] for f in view["fields"]}["document_set"] == "id_card"


def test_api_missing_uploads_are_asked_for_not_the_document_set(api):
    _to_upload_api(api, "mainland_adult")
    body = api.act("upload", "next", {}, expect=422)
    assert sorted(e["path"] for e in body["errors"]) == ["id_card_emblem", "id_card_portrait"]


def test_api_a_given_answer_is_never_replaced(api):
    _to_upload_api(api, "mainland_adult")
    body = api.act("upload", "next", {"document_set": "hk_macao_permit", "permit_front": api.upload("permit_front"),
                                      "permit_back": api.upload("permit_back")}, expect=422)
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("document_set", "DOC-001")]


def test_api_two_allowed_options_are_not_chosen(api):
    _to_upload_api(api, "hong_kong_resident")
    _, view = api.page("upload")
    field = next(f for f in view["fields"] if f["name"] == "document_set")
    assert [o["value"] for o in field["options"]] == ["hk_macao_permit", "residence_permit"]
    assert field["value"] is None
    body = api.act("upload", "next", {}, expect=422)
    assert "document_set" in [e["path"] for e in body["errors"]]


def test_html_upload_page_shows_the_only_option_checked(web):
    _to_upload_html(web, "mainland_adult")
    html = web.get("upload").get_data(as_text=True)
    assert _checked(html, "document_set") == ["id_card"]
    assert "请选择证件材料" not in html


def test_html_post_without_document_set_goes_on(web):
    _to_upload_html(web, "mainland_adult")
    web.post("upload", "next", files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}, expect=302)
    assert web.location().endswith("/photo")
    assert web.journey.env.store.applications.get(web.id).answers["upload"]["document_set"] == "id_card"


def test_html_reshown_form_keeps_the_only_option_checked(web):
    _to_upload_html(web, "mainland_adult")
    web.post("upload", "next", expect=422)                 # no photos: the form again, with errors
    assert _checked(web.text(), "document_set") == ["id_card"]
    assert [name for name, _ in web.errors()] == ["id_card_emblem", "id_card_portrait"]


def test_html_two_allowed_options_are_not_checked(web):
    _to_upload_html(web, "hong_kong_resident")
    html = web.get("upload").get_data(as_text=True)
    assert 'value="hk_macao_permit"' in html and 'value="residence_permit"' in html
    assert _checked(html, "document_set") == []
    web.post("upload", "next", expect=422)
    assert "document_set" in [name for name, _ in web.errors()]
