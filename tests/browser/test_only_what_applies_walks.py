"""Only what applies, on a phone (issue 16, item 1): the adult flow's personas, with and without
JavaScript, never see a field of an option they did not choose; switching back brings back what
they typed (during the same visit); a single allowed option is chosen for them.

Screenshots: test-output/screenshots/<test>/<nn>-<page>.png (axe-core checks each page)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from steps import (
    ADDRESS,
    check_eligibility,
    choose_branch,
    fill_info,
    sees_success,
    start_application,
    submit,
    upload_documents,
    use_system_photo,
    verify_face,
)

MAIL_LABELS = ("我已阅读并确认温馨提示", "修改收件人手机号码", "收件人手机号码", "验证码", "收件地区", "详细地址")
PERMIT_SLOTS = ("通行证正面", "通行证反面")
RESIDENCE_SLOTS = ("居住证国徽面", "居住证人像面")
ID_CARD_SLOTS = ("身份证国徽面", "身份证人像面")


def _none_of(c, *labels: str) -> None:
    """No field with any of these titles is in the page (not merely hidden or greyed)."""
    main = c.page.get_by_role("main")
    for label in labels:
        expect(main.get_by_text(label, exact=True)).to_have_count(0)
    expect(main.get_by_text("时填写")).to_have_count(0)


def _visible(c, *labels: str) -> None:
    for label in labels:
        expect(c.page.get_by_role("main").get_by_text(label, exact=True).first).to_be_visible()


@pytest.fixture(params=["js", "nojs"])
def someone(request):
    return request.getfixturevalue("citizen" if request.param == "js" else "citizen_nojs")


def test_mainland_adult_sees_only_what_applies_on_every_page(someone):
    c = someone
    start_application(c)
    verify_face(c, "mainland_adult")
    check_eligibility(c)
    c.sees("上传材料")
    expect(c.page.get_by_label("居民身份证", exact=True)).to_be_checked()       # the only option: chosen
    expect(c.page.get_by_text("请选择证件材料")).to_have_count(0)
    _visible(c, *ID_CARD_SLOTS)
    _none_of(c, *PERMIT_SLOTS, *RESIDENCE_SLOTS)
    upload_documents(c, None, list(ID_CARD_SLOTS))

    c.sees("获取制卡相片")
    _none_of(c, "社保卡相片回执号")                                  # 使用本人社保相片 is the default
    c.choose("输入社保卡相片回执号")
    _visible(c, "社保卡相片回执号")
    _none_of(c, "使用社保系统相片制卡")
    c.choose("使用本人社保相片")
    _none_of(c, "社保卡相片回执号")
    use_system_photo(c)

    c.sees("申请信息")
    _visible(c, "证件有效截止日期")
    c.choose("证件有效期是否为长期")
    _none_of(c, "证件有效截止日期")
    c.snapshot("长期有效")
    c.untick("证件有效期是否为长期")
    _visible(c, "证件有效截止日期")
    fill_info(c, c.persona("mainland_adult").person.phone)

    c.sees("领卡方式")
    _none_of(c, *MAIL_LABELS)
    expect(c.page.get_by_text("邮寄到付的邮费由收件人支付")).to_have_count(0)
    choose_branch(c)
    c.choose("邮寄到付")
    _visible(c, "我已阅读并确认温馨提示", "收件地区", "详细地址")
    _none_of(c, "收件人手机号码")                                    # 修改收件人手机号码 not ticked
    c.fill("详细地址", ADDRESS)
    c.snapshot("邮寄")
    c.choose("网点领卡")
    _none_of(c, *MAIL_LABELS)
    expect(c.page.get_by_text("邮寄到付的邮费由收件人支付")).to_have_count(0)
    c.snapshot("网点领卡")
    c.choose("邮寄到付")                                            # back again: the address is still there
    expect(c.page.get_by_label("详细地址", exact=True)).to_have_value(ADDRESS)
    c.choose("网点领卡")
    c.press("下一步")
    c.sees("信息确认")
    expect(c.page.get_by_role("heading", name="收件人信息")).to_have_count(0)
    submit(c)
    assert sees_success(c)


def test_hong_kong_resident_sees_no_residence_permit_slot(someone):
    c = someone
    start_application(c)
    verify_face(c, "hong_kong_resident")
    check_eligibility(c)
    c.sees("上传材料")
    _none_of(c, *PERMIT_SLOTS, *RESIDENCE_SLOTS, *ID_CARD_SLOTS)         # nothing until a document is chosen
    c.choose("港澳居民来往内地通行证")
    _visible(c, *PERMIT_SLOTS)
    _none_of(c, *RESIDENCE_SLOTS, *ID_CARD_SLOTS)
    upload_documents(c, None, list(PERMIT_SLOTS))
    c.sees("获取制卡相片")
