"""SPEC.md flow 3 on a phone: the guardian 张伟 applies for his children (README, children table), the
refusals, the links between the adult and the minor flows, cleanup of a child's cards, failure ->
【重新提交】, and the 户口簿 walk without JavaScript.

Screenshots: test-output/screenshots/<test>/<nn>-<page>.png; every page is also checked with axe-core.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from apptools import live_cards, registry_record
from govflow.formats import show_date
from steps import (
    CONSENT,
    Citizen,
    check_eligibility,
    confirm_cleanup,
    enter_cleanup,
    fill_info,
    pickup_at_branch,
    review_section,
    sees_success,
    start_application,
    submit,
    upload_documents,
    use_receipt_photo,
    use_system_photo,
    verify_face,
)

MINOR_SERVICE = "未成年人社保卡申领"
FOR_MINOR = "代未成年子女办理"
GUARDIAN = "guardian_parent"                      # 张伟
GUARDIAN_SLOTS = ["监护人身份证国徽面", "监护人身份证人像面"]
CHILD_SLOTS = {"户口簿": ["户口本主页", "户口本户主页", "户口本子女页"],
               "居民身份证": ["申领人身份证国徽面", "申领人身份证人像面", "出生医学证明"]}
CITY = "深圳市"                                   # the family lives in Shenzhen (福田区)
BRANCH_KEYWORD = "福田"
REGION = ("深圳市", "福田区")
INSURANCE = "城乡居民基本医疗保险"


@dataclass(frozen=True)
class Child:
    name: str
    id_type: str                  # as the page labels it: 户口簿 or 居民身份证
    id_number: str
    receipt: str | None = None    # photo receipt number; None: the system photo
    valid_from: str = ""
    valid_to: str = ""

    @property
    def masked(self) -> str:
        return f"{self.id_number[:4]}**********{self.id_number[-4:]}"


# README, "As 张伟, type one of his children"
ZIXUAN = Child("张子轩", "户口簿", "440305201906010573", "XP2024090907", "2019-06-01", "2035-06-01")
XINYI = Child("张欣怡", "居民身份证", "440305201511200049", None, "2022-03-01", "2027-03-01")
HAOYU = Child("张浩宇", "居民身份证", "440305200903150218")
YUTONG = Child("张雨彤", "户口簿", "440305201804100324")
MINGHUI = Child("张明辉", "居民身份证", "440305201407070459", None, "2022-03-01", "2027-03-01")


# -- the guardian's steps -------------------------------------------------------------------------
def start_for_child(c: Citizen, guardian: str = GUARDIAN) -> None:
    """Home → 未成年人社保卡申领 → 办事指南 → 【代未成年子女办理】 → the guardian's face check."""
    start_application(c, MINOR_SERVICE)
    verify_face(c, guardian, FOR_MINOR)


def enter_child(c: Citizen, child: Child, city: str = CITY, guardian: str = GUARDIAN,
                relationship: str = "父亲") -> None:
    """申领资格校验: the guardian is shown (read-only), the relationship and the child are typed in."""
    c.sees("申领资格校验")
    person = c.persona(guardian).person
    group = c.page.get_by_role("group", name="法定监护人信息", exact=True)
    expect(group).to_contain_text(person.name)
    expect(group).to_contain_text(f"{person.ssn[:4]}**********{person.ssn[-4:]}")
    c.select("法定监护人与申领人关系", relationship)
    c.fill("申领人姓名", child.name)
    c.choose(child.id_type)
    c.fill("申领人证件号码", child.id_number)
    c.select("意向发卡地", city)
    c.snapshot("已填写")
    c.press("资格校验")


def fill_child_info(c: Citizen, child: Child) -> None:
    """申请信息 for a minor: the child's identity is shown, no 职业, the guardian's phone and SMS code."""
    expect(c.heading("申请信息")).to_be_visible()           # fill_info records it
    main = c.page.get_by_role("main")
    expect(main.get_by_text(child.name, exact=True)).to_be_visible()
    expect(c.page.get_by_label("职业", exact=True)).to_have_count(0)
    expect(c.page.get_by_label("证件有效期是否为长期", exact=True)).to_have_count(0)
    fill_info(c, c.persona(GUARDIAN).person.phone, child.valid_from, child.valid_to, insurance=INSURANCE,
              phone_label="监护人手机号码", occupation=None, region=REGION)


