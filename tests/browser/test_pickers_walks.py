"""Pickers that fit a phone (issue 16, item 5): the recipient area chosen level by level, with and
without JavaScript; no select on the way lists more than about 200 options; the review shows the
area's three levels and the dates as 年月日."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from steps import (
    ADDRESS,
    check_eligibility,
    fill_info,
    pickup_by_mail,
    review_section,
    start_application,
    upload_documents,
    use_system_photo,
    verify_face,
)

MOST_OPTIONS = 200


def _largest_select(c) -> int:
    return c.page.evaluate("() => Math.max(0, ...[...document.querySelectorAll('select')].map(s => s.options.length))")


@pytest.mark.parametrize("who", ["citizen", "citizen_nojs"])
def test_recipient_area_in_steps_on_a_phone(who, request):
    c = request.getfixturevalue(who)
    start_application(c)
    verify_face(c, "mainland_adult")
    check_eligibility(c)
    upload_documents(c, "居民身份证", ["身份证国徽面", "身份证人像面"])
    use_system_photo(c)
    fill_info(c, "13800138001")
    c.sees("领卡方式")
    c.choose("邮寄到付")                      # its 收件地区 picker appears: the province level
    assert 0 < _largest_select(c) <= MOST_OPTIONS
    pickup_by_mail(c)                        # 收件地区: 广东省 → 广州市 → 天河区 (steps.choose_region)
    c.sees("信息确认")
    recipient = review_section(c, "收件人信息")
    expect(recipient).to_contain_text("广东省 / 广州市 / 天河区")
    expect(recipient).to_contain_text(ADDRESS)
    expect(review_section(c, "个人信息")).to_contain_text("2020年03月01日")
    assert _largest_select(c) <= MOST_OPTIONS
