"""Nothing lost, on a phone (issue 16, item 2): what a citizen typed and uploaded survives a reload
before 【下一步】; without JavaScript 【选择受理网点】 keeps the page's answers and a reload after
【发送验证码】 sends nothing again; a browser without a session is told so in Chinese."""
from __future__ import annotations

from playwright.sync_api import expect

from steps import (
    ADDRESS,
    check_eligibility,
    choose_branch,
    jpeg_file,
    start_application,
    upload_documents,
    use_system_photo,
    verify_face,
)


def _to_upload(c) -> None:
    start_application(c)
    verify_face(c, "mainland_adult")
    check_eligibility(c)
    c.sees("上传材料")


def test_a_reload_keeps_what_was_typed_and_uploaded(citizen):
    _to_upload(citizen)
    slot = citizen.page.get_by_role("group", name="身份证国徽面", exact=True)
    slot.get_by_label("从手机相册选择", exact=True).set_input_files(jpeg_file("emblem.jpg"))
    citizen.settle()
    expect(slot.get_by_role("img")).to_be_visible()
    citizen.page.reload()
    citizen.sees("上传材料", "刷新后相片仍在")
    kept = citizen.page.get_by_role("group", name="身份证国徽面", exact=True).get_by_role("img")
    expect(kept).to_be_visible()
    expect(kept).to_have_js_property("complete", True)
    assert kept.evaluate("img => img.naturalWidth") > 0, "the kept upload did not load"
    upload_documents(citizen, None, ["身份证人像面"])            # only the other one is still to choose
    use_system_photo(citizen)
    citizen.sees("申请信息")
    citizen.select("民族", "汉族")
    citizen.fill("常住详细地址", ADDRESS)
    citizen.fill("手机号码", "13800138001")
    citizen.page.reload()
    citizen.sees("申请信息", "刷新后填写的内容仍在")
    expect(citizen.page.get_by_label("常住详细地址", exact=True)).to_have_value(ADDRESS)
    expect(citizen.page.get_by_label("手机号码", exact=True)).to_have_value("13800138001")
    expect(citizen.page.get_by_label("民族", exact=True)).to_have_value("01")


def test_without_javascript_the_branch_chooser_and_the_code_keep_the_answers(citizen_nojs):
    c = citizen_nojs
    _to_upload(c)
    upload_documents(c, None, ["身份证国徽面", "身份证人像面"])
    use_system_photo(c)
    c.sees("申请信息")
    c.fill("常住详细地址", ADDRESS)
    c.fill("手机号码", "13800138001")
    sent = len(c.server.outbox())
    c.request_code("13800138001")
    assert len(c.server.outbox()) == sent + 1
    c.page.reload()                                              # Post/Redirect/Get: nothing is sent again
    c.sees("申请信息", "发送验证码后刷新")
    assert len(c.server.outbox()) == sent + 1
    expect(c.page.get_by_label("常住详细地址", exact=True)).to_have_value(ADDRESS)
    c.fill("验证码", c.sms_code("13800138001", sent))
    c.select("民族", "汉族")
    c.fill("证件有效开始日期", "2020-03-01")
    c.fill("证件有效截止日期", "2040-03-01")
    c.select("职业", "专业技术人员")
    c.choose_region("常住地区", ["广州市", "天河区"])
    c.select("服务银行", "工商银行")
    c.select("参保类型", "企业职工基本养老保险")
    c.press("下一步")
    c.sees("领卡方式")
    c.choose("网点领卡")
    name = choose_branch(c)                                      # 【选择受理网点】 → search → 【选择该网点】
    expect(c.page.get_by_label("网点领卡", exact=True)).to_be_checked()   # the choice made before is kept
    c.press("下一步")
    c.sees("信息确认")
    expect(c.page.get_by_text(name).first).to_be_visible()


def test_a_page_opened_without_a_session_offers_to_verify_again(citizen, phone):
    _to_upload(citizen)
    url = citizen.page.url
    other = phone.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = other.new_page()                                  # the link opened in a browser with no session
        page.goto(url)
        expect(page.get_by_role("heading", name="请重新核验身份", level=1)).to_be_visible()
        expect(page.get_by_text("未提交的申请已为您保存").first).to_be_visible()
        page.get_by_role("button", name="人脸核验后继续办理", exact=True).click()
        expect(page.get_by_role("heading", name="人脸核验（本地模拟）", level=1)).to_be_visible()
    finally:
        other.close()