def walk_child_to_review(c: Citizen, child: Child) -> None:
    """The whole guardian's walk for `child`, up to 信息确认 (seen and recorded)."""
    start_for_child(c)
    enter_child(c, child)
    upload_documents(c, None, GUARDIAN_SLOTS + CHILD_SLOTS[child.id_type])
    if child.receipt:
        use_receipt_photo(c, child.receipt)
    else:
        use_system_photo(c)
    fill_child_info(c, child)
    pickup_at_branch(c, BRANCH_KEYWORD)
    c.sees("信息确认")


def check_review(c: Citizen, child: Child) -> None:
    """信息确认 starts with 监护人信息 and 申领人信息; numbers are masked; every upload is listed."""
    titles = c.page.get_by_role("main").get_by_role("heading", level=2).all_inner_texts()
    assert [t.strip() for t in titles[:2]] == ["监护人信息", "申领人信息"], titles
    guardian = review_section(c, "监护人信息")
    for text in ("张伟", "4403**********1134", "父亲", "139****1506"):
        expect(guardian).to_contain_text(text)
    applicant = review_section(c, "申领人信息")
    for text in (child.name, child.id_type, child.masked, show_date(child.valid_from), show_date(child.valid_to)):
        expect(applicant).to_contain_text(text)             # dates as 年-月-日 (2019年06月01日)
    main = c.page.get_by_role("main")
    for secret in (child.id_number, "440305198401201134", "13927781506"):
        expect(main).not_to_contain_text(secret)
    materials = review_section(c, "上传材料")
    for slot in GUARDIAN_SLOTS + CHILD_SLOTS[child.id_type]:
        expect(materials).to_contain_text(slot)
    expect(review_section(c, "领卡网点")).to_contain_text(BRANCH_KEYWORD)


def dismiss(c: Citizen, popup, button: str = "确认") -> None:
    popup.get_by_role("button", name=button, exact=True).or_(popup.get_by_role("link", name=button, exact=True)) \
        .first.click()
    expect(popup).to_be_hidden()


# -- (1), (2): the two children who may apply ------------------------------------------------------------
@pytest.mark.parametrize("child", [ZIXUAN, XINYI], ids=["household_register", "id_card"])
def test_guardian_applies_for_child(citizen, child):
    walk_child_to_review(citizen, child)
    check_review(citizen, child)
    photo = review_section(citizen, "制卡相片")
    expect(photo).to_contain_text("输入社保卡相片回执号" if child.receipt else "社保系统相片")
    submit(citizen)
    assert sees_success(citizen)
    services = citizen.server.journey.env.services
    assert registry_record(services, child.id_number)["pending_applications"] == 1   # the child's, not the guardian's
    assert registry_record(services, "440305198401201134")["pending_applications"] == 0


# -- (3) refusals --------------------------------------------------------------------------------------
def test_seventeen_year_old_must_apply_alone(citizen):
    start_for_child(citizen)
    enter_child(citizen, HAOYU)
    citizen.error("申领人已年满16周岁")
    expect(citizen.field_of("申领人证件号码")).to_contain_text("本人")
    expect(citizen.heading("申领资格校验")).to_be_visible()
    # what was typed is kept, to be corrected
    expect(citizen.page.get_by_label("申领人姓名", exact=True)).to_have_value(HAOYU.name)
    expect(citizen.page.get_by_label("申领人证件号码", exact=True)).to_have_value(HAOYU.id_number)


def test_child_with_existing_application_gets_a_popup(citizen):
    start_for_child(citizen)
    enter_child(citizen, YUTONG)
    popup = citizen.popup("已存在社保卡申领记录")
    expect(popup).to_contain_text("请勿重复申领")
    dismiss(citizen, popup)
    citizen.sees("申领资格校验", "弹窗关闭后")
    expect(citizen.heading("上传材料")).to_have_count(0)
    expect(citizen.page.get_by_label("申领人证件号码", exact=True)).to_have_value(YUTONG.id_number)


