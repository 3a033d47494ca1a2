"""Plain Chinese, once (issue 16, item 3), on a phone: the error summary at the top says what the page
says next to its fields after every change, and a page's errors, a wrong SMS code's included, come in
one round. Screenshots: test-output/screenshots/<test>/.
"""
from __future__ import annotations

from playwright.sync_api import expect

from steps import ADDRESS, Citizen, check_eligibility, jpeg_file, start_application, use_system_photo, verify_face

PHONE_NUMBER = "13800138001"


def summary_matches_the_page(c: Citizen) -> list[str]:
    """The summary lists exactly the errors shown next to the fields (none: no summary at all)."""
    c.settle()
    summary = c.page.locator("#error-summary li").all_inner_texts()
    beside = c.page.locator("main .field p.error:not(.client-error)").all_inner_texts()
    assert sorted(s.strip() for s in summary) == sorted(s.strip() for s in beside), (summary, beside)
    if not beside:
        expect(c.page.locator(".error-summary")).to_have_count(0)
    return beside


def _upload_page_one_by_one(c: Citizen) -> None:
    c.sees("上传材料")
    c.press("下一步")
    c.error("请上传身份证国徽面")
    assert len(summary_matches_the_page(c)) == 2
    for n, slot in enumerate(["身份证国徽面", "身份证人像面"]):
        album = c.page.get_by_role("group", name=slot, exact=True).get_by_label("从手机相册选择", exact=True)
        album.set_input_files(jpeg_file(f"{slot}.jpg", (200, 180, 150 - 40 * n)))
        c.settle()
        left = summary_matches_the_page(c)               # the summary shrinks with each photo
        assert len(left) == 1 - n, left
        c.snapshot(f"已上传{n + 1}张")
    c.press("下一步")


def test_summary_follows_the_fixes_and_every_error_comes_at_once(citizen):
    c = citizen
    start_application(c)
    verify_face(c, "mainland_adult")
    check_eligibility(c)
    _upload_page_one_by_one(c)
    use_system_photo(c)

    c.sees("申请信息")
    c.fill("证件有效开始日期", "2020-03-01")
    c.fill("证件有效截止日期", "2040-03-01")
    c.fill("手机号码", PHONE_NUMBER)
    right = c.request_code(PHONE_NUMBER)
    c.fill("验证码", "000000" if right != "000000" else "111111")
    c.select("职业", "专业技术人员")
    c.choose_region("常住地区", ["广州市", "天河区"])
    c.fill("常住详细地址", ADDRESS)
    c.select("服务银行", "工商银行")
    c.select("参保类型", "企业职工基本养老保险")
    c.press("下一步")                                  # 民族 left open and a wrong code: both at once
    c.error("验证码不正确")
    errors = summary_matches_the_page(c)
    assert any("民族" in e for e in errors) and any("验证码" in e for e in errors), errors

    c.select("民族", "汉族")                          # fixed in place: the summary keeps only the code
    left = summary_matches_the_page(c)
    assert len(left) == 1 and "验证码" in left[0], left
    c.snapshot("民族已改")
    c.fill("验证码", right)
    c.press("下一步")
    c.sees("领卡方式")
    summary_matches_the_page(c)


def test_without_javascript_every_error_comes_at_once(citizen_nojs):
    c = citizen_nojs
    start_application(c)
    verify_face(c, "mainland_adult")
    check_eligibility(c)
    c.sees("上传材料")
    for slot in ["身份证国徽面", "身份证人像面"]:
        c.page.get_by_role("group", name=slot, exact=True).get_by_label("从手机相册选择", exact=True) \
            .set_input_files(jpeg_file(f"{slot}.jpg"))
    c.press("下一步")
    use_system_photo(c)
    c.sees("申请信息")
    c.fill("手机号码", PHONE_NUMBER)
    right = c.request_code(PHONE_NUMBER)
    c.fill("验证码", "000000" if right != "000000" else "111111")
    c.press("下一步")
    c.error("验证码不正确")
    errors = summary_matches_the_page(c)
    assert any("民族" in e for e in errors) and any("验证码" in e for e in errors), errors
