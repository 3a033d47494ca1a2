"""Issue 16's "Done when", tried as a citizen would at phone size: every persona walks its flow to
提交成功 and on EVERY page state the walk reaches the page is checked from its DOM alone
(tests/browser/page_checks.py, no procedure knowledge there):

  (a) only what applies: no greyed, hidden or "…时填写" field;
  (b) nothing lost: with JavaScript, before each page's button the page is reloaded and must show the
      same fields, values and upload previews (saved as the citizen went); without JavaScript, after
      each in-page step (确定, 下一级, 发送验证码, the branch chooser) everything typed is still there;
  (c) the error summary is the page's: its links are exactly the fields with an error (also after a
      field is fixed in place);
  (d) all errors in one round: the walks press 下一步 on purpose with several wrong answers (a wrong SMS
      code among them) and must get all of them at once, then go on once those are fixed.

The walks add what only they know (after 网点领卡 no recipient fields, no 居住证 slot for a Hong Kong
resident). After one submission: 办件进度 follows the simulated back end, the receipt PDF reads back,
the simulator's outbox has the SMS. Screenshots: test-output/screenshots/<test>/ (axe checks each)."""
from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from page_checks import CheckedCitizen, error_fields
from steps import (
    ADDRESS,
    Citizen,
    check_eligibility,
    choose_branch,
    confirm_cleanup,
    enter_cleanup,
    jpeg_file,
    sees_success,
    start_application,
    submit,
    use_receipt_photo,
    use_system_photo,
    verify_face,
)
from test_minor_walks import BRANCH_KEYWORD as MINOR_BRANCH
from test_minor_walks import (
    CHILD_SLOTS,
    GUARDIAN,
    GUARDIAN_SLOTS,
    INSURANCE,
    REGION,
    XINYI,
    ZIXUAN,
    enter_child,
    start_for_child,
)
from walkers import VALIDITY

MAIL_ONLY = ("收件人手机号码", "收件地区", "详细地址", "我已阅读并确认温馨提示")
RESIDENCE_SLOTS = ("居住证国徽面", "居住证人像面")


_WALKING: list[CheckedCitizen] = []


@pytest.fixture(autouse=True)
def _found_so_far():
    """A walk that fails on its way prints what the page checks had found before."""
    _WALKING.clear()
    yield
    for c in _WALKING:
        if c.found:
            print("page checks found:\n" + "\n".join(c.found))


def _citizen(context, server, recorder_for, javascript=True) -> CheckedCitizen:
    page = context.new_page()
    c = CheckedCitizen(page, server, recorder_for(page, javascript=javascript))
    _WALKING.append(c)
    return c


@pytest.fixture
def js(phone, live_server, recorder_for):
    return _citizen(phone, live_server, recorder_for)


@pytest.fixture
def nojs(phone_nojs, live_server, recorder_for):
    return _citizen(phone_nojs, live_server, recorder_for, javascript=False)


# -- the pages, with the checks only a walk can make ----------------------------------------------------
def field_id(c: Citizen, label: str) -> str:
    return c.field_of(label).first.get_attribute("id").removeprefix("f-")


def slot_id(c: Citizen, slot: str) -> str:
    return c.page.get_by_role("group", name=slot, exact=True).evaluate("e => e.closest('.field').id.slice(2)")


def album(c: Citizen, slot: str, n: int) -> None:
    c.page.get_by_role("group", name=slot, exact=True).get_by_label("从手机相册选择", exact=True) \
        .set_input_files(jpeg_file(f"{slot}.jpg", (200, 180, 150 - 20 * n)))
    c.settle()


def uploads(c: CheckedCitizen, slots: list[str], document_set: str | None = None) -> None:
    """上传材料: 下一步 with nothing → one error per slot (c); the first photo drops its error (c, htmx);
    a reload keeps it (b); then the others."""
    c.sees("上传材料")
    if document_set:
        c.choose(document_set)
        c.snapshot("已选择证件")
    c.press("下一步")
    c.snapshot("未上传")
    wanted = [slot_id(c, s) for s in slots]
    assert error_fields(c.page) == wanted
    album(c, slots[0], 0)
    if c.recorder.javascript:
        c.snapshot("已上传一张")
        assert error_fields(c.page) == wanted[1:]
        c.reload_keeps("上传材料")
    for n, slot in enumerate(slots[1:], 1):
        album(c, slot, n)
    c.snapshot("已选择图片")
    c.press("下一步")