# -- (3b) who may apply: only the child's guardian in the registry (民法典 第二十七条) ----------------------
SIQI = Child("李思琪", "户口簿", "440305201709050285")


def test_non_relative_is_refused_before_seeing_anything_of_the_child(citizen):
    start_for_child(citizen, "mainland_adult")                     # 陈志明, nobody's guardian
    enter_child(citizen, MINGHUI, guardian="mainland_adult")
    citizen.error("您不是该申领人的法定监护人")
    expect(citizen.field_of("申领人证件号码")).to_contain_text("不能代为申领")
    main = citizen.page.get_by_role("main")
    for secret in ("B51203377", "B71940062", "招商银行", "中国银行", "多张社保卡", "一人一卡清理"):
        expect(main).not_to_contain_text(secret)                    # no cards, banks, nor the cleanup popup
    expect(citizen.page.get_by_role("alertdialog").or_(citizen.page.get_by_role("dialog"))).to_have_count(0)
    expect(citizen.heading("申领资格校验")).to_be_visible()
    # typing the address of a later page, or of the child's photo, leads nowhere
    base = citizen.page.url.rsplit("/", 1)[0]
    for later in ("upload", "photo", "info"):
        citizen.page.goto(f"{base}/{later}")
        expect(citizen.heading("申领资格校验")).to_be_visible()
    assert citizen.page.request.get(f"{base}/_photo").status == 404


def test_grandparent_with_a_guardianship_record_goes_on_and_one_without_is_refused(citizen):
    start_for_child(citizen, "grandparent_without_record")        # 祖父李国华: no guardianship record
    enter_child(citizen, SIQI, guardian="grandparent_without_record", relationship="祖父")
    citizen.error("您不是该申领人的法定监护人")
    expect(citizen.heading("上传材料")).to_have_count(0)
    start_for_child(citizen, "grandparent_guardian")              # 祖母赵秀兰: appointed guardian
    enter_child(citizen, SIQI, guardian="grandparent_guardian", relationship="祖母")
    citizen.sees("上传材料")


def test_a_photo_receipt_of_another_child_is_refused(citizen):
    start_for_child(citizen)
    enter_child(citizen, XINYI)
    upload_documents(citizen, None, GUARDIAN_SLOTS + CHILD_SLOTS[XINYI.id_type])
    citizen.sees("获取制卡相片")
    citizen.choose("输入社保卡相片回执号")
    citizen.fill("社保卡相片回执号", ZIXUAN.receipt)                 # 张子轩's receipt for 张欣怡
    citizen.press("获取图片")
    citizen.error("不是申领人本人的相片")
    expect(citizen.field_of("社保卡相片回执号").get_by_role("img")).to_have_count(0)
    citizen.press("使用相片")
    expect(citizen.heading("申请信息")).to_have_count(0)
    citizen.settle()              # the refused page is back (a late swap would undo the choice below)
    citizen.choose("使用本人社保相片")
    use_system_photo(citizen)                                      # her own registry photo is fine
    expect(citizen.heading("申请信息")).to_be_visible()


# -- (4) links between the flows -------------------------------------------------------------------------
def test_adult_guide_leads_to_the_minor_guide_after_the_guardian_check(citizen):
    start_application(citizen)                                   # the adult 社保卡申领
    expect(citizen.page.get_by_text("社保卡申领", exact=True).first).to_be_visible()
    verify_face(citizen, GUARDIAN, FOR_MINOR)
    citizen.sees("办事指南", "未成年人")
    expect(citizen.page.get_by_text(MINOR_SERVICE, exact=True).first).to_be_visible()
    expect(citizen.page.get_by_role("button", name="本人申领", exact=True)).to_be_visible()
    expect(citizen.page.get_by_text("户口本主页", exact=False).first).to_be_visible()   # the minor's materials
    citizen.choose(CONSENT)                      # the guardian was verified a moment ago: no second face check
    citizen.press(FOR_MINOR)
    enter_child(citizen, XINYI)
    citizen.sees("上传材料")
    expect(citizen.page.get_by_text(MINOR_SERVICE, exact=True).first).to_be_visible()


