"""Each demo persona walks its whole path on a phone, the way a citizen does (README, personas table).

Screenshots: test-output/screenshots/<test>/<nn>-<page>.png; every page is also checked with axe-core.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from steps import (
    check_eligibility,
    confirm_cleanup,
    enter_cleanup,
    fill_info,
    pickup_at_branch,
    pickup_by_mail,
    review_section,
    sees_success,
    start_application,
    submit,
    upload_documents,
    use_receipt_photo,
    use_system_photo,
    verify_face,
    walk_to_review,
)

HK_PERMIT_SLOTS = ["通行证正面", "通行证反面"]


def test_mainland_adult_picks_up_at_a_branch(citizen):
    walk_to_review(citizen)
    expect(review_section(citizen, "领卡网点")).to_contain_text(re.compile(r"\S"))
    expect(citizen.page.get_by_role("heading", name="收件人信息")).to_have_count(0)
    submit(citizen)
    assert sees_success(citizen)


def test_mainland_adult_has_the_card_mailed_to_another_phone(citizen):
    start_application(citizen)
    verify_face(citizen, "mainland_adult")
    check_eligibility(citizen)
    upload_documents(citizen, "居民身份证", ["身份证国徽面", "身份证人像面"])
    use_system_photo(citizen)
    fill_info(citizen, "13800138001")
    pickup_by_mail(citizen, recipient_phone="13912345678")
    citizen.sees("信息确认")
    expect(review_section(citizen, "社保卡领卡方式")).to_contain_text("邮寄到付")
    recipient = review_section(citizen, "收件人信息")
    expect(recipient).to_contain_text("139****5678")
    expect(recipient).to_contain_text("天河路100号3栋501房")
    submit(citizen)
    assert sees_success(citizen)


def test_hong_kong_resident_uses_permit_and_receipt_and_picks_up_at_branch(citizen):
    start_application(citizen)
    verify_face(citizen, "hong_kong_resident")
    check_eligibility(citizen)
    upload_documents(citizen, "港澳居民来往内地通行证", HK_PERMIT_SLOTS)
    use_receipt_photo(citizen, "XP2024051301")
    fill_info(citizen, "13922450187", insurance="职工基本医疗保险")
    # 邮寄到付 is refused for Hong Kong, Macau and Taiwan residents (PICK-001), and the citizen is told
    # why: either the option is offered and choosing it shows the error, or only 网点领卡 is offered
    # and the page says so.
    refusal = "港澳台居民申领社保卡只能选择“网点领卡”"
    if citizen.page.get_by_label("邮寄到付", exact=True).count():
        pickup_by_mail(citizen)
        citizen.error(refusal)
        expect(citizen.heading("领卡方式")).to_be_visible()
    else:
        citizen.sees("领卡方式")
        expect(citizen.page.get_by_role("main").get_by_text(refusal)).to_be_visible()
    pickup_at_branch(citizen)
    citizen.sees("信息确认")
    expect(review_section(citizen, "社保卡领卡方式")).to_contain_text("网点领卡")
    expect(review_section(citizen, "上传材料").get_by_role("img")).to_have_count(2)
    submit(citizen)
    assert sees_success(citizen)


def test_pending_application_gets_a_popup_and_stays_on_the_guide(citizen):
    start_application(citizen)
    verify_face(citizen, "pending_application")
    popup = citizen.popup("您已存在社保卡申领记录")
    expect(citizen.heading("办事指南")).to_be_visible()
    popup.get_by_role("button", name="确认").or_(popup.get_by_role("link", name="确认")).first.click()
    expect(popup).to_be_hidden()
    citizen.sees("办事指南", "弹窗关闭后")
    expect(citizen.heading("申领资格校验")).to_have_count(0)


def test_two_cards_clean_up_then_continue_the_application(citizen):
    start_application(citizen)
    verify_face(citizen, "two_cards")
    check_eligibility(citizen)
    enter_cleanup(citizen, citizen.popup("您在广东省内存在多张社保卡"), ("A40127356", "A60288941"))
    citizen.press("下一步")
    citizen.sees("确认信息")
    citizen.press("清理")
    modal = citizen.popup("确定要提交清理吗")
    modal.get_by_role("button", name="取消").or_(modal.get_by_role("link", name="取消")).first.click()
    expect(citizen.page.get_by_role("alertdialog").or_(citizen.page.get_by_role("dialog"))
           .filter(has_text="确定要提交清理吗")).to_have_count(0)
    citizen.sees("确认信息", "已取消")
    confirm_cleanup(citizen)
    # back in the application: the check passes now
    check_eligibility(citizen)
    citizen.sees("上传材料")


def test_rejected_once_resubmits_after_failure(citizen):
    walk_to_review(citizen, "rejected_once")
    submit(citizen)
    citizen.sees("提交失败")
    expect(citizen.page.get_by_text("提交失败", exact=True).last).to_be_visible()
    main = citizen.page.get_by_role("main")
    expect(main.get_by_text("制卡系统退回了您的申请：相片审核未通过，请核对信息后重新提交。")).to_be_visible()
    expect(main.locator(".actions button").first).to_have_text("重新提交")     # the big button
    citizen.press("重新提交")
    citizen.sees("信息确认", "重新提交")
    submit(citizen)
    assert sees_success(citizen)


def test_foreign_national_is_refused_with_a_clear_popup(citizen):
    start_application(citizen)
    verify_face(citizen, "foreign_national")
    popup = citizen.popup("暂不支持华侨及外国人线上办理")
    expect(popup).to_contain_text("社保卡服务网点")
    expect(citizen.heading("申领资格校验")).to_have_count(0)


def test_mainland_adult_without_javascript(citizen_nojs):
    walk_to_review(citizen_nojs)
    submit(citizen_nojs)
    assert sees_success(citizen_nojs)


def test_review_page_masks_numbers_and_edit_links_come_back(citizen):
    walk_to_review(citizen)
    personal = review_section(citizen, "个人信息")
    expect(personal).to_contain_text("4401**********3510")
    expect(personal).to_contain_text("138****8001")
    expect(citizen.page.get_by_role("main")).not_to_contain_text("440106198805123510")
    expect(citizen.page.get_by_role("main")).not_to_contain_text("13800138001")
    for section, page, button in (("个人信息", "申请信息", "下一步"), ("制卡相片", "获取制卡相片", "使用相片"),
                                  ("社保卡信息", "申请信息", "下一步"), ("社保卡领卡方式", "领卡方式", "下一步"),
                                  ("领卡网点", "领卡方式", "下一步"), ("上传材料", "上传材料", "下一步")):
        review_section(citizen, section).get_by_role("link", name=re.compile("^修改")).click()
        citizen.sees(page, f"修改{section}")
        citizen.press(button)       # nothing changed: straight back (no new SMS code for the same number)
        citizen.sees("信息确认", f"修改{section}后")