def info_in_one_round(c: CheckedCitizen, phone: str, valid: tuple[str, str], phone_label: str = "手机号码",
                      occupation: str | None = "专业技术人员", region=("广州市", "天河区"),
                      insurance: str = "企业职工基本养老保险") -> None:
    """申请信息 (d): 民族 left open, an impossible end date, a wrong SMS code, no address → all four at
    once; 民族 fixed in place drops from the summary (c); the others fixed → the next page."""
    c.sees("申请信息")
    c.fill("证件有效开始日期", valid[0])
    c.fill("证件有效截止日期", "2040-13-45")
    c.fill(phone_label, phone)
    right = c.request_code(phone)
    c.snapshot("验证码已发送")
    c.fill("验证码", "000000" if right != "000000" else "111111")
    if occupation:
        c.select("职业", occupation)
    c.choose_region("常住地区", list(region))
    if c.recorder.javascript:
        c.reload_keeps("申请信息")                # (b) half filled: typed, chosen, the region's levels
    c.select("服务银行", "工商银行")
    c.select("参保类型", insurance)
    c.press("下一步")
    c.error("验证码不正确")
    wrong = {field_id(c, label) for label in ("民族", "证件有效截止日期", "验证码", "常住详细地址")}
    assert set(error_fields(c.page)) == wrong, "not every error came in the first round"
    c.select("民族", "汉族")
    if c.recorder.javascript:
        c.snapshot("民族已改")
        assert set(error_fields(c.page)) == wrong - {field_id(c, "民族")}
    c.fill("证件有效截止日期", valid[1])
    c.fill("验证码", right)
    c.fill("常住详细地址", ADDRESS)
    c.press("下一步")
    c.sees("领卡方式")                          # no second round


def none_of(c: Citizen, labels) -> None:
    main = c.page.get_by_role("main")
    for label in labels:
        expect(main.get_by_text(label, exact=True)).to_have_count(0)


def pickup_at_branch_after_trying_mail(c: CheckedCitizen, keyword: str) -> None:
    """领卡方式: 邮寄到付 opens its fields, 网点领卡 closes them again (a)."""
    expect(c.heading("领卡方式")).to_be_visible()
    choose_branch(c, keyword)
    if c.page.get_by_label("邮寄到付", exact=True).count():
        c.choose("邮寄到付")
        c.snapshot("邮寄到付")
        expect(c.page.get_by_label("详细地址", exact=True)).to_be_visible()
    c.choose("网点领卡")
    c.snapshot("网点领卡")
    none_of(c, MAIL_ONLY)
    c.press("下一步")
    c.sees("信息确认")
    none_of(c, MAIL_ONLY)
    expect(c.page.get_by_role("heading", name="收件人信息")).to_have_count(0)


def finish(c: CheckedCitizen) -> str:
    submit(c)
    reference = sees_success(c)
    c.done()
    return reference


# -- adults, with JavaScript ------------------------------------------------------------------------------
def _later(server, sim_clock, minutes: float) -> None:
    sim_clock.t += minutes * 60
    server.journey.deliverer.poll_progress()


def test_mainland_adult_then_progress_receipt_and_sms(phone, progress_server, sim_clock, recorder_for):
    c = _citizen(phone, progress_server, recorder_for)
    person = c.persona("mainland_adult").person
    start_application(c)
    verify_face(c, "mainland_adult")
    check_eligibility(c)
    uploads(c, ["身份证国徽面", "身份证人像面"])
    c.sees("获取制卡相片")
    c.choose("输入社保卡相片回执号")
    c.snapshot("回执号")
    c.choose("使用本人社保相片")
    use_system_photo(c)
    info_in_one_round(c, person.phone, VALIDITY.get("mainland_adult", ("2020-03-01", "2040-03-01")))
    pickup_at_branch_after_trying_mail(c, "天河")
    reference = finish(c)

    c.follow("查询办件进度")
    c.sees("办件进度")
    card = c.page.locator("section.progress-card").filter(has_text=reference)
    expect(card.locator("li[aria-current=step]")).to_contain_text("已提交")
    for minutes in (1, 45, 240, 2 * 24 * 60):
        _later(progress_server, sim_clock, minutes)
    c.page.reload()
    c.sees("办件进度", "可领取")
    expect(card.locator("li[aria-current=step]")).to_contain_text("可领取")
    card.get_by_role("link", name="查看电子回执").click()
    c.sees("社会保障卡业务电子回执")
    with c.page.expect_download() as download:
        c.page.get_by_role("link", name="下载电子回执（PDF）").click()
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    assert reference in "".join(p.extract_text() for p in pdf.pages), "the receipt PDF does not name the reference"

    c.page.goto(progress_server.url + "/dev/sms")
    to_applicant = c.page.get_by_role("main").get_by_role("listitem").filter(has_text=f"{person.phone}：")
    for status in ("已提交", "正在审核中", "正在制作中"):         # on submission and on each change
        expect(to_applicant.filter(has_text=reference).filter(has_text=status)).to_have_count(1)
    expect(to_applicant.filter(has_text="已制作完成")).to_have_count(1)
    c.recorder.record("短信发件箱")
    c.done()                                 # what the page checks found on the pages after submitting