def test_minor_guide_self_application_goes_to_the_adult_eligibility(citizen):
    start_application(citizen, MINOR_SERVICE)
    verify_face(citizen, "mainland_adult", "本人申领")
    expect(citizen.heading("申领资格校验")).to_be_visible()   # check_eligibility records it
    main = citizen.page.get_by_role("main")
    expect(main.get_by_text("社保卡申领", exact=True).first).to_be_visible()
    expect(main.get_by_text(MINOR_SERVICE, exact=True)).to_have_count(0)
    expect(main).to_contain_text("陈志明")
    expect(citizen.page.get_by_label("申领人姓名", exact=True)).to_have_count(0)    # no child to type in
    check_eligibility(citizen)
    citizen.sees("上传材料")
    expect(citizen.page.get_by_label("居民身份证", exact=True)).to_be_visible()   # the adult's document sets


# -- (5) a child with two cards -----------------------------------------------------------------------
def test_child_with_two_cards_cleans_up_then_continues(citizen):
    start_for_child(citizen)
    enter_child(citizen, MINGHUI)
    enter_cleanup(citizen, citizen.popup("多张社保卡"), ("B51203377", "B71940062"))   # the child's cards
    main = citizen.page.get_by_role("main")
    expect(main.get_by_text("A30155720", exact=True)).to_have_count(0)
    expect(main).to_contain_text(MINGHUI.name)
    citizen.press("下一步")
    citizen.sees("确认信息")
    confirm_cleanup(citizen)
    # back in the minor application; the check passes now
    expect(citizen.heading("申领资格校验")).to_be_visible()
    expect(citizen.page.get_by_text(MINOR_SERVICE, exact=True).first).to_be_visible()
    enter_child(citizen, MINGHUI)
    citizen.sees("上传材料")
    services = citizen.server.journey.env.services
    assert live_cards(services, MINGHUI.id_number) == 0
    assert live_cards(services, "440305198401201134") == 1       # the guardian keeps his card


# -- (6) the card back end fails once ---------------------------------------------------------------
def test_failure_then_resubmit(citizen):
    backend = citizen.server.journey.env.connectors.implementation
    walk_child_to_review(citizen, ZIXUAN)
    backend._failure_rate = 1.0                 # the card back end is down ...
    citizen.server.journey.deliverer.policy.max_tries = 1    # ... and the outbox gives up after one try
    submit(citizen)
    citizen.sees("提交失败")
    expect(citizen.page.locator("section.message.failure")).to_contain_text("制卡系统繁忙")   # the reason is given
    expect(citizen.page.get_by_text("提交失败", exact=True).last).to_be_visible()
    backend._failure_rate = 0.0                 # ... and back
    citizen.press("重新提交")
    citizen.sees("信息确认", "重新提交")
    expect(review_section(citizen, "申领人信息")).to_contain_text(ZIXUAN.name)
    submit(citizen)
    assert sees_success(citizen)
    citizen.press("返回首页")
    citizen.sees("办事指南", "返回首页")
    expect(citizen.page.get_by_text(MINOR_SERVICE, exact=True).first).to_be_visible()


# -- (7) without JavaScript ----------------------------------------------------------------------------
def test_household_register_walk_without_javascript(citizen_nojs):
    walk_child_to_review(citizen_nojs, ZIXUAN)
    check_review(citizen_nojs, ZIXUAN)
    submit(citizen_nojs)
    assert sees_success(citizen_nojs)


def test_processing_until_the_back_end_answers_then_the_reference(citizen):
    """The back end is briefly down: the citizen sees 已提交，正在办理, and the page shows the
    reference by itself once the outbox worker's next try is accepted."""
    journey = citizen.server.journey
    backend = journey.env.connectors.implementation
    walk_child_to_review(citizen, ZIXUAN)
    backend._failure_rate = 1.0
    journey.deliverer.policy.base_seconds = 0.0     # the retry is due at once (no waiting in a test)
    submit(citizen)
    expect(citizen.page.get_by_role("heading", name="已提交，正在办理")).to_be_visible()
    backend._failure_rate = 0.0
    assert journey.deliverer.run_due() == 1         # what `govflow outbox-worker` does
    assert sees_success(citizen)                    # the page polled and now shows the reference
    expect(citizen.page.get_by_role("heading", name="已提交，正在办理")).to_have_count(0)
