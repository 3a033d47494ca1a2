"""The typed boundary (issue 11): every input the issue found answering 500 gets a 4xx with a
clear Chinese message, and text is normalised in one place before any rule sees it."""
from __future__ import annotations

import json

import pytest

from govflow.journey import text
from walkers import HtmlWalker, MinorWalker

VALIDATE = "/api/v1/flows/sscard_adult/pages/eligibility/validate"


def _post(client, url, body: str, **headers):
    return client.post(url, data=body, content_type="application/json", headers=headers)


def _problem(r, status: int) -> list[tuple[str, str]]:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert all(e["message"] and not e["message"].isascii() for e in body["errors"]), body
    return [(e["path"], e["code"]) for e in body["errors"]]


@pytest.mark.parametrize("value", [{"$ne": 1}, ["440100"], 440100, None, True, 4.5])
def test_a_value_of_the_wrong_type_is_a_field_error(client, value):
    r = _post(client, VALIDATE, json.dumps({"issuing_city": value}))
    if value is None:                      # JSON null: nothing given
        assert _problem(r, 422) == [("issuing_city", "required.choice")]
    else:
        assert _problem(r, 422) == [("issuing_city", "type")]


def test_a_lone_surrogate_never_reaches_the_rules_engine(client):
    r = _post(client, VALIDATE, '{"issuing_city": "\\ud800"}')
    assert _problem(r, 422) == [("issuing_city", "text.unreadable")]
    r = _post(client, "/api/v1/flows/sscard_minor/pages/eligibility/validate",
              '{"applicant_name": "\\udfff\\ud800", "issuing_city": "440300"}')
    assert ("applicant_name", "text.unreadable") in _problem(r, 422)


@pytest.mark.parametrize("depth", [9, 2000, 100_000])
def test_deep_json_is_refused_before_it_is_read(client, depth):
    body = '{"issuing_city": ' + "[" * depth + "]" * depth + "}"
    r = _post(client, VALIDATE, body)
    if len(body) > 64 * 1024:
        assert _problem(r, 413) == [("", "request.too_large")]
    else:
        assert _problem(r, 400) == [("", "request.too_deep")]


def test_json_just_under_the_depth_limit_is_read(client):
    r = _post(client, VALIDATE, '{"issuing_city": [[[[[[["x"]]]]]]]}')         # depth 8
    assert _problem(r, 422) == [("issuing_city", "type")]


@pytest.mark.parametrize("body", ["[1]", "440100", '"x"', "null", "{", "\xff", '{"a":1}{'])
def test_a_body_that_is_not_one_json_object_is_400(client, api, body):
    assert _problem(_post(client, VALIDATE, body), 400) == [("", "request.not_json")]
    api.create()
    r = _post(client, f"/api/v1/applications/{api.id}/pages/guide/actions/start", body, **api.headers)
    assert _problem(r, 400) == [("", "request.not_json")]


def test_creating_an_application_without_json_is_400_not_404(client):
    r = client.post("/api/v1/applications", data="flow=sscard_adult", content_type="text/plain")
    assert _problem(r, 400) == [("", "request.not_json")]


def test_unknown_keys_are_refused_and_named(client, api):
    r = _post(client, VALIDATE, '{"issuing_city": "440100", "status": "approved"}')
    assert _problem(r, 422) == [("status", "request.unknown_field")]
    assert "status" in r.get_json()["errors"][0]["message"]
    api.walk_to_info()
    before = api.state()
    r = api.client.post(f"/api/v1/applications/{api.id}/pages/eligibility/actions/check",
                        json={"issuing_city": "440100", "status": "approved", "name": "x"}, headers=api.headers)
    assert sorted(_problem(r, 422)) == [("name", "request.unknown_field"), ("status", "request.unknown_field")]
    assert api.state() == before
    r = client.post("/api/v1/applications", json={"flow": "sscard_adult", "owner": "me"})
    assert _problem(r, 422) == [("owner", "request.unknown_field")]


def test_a_long_unknown_key_is_shortened_in_its_message(client):
    r = _post(client, VALIDATE, json.dumps({"k" * 5000: 1}))
    message = r.get_json()["errors"][0]["message"]
    assert r.status_code == 422 and len(message) < 100 and "…" in message


def test_an_sms_for_a_page_not_yet_open_is_409(api):
    api.create()
    r = api.client.post(f"/api/v1/applications/{api.id}/pages/info/sms",
                        json={"field": "mobile_code", "phone": "13800138000"}, headers=api.headers)
    assert _problem(r, 409) == [("", "flow.page_locked")]
    r = api.client.post(f"/api/v1/applications/{api.id}/pages/info/sms", data="[1]",
                        content_type="application/json", headers=api.headers)
    assert _problem(r, 400) == [("", "request.not_json")]


def test_long_term_maybe_is_a_field_error_over_the_api(api):
    api.walk_to_info()
    r = api.client.post(f"/api/v1/applications/{api.id}/pages/info/actions/next", json={"long_term": "maybe"},
                        headers=api.headers)
    assert ("long_term", "type") in _problem(r, 422)


def test_long_term_maybe_is_a_field_error_on_the_page_and_in_the_refresh(client, app):
    web = HtmlWalker(client, app)
    web.walk_to_info()
    web.post("info", "next", {"long_term": "maybe", "name": "ignored"})
    assert web.last.status_code == 422 and ("long_term", "type") in web.errors()
    assert "证件有效期" in web.text() or "格式不正确" in web.text()
    r = client.post(f"/a/{web.id}/info/_refresh?field=long_term",
                    data={"_csrf": web._csrf(), "long_term": "maybe"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-code="type"' in r.get_data(as_text=True)


def test_full_width_digits_in_an_id_number_are_read_as_ascii(api, app):
    minor = MinorWalker(api.client, app)
    minor.start_for("child_with_household_register")
    wide = "４４０３０５２０１９０６０１０５７３"                  # 440305201906010573 typed full-width
    minor.eligibility(expect=200, applicant_id_number=wide)
    saved = app.extensions["govflow"].env.store.applications.get(minor.id).answers["eligibility"]
    assert saved["applicant_id_number"] == "440305201906010573"


@pytest.mark.parametrize("name, code", [
    ("张\x00三", "text.control"), ("张三\x1b[31m", "text.control"), ("\u200b\u200b", "text.blank"),
    ("\u200d\ufeff\u2060", "text.blank"), ("张\u202e三", "text.bidi"), ("\u2066张三\u2069", "text.bidi"),
])
def test_hidden_characters_in_a_name_are_refused_with_a_clear_message(api, app, name, code):
    minor = MinorWalker(api.client, app)
    minor.start_for("child_with_household_register")
    body = minor.eligibility(expect=422, applicant_name=name)
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("applicant_name", code)]
    assert "申领人姓名" in body["errors"][0]["message"]
    assert "eligibility" not in app.extensions["govflow"].env.store.applications.get(minor.id).answers


def test_a_line_break_is_text_only_where_the_field_is_multi_line():
    assert text.refusal("天河路\n100号", multiline=True) is None
    assert text.refusal("天河路\n100号") == "text.control"
    assert text.refusal("天河路\t100号", multiline=True) == "text.control"


def test_clean_normalises_and_trims():
    assert text.clean("  ４４０１  ", compatibility=True) == "4401"
    assert text.clean("ｅ\u0301") == "ｅ\u0301".replace("e\u0301", "é")     # NFC keeps width
    assert text.clean("a\ud800b") == "a\ufffdb"
    assert text.refusal(text.clean("a\ud800b")) == "text.unreadable"
    assert text.refusal("李\u00b7娜") is None and text.refusal("Zoë") is None