def test_hong_kong_resident(js):
    c = js
    start_application(c)
    verify_face(c, "hong_kong_resident")
    check_eligibility(c)
    c.sees("上传材料")
    none_of(c, RESIDENCE_SLOTS)
    c.choose("港澳居民来往内地通行证")
    none_of(c, RESIDENCE_SLOTS)                          # only the document chosen has slots
    uploads(c, ["通行证正面", "通行证反面"])
    use_receipt_photo(c, "XP2024051301")
    info_in_one_round(c, c.persona("hong_kong_resident").person.phone, ("2020-03-01", "2040-03-01"),
                      insurance="职工基本医疗保险")
    pickup_at_branch_after_trying_mail(c, "天河")
    finish(c)


def test_two_cards_clean_up_then_apply(js):
    c = js
    start_application(c)
    verify_face(c, "two_cards")
    check_eligibility(c)
    enter_cleanup(c, c.popup("您在广东省内存在多张社保卡"), ("A40127356", "A60288941"))
    c.press("下一步")
    c.sees("确认信息")
    confirm_cleanup(c)
    check_eligibility(c)
    uploads(c, ["身份证国徽面", "身份证人像面"])
    use_system_photo(c)
    info_in_one_round(c, c.persona("two_cards").person.phone, ("2020-03-01", "2040-03-01"))
    pickup_at_branch_after_trying_mail(c, "天河")
    finish(c)


def test_card_holder_exchanges_a_damaged_card(js):
    c = js
    start_application(c, "社保卡补换卡")
    verify_face(c, "card_holder")
    c.sees("选择补换的社保卡")
    c.page.get_by_role("radio", name=re.compile("广州市")).check()
    c.choose("换卡（社保卡损坏或失效）")
    c.choose("芯片失效")
    c.snapshot("已选择")
    c.press("下一步")
    use_system_photo(c)
    pickup_at_branch_after_trying_mail(c, "天河")
    finish(c)


# -- a guardian for a minor, both kinds of document -------------------------------------------------------
@pytest.mark.parametrize("child", [ZIXUAN, XINYI], ids=["household_register", "id_card"])
def test_guardian_for_a_minor(js, child):
    c = js
    start_for_child(c)
    enter_child(c, child)
    uploads(c, GUARDIAN_SLOTS + CHILD_SLOTS[child.id_type])
    if child.receipt:
        use_receipt_photo(c, child.receipt)
    else:
        use_system_photo(c)
    info_in_one_round(c, c.persona(GUARDIAN).person.phone, (child.valid_from, child.valid_to),
                      phone_label="监护人手机号码", occupation=None, region=REGION, insurance=INSURANCE)
    pickup_at_branch_after_trying_mail(c, MINOR_BRANCH)
    finish(c)


# -- without JavaScript: every step keeps what was typed, nothing is typed twice ---------------------------
def _nojs_walk(c: CheckedCitizen, persona: str, document: str, slots: list[str], photo, insurance: str) -> None:
    start_application(c)
    verify_face(c, persona)
    check_eligibility(c)
    c.sees("上传材料")
    if c.page.get_by_label(document, exact=True).is_checked():
        document = None
    uploads(c, slots, document)
    photo(c)
    c.sees("申请信息")
    c.select("民族", "汉族")
    c.fill("证件有效开始日期", "2020-03-01")
    c.fill("证件有效截止日期", "2040-03-01")
    c.select("职业", "专业技术人员")
    c.fill("常住详细地址", ADDRESS)                       # typed before the steps below: must survive them
    c.choose_region("常住地区", ["广州市", "天河区"])       # 【下一级】
    phone = c.persona(persona).person.phone
    c.fill("手机号码", phone)
    code = c.request_code(phone)                            # 【发送验证码】
    c.fill("验证码", code)
    c.select("服务银行", "工商银行")
    c.select("参保类型", insurance)
    c.press("下一步")
    c.sees("领卡方式")
    c.choose("网点领卡")                                   # 【确定】
    choose_branch(c)                                         # 【选择受理网点】 → 【选择该网点】: back with 网点领卡
    expect(c.page.get_by_label("网点领卡", exact=True)).to_be_checked()
    none_of(c, MAIL_ONLY)
    c.press("下一步")
    c.sees("信息确认")
    finish(c)


def test_mainland_adult_without_javascript(nojs):
    _nojs_walk(nojs, "mainland_adult", "居民身份证", ["身份证国徽面", "身份证人像面"], use_system_photo,
               "企业职工基本养老保险")


def test_hong_kong_resident_without_javascript(nojs):
    _nojs_walk(nojs, "hong_kong_resident", "港澳居民来往内地通行证", ["通行证正面", "通行证反面"],
               lambda c: use_receipt_photo(c, "XP2024051301"), "职工基本医疗保险")
