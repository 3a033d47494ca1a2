"""Shown only as much as needed: the API masks ID numbers and phones as the HTML does, except the
values the citizen types on the page being read."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.both_databases

ADULT_ID = "440106198805123510"          # 陈志明 (mainland_adult): comes from the face check
ADULT_PHONE = "13800138001"              # typed on 申请信息 (info)


def _pages(api, pages):
    out = {}
    for page in pages:
        status, body = api.page(page)
        assert status == 200, (page, body)
        out[page] = json.dumps(body, ensure_ascii=False)
    return out


def test_the_api_never_returns_a_full_id_number_or_a_phone_not_typed_on_that_page(api):
    api.walk_to_confirm()
    pages = _pages(api, ["eligibility", "upload", "photo", "info", "pickup", "confirm"])
    for page, text in pages.items():
        assert ADULT_ID not in text, page                   # never typed: shown 4401**********3510
    assert "4401**********3510" in pages["info"] and "4401**********3510" in pages["confirm"]
    assert ADULT_PHONE in pages["info"]                     # the citizen's own input on that page
    for page in ("pickup", "confirm"):
        assert ADULT_PHONE not in pages[page], page
    assert "138****8001" in pages["confirm"]
    everything = json.dumps([api.state(), api.client.get(f"/api/v1/applications/{api.id}/decisions",
                                                         headers=api.headers).get_json()], ensure_ascii=False)
    assert ADULT_ID not in everything and ADULT_PHONE not in everything


def test_a_childs_id_number_typed_by_the_guardian_is_masked_on_later_pages(client, app):
    from walkers import CHILDREN, MinorWalker
    minor = MinorWalker(client, app)
    minor.walk_to_confirm("child_with_id_card")
    child = CHILDREN["child_with_id_card"][2]
    guardian = "440305198401201134"                              # 张伟 (guardian_parent)
    pages = _pages(minor, ["eligibility", "upload", "photo", "info", "pickup", "confirm"])
    assert child in pages["eligibility"]                         # typed on that page: shown back
    for page, text in pages.items():
        assert guardian not in text, page
        if page != "eligibility":
            assert child not in text, page
