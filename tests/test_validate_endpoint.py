"""POST /validate: the API answers 422 problem+json, one error per problem, and agrees with the HTML form."""
from __future__ import annotations

import re

import pytest

from walkers import ADULT_INFO, ApiWalker, HtmlWalker, jpeg

PAGES_WITH_REQUIRED = [("sscard_adult", "guide", {"consent"}),
                       ("sscard_adult", "eligibility", {"issuing_city"}),
                       ("sscard_adult", "upload", {"document_set"}),
                       ("sscard_adult", "photo", {"photo_source"}),
                       ("sscard_adult", "info", {"ethnicity", "valid_from", "valid_to", "mobile", "mobile_code",
                                                 "occupation", "residence_region", "residence_address",
                                                 "service_bank", "insurance_type"}),
                       ("sscard_adult", "pickup", {"pickup_method", "branch_id"}),
                       ("cleanup", "guide", {"consent"})]


@pytest.mark.parametrize("flow,page,required", PAGES_WITH_REQUIRED, ids=lambda v: str(v) if isinstance(v, str) else "")
def test_empty_body_gives_one_error_per_required_field(client, flow, page, required):
    r = client.post(f"/api/v1/flows/{flow}/pages/{page}/validate", json={})
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    errors = r.get_json()["errors"]
    assert {e["path"] for e in errors} == required
    assert len(errors) == len(required)
    for e in errors:
        assert e["code"].startswith("required") and re.search(r"[\u4e00-\u9fff]", e["message"])


def test_valid_page_answers_200(client):
    r = client.post("/api/v1/flows/sscard_adult/pages/eligibility/validate", json={"issuing_city": "440300"})
    assert r.status_code == 200 and r.get_json() == {"valid": True}


def test_format_errors_have_codes(client):
    r = client.post("/api/v1/flows/sscard_adult/pages/info/validate",
                    json={"mobile": "12345", "valid_from": "2020-02-30", "ethnicity": "99"})
    codes = {e["path"]: e["code"] for e in r.get_json()["errors"]}
    assert codes["mobile"] == "format.shape"
    assert codes["valid_from"] == "date"
    assert codes["ethnicity"] == "enum"


def test_unknown_flow_or_page_is_404(client):
    assert client.post("/api/v1/flows/nope/pages/guide/validate", json={}).status_code == 404
    assert client.post("/api/v1/flows/sscard_adult/pages/nope/validate", json={}).status_code == 404


BAD_INPUTS = [
    ("info", {"mobile": "1380013800x", "valid_from": "2020-13-01", "residence_address": "短"}),
    ("pickup", {"pickup_method": "mail", "recipient_address": "x"}),
    ("eligibility", {"issuing_city": "110100"}),
]


def _walk_both(client, app, page):
    """An API walker and an HTML walker, each on its own application, both standing on `page`."""
    api = ApiWalker(client, app)
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    html = HtmlWalker(app.test_client(), app)
    html.start()
    html.verify("mainland_adult")
    html.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    if page in ("info", "pickup"):
        api.upload_page()
        api.photo_page()
        files = {"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}
        html.post("upload", "next", {"document_set": "id_card"}, files=files, expect=302)
        html.post("photo", "use_photo", {"photo_source": "system", "use_system_photo": "true"}, expect=302)
    if page == "pickup":
        api.info_page(phone="13800138001")
        data = {**ADULT_INFO, "insurance_type": api.insurance_type(), "mobile": "13700137000"}
        data["mobile_code"] = html.sms("info", "mobile_code", data)
        html.post("info", "next", data, expect=302)
    return api, html


@pytest.mark.parametrize("page,data", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_html_and_api_give_the_same_errors(client, app, page, data):
    """The same bad input posted as a form and as JSON gives the same (path, code) pairs."""
    api, html = _walk_both(client, app, page)
    action = "next" if page != "eligibility" else "check"
    api_errors = sorted((e["path"], e["code"]) for e in api.act(page, action, data, expect=422)["errors"])
    html.post(page, action, data, expect=422)
    assert html.errors() == api_errors
    assert api_errors
