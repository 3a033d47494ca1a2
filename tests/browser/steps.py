"""What a citizen does in the browser, step by step, written once for every walk.

Every step clicks what the citizen sees (Chinese labels, button text, roles) and then waits for what
the citizen would see next (a level-1 heading, a popup, a message) with Playwright's auto-waiting
`expect`. Nothing waits for the URL or for load events: after a click the page may be replaced by a
full navigation or swapped in place (HTMX), and both must work. Each page state reached is
screenshotted and checked with axe-core (see conftest.PageRecorder).
"""
from __future__ import annotations

import io
import re
import time

from PIL import Image
from playwright.sync_api import Locator, Page, expect

from walkers import VALIDITY  # ID card validity that fits each persona's age (tests/walkers.py)

CONSENT = "本人已认真阅读，理解并自愿接受以上约定"
ADDRESS = "天河路100号3栋501房"
BRANCH_KEYWORD = "天河"
SEARCH_LABEL = re.compile("^按网点名称或地址关键字")


def jpeg_file(name: str = "photo.jpg", color=(200, 180, 150)) -> dict:
    buf = io.BytesIO()
    Image.new("RGB", (640, 400), color).save(buf, "JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": buf.getvalue()}


class Citizen:
    def __init__(self, page: Page, server, recorder):
        self.page = page
        self.server = server
        self.recorder = recorder
        self.in_flight = 0
        self.last_activity = time.monotonic()
        page.on("request", self._request_started)
        page.on("requestfinished", self._request_ended)
        page.on("requestfailed", self._request_ended)

    def _request_started(self, _request) -> None:
        self.in_flight += 1
        self.last_activity = time.monotonic()

    def _request_ended(self, _request) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.last_activity = time.monotonic()

    def settle(self, quiet: float = 0.3, timeout: float = 15.0) -> None:
        """With JavaScript, a change may be checked (or a file uploaded) at once and the form swapped
        in place: like a citizen, wait until the page has reacted before touching the next field.
        (Load states do not help: they do not follow XHRs after the page has loaded.)"""
        if not self.recorder.javascript:
            return
        deadline = time.monotonic() + timeout
        self.page.wait_for_timeout(50)                 # let a change event start its request
        while time.monotonic() < deadline:
            if self.in_flight == 0 and time.monotonic() - self.last_activity >= quiet:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"the page kept loading for {timeout}s ({self.in_flight} requests in flight)")

    # -- seeing ----------------------------------------------------------------------------------
    def heading(self, title: str) -> Locator:
        return self.page.get_by_role("heading", name=title, level=1, exact=True)

    def sees(self, title: str, note: str = "") -> None:
        """The page titled `title` is on screen: wait for it, screenshot it, check it with axe."""
        expect(self.heading(title)).to_be_visible()
        self.recorder.record(f"{title}-{note}" if note else title)

    def snapshot(self, note: str) -> None:
        """Record the current page state again (after an in-page change: popup, preview, error)."""
        title = self.page.get_by_role("heading", level=1).first.inner_text().strip()
        self.recorder.record(f"{title}-{note}")

    def popup(self, text: str | re.Pattern) -> Locator:
        """A popup containing `text`: a <dialog> modal with JavaScript, an inline alertdialog without."""
        box = self.page.get_by_role("alertdialog").or_(self.page.get_by_role("dialog")).filter(has_text=text).first
        expect(box).to_be_visible()
        self.snapshot("弹窗")
        return box

    def error(self, text: str | re.Pattern) -> None:
        """An error message the citizen can read (error summary or next to the field)."""
        expect(self.page.locator("main").get_by_text(text).first).to_be_visible()
        self.snapshot("错误")

    def expect_text(self, text: str | re.Pattern) -> None:
        expect(self.page.locator("main").get_by_text(text).first).to_be_visible()

    # -- doing ------------------------------------------------------------------------------------
    def press(self, name: str, within: Page | Locator | None = None) -> None:
        self.click((within or self.page).get_by_role("button", name=name, exact=True))

    def click(self, button: Locator) -> None:
        """Every button press of the walk comes through here (a subclass may look before and after)."""
        button.click()

    def follow(self, name: str) -> None:
        self.page.get_by_role("link", name=name, exact=True).click()

    def choose(self, label: str) -> None:
        """A radio button or checkbox, by its label. An answer that shows or hides other fields
        swaps them in place with JavaScript; without, its 【确定】 shows the page again with them."""
        self.page.get_by_label(label, exact=True).check()
        self.settle()
        self.confirm_choice(label)

    def untick(self, label: str) -> None:
        self.page.get_by_label(label, exact=True).uncheck()
        self.settle()
        self.confirm_choice(label)

    def confirm_choice(self, label: str) -> None:
        if self.recorder.javascript:
            return
        confirm = self.field_of(label).get_by_role("button", name="确定", exact=True)
        if confirm.count():
            self.click(confirm)
            self.settle()

    def select(self, label: str, option: str | None = None, value: str | None = None) -> None:
        target = self.page.get_by_label(label, exact=True)
        target.select_option(label=option) if value is None else target.select_option(value=value)
        self.settle()

    def fill(self, label: str, value: str) -> None:
        """Type into a field and leave it (the field is checked when it is left)."""
        box = self.page.get_by_label(label, exact=True)
        box.fill(value)
        box.blur()
        self.settle()

    def choose_region(self, label: str, path: list[str]) -> None:
        """A region level by level (province → city → district), one select per level: with
        JavaScript the next level comes by itself, without it after 【下一级】 (the page comes back
        with everything typed and the next level)."""
        for depth, name in enumerate(path):
            field = self.field_of(label)
            level = field.get_by_role("combobox").nth(depth)
            expect(level.locator("option", has_text=name)).to_have_count(1)      # the level has loaded
            # each level must say what it is for (a screen reader reads only its name): reported at
            # the end of the test with the axe findings, so that the walk goes on
            named = level.evaluate("e => e.labels.length ? e.labels[0].textContent : e.getAttribute('aria-label')")
            if not (named or "").strip().startswith(label):
                self.recorder.finding(f"level {depth + 1} of the region picker 「{label}」 has the accessible "
                                      f"name {named!r}: it should start with 「{label}」")
            level.select_option(label=name)
            self.settle()
            if depth + 1 < len(path):
                if not self.recorder.javascript:
                    self.click(field.get_by_role("button", name="下一级", exact=True))
                expect(self.field_of(label).get_by_role("combobox")).to_have_count(depth + 2)

    def field_of(self, label: str) -> Locator:
        """The block of one form field (its label, widget, help and error)."""
        return self.page.locator(".field").filter(has=self.page.get_by_label(label, exact=True))

    def sms_code(self, phone: str, sent_before: int, timeout: float = 10.0) -> str:
        """The code the simulator sent to `phone` after the outbox had `sent_before` messages."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for sms in reversed(self.server.outbox()[sent_before:]):
                if sms.phone == phone:
                    return re.search(r"\d{6}", sms.text).group(0)
            time.sleep(0.05)
        raise AssertionError(f"no SMS code reached {phone} within {timeout}s; outbox: {self.server.outbox()}")

    def request_code(self, phone: str) -> str:
        """【发送验证码】: the page confirms it was sent (masked number), the code comes by SMS."""
        sent_before = len(self.server.outbox())
        self.press("发送验证码")
        masked = f"{phone[:3]}****{phone[-4:]}"
        expect(self.page.get_by_role("status").filter(has_text=masked).first).to_be_visible()
        return self.sms_code(phone, sent_before)

    def persona(self, persona_id: str):
        return next(p for p in self.server.journey.env.services.personas if p.id == persona_id)


# -- the walk, page by page --------------------------------------------------------------------------
def start_application(c: Citizen, service: str = "社保卡申领") -> None:
    """Home page: 【开始办理】 of the service whose card is titled `service`."""
    c.page.goto(c.server.url + "/")
    c.sees("在线办理")
    titled = c.page.get_by_role("heading", name=service, level=2, exact=True)
    c.page.get_by_role("region", name=service, exact=True).or_(c.page.locator("section").filter(has=titled)) \
        .first.get_by_role("button", name="开始办理").click()
    c.sees("办事指南")


def verify_face(c: Citizen, persona_id: str, button: str = "完成人脸核验开始办理") -> None:
    """办事指南: consent, `button` (e.g. 【代未成年子女办理】), the simulator: choose the persona, 核验通过."""
    c.choose(CONSENT)
    c.press(button)
    c.sees("人脸核验（本地模拟）")
    name = c.persona(persona_id).person.name
    c.page.get_by_role("radio", name=re.compile(f"^{name}：")).check()
    c.press("核验通过")


def check_eligibility(c: Citizen, city: str = "广州市") -> None:
    c.sees("申领资格校验")
    c.select("意向发卡地", city)
    c.press("资格校验")


def upload_documents(c: Citizen, document_set: str | None, slots: list[str]) -> None:
    """上传材料: choose the document set (None: the page has no choice), pick each image from the
    album, 【下一步】.

    With JavaScript the image may be uploaded as soon as it is chosen (a preview with an X appears);
    without, it is sent with 【下一步】. Both are fine: wait until nothing is in flight, then go on."""
    c.sees("上传材料")
    if document_set:
        c.choose(document_set)
    for n, slot in enumerate(slots):
        album = c.page.get_by_role("group", name=slot, exact=True).get_by_label("从手机相册选择", exact=True)
        album.set_input_files(jpeg_file(f"{slot}.jpg", (200, 180, 150 - 40 * n)))
        c.settle()                                     # an immediate upload, if any, has finished
    c.snapshot("已选择图片")
    c.press("下一步")


def use_system_photo(c: Citizen) -> None:
    c.sees("获取制卡相片")
    expect(c.page.get_by_label("使用本人社保相片", exact=True)).to_be_checked()
    photo = c.field_of("使用社保系统相片制卡").get_by_role("img")
    expect(photo).to_be_visible()
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.naturalWidth") > 0, "the registry photo did not load"
    c.press("使用相片")


def use_receipt_photo(c: Citizen, receipt: str) -> None:
    """输入社保卡相片回执号, 【获取图片】 shows the photo, 【使用相片】."""
    c.sees("获取制卡相片")
    c.choose("输入社保卡相片回执号")
    c.fill("社保卡相片回执号", receipt)
    c.press("获取图片")
    photo = c.field_of("社保卡相片回执号").get_by_role("img")
    expect(photo).to_be_visible()
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.naturalWidth") > 0, "the photo for the receipt number did not load"
    c.snapshot("相片")
    c.press("使用相片")


def fill_info(c: Citizen, phone: str, valid_from: str = "2020-03-01", valid_to: str = "2040-03-01",
              insurance: str = "企业职工基本养老保险", phone_label: str = "手机号码",
              occupation: str | None = "专业技术人员", region: tuple[str, str] = ("广州市", "天河区")) -> None:
    """申请信息, top to bottom, with the SMS code from the simulator's outbox (occupation None: the
    page has no 职业, as for a minor)."""
    c.sees("申请信息")
    c.select("民族", "汉族")
    c.fill("证件有效开始日期", valid_from)
    c.fill("证件有效截止日期", valid_to)
    c.fill(phone_label, phone)
    code = c.request_code(phone)
    c.snapshot("验证码已发送")
    c.fill("验证码", code)
    if occupation:
        c.select("职业", occupation)
    c.choose_region("常住地区", list(region))
    c.fill("常住详细地址", ADDRESS)
    c.select("服务银行", "工商银行")
    c.select("参保类型", insurance)
    c.press("下一步")


def choose_branch(c: Citizen, keyword: str = BRANCH_KEYWORD) -> str:
    """受理网点 by keyword. Without JavaScript: 【选择受理网点】 saves the page and opens the branch search page and
    【选择该网点】 fills it back into 领卡方式; with it, the search and the choice happen in place."""
    c.sees("领卡方式")
    found = re.compile(r"找到 [1-9]\d* 个网点")
    if c.recorder.javascript:
        box = c.page.get_by_role("group", name="受理网点", exact=True)
        box.get_by_label(SEARCH_LABEL).fill(keyword)
        expect(box.get_by_text(found)).to_be_visible()
        c.settle()
        c.snapshot("网点搜索结果")
        first = box.get_by_role("listitem").first
        name = first.locator("strong").inner_text().strip()
        first.get_by_role("button", name=re.compile("^选择")).click()
        c.settle()
    else:
        c.press("选择受理网点")                       # a button of the form: the page's answers are saved first
        c.sees("受理网点信息")
        c.page.get_by_label(SEARCH_LABEL).fill(keyword)
        c.press("搜索")
        expect(c.page.get_by_text(found)).to_be_visible()
        c.snapshot("搜索结果")
        first = c.page.get_by_role("main").get_by_role("listitem").first
        name = first.locator("strong").inner_text().strip()
        first.get_by_role("link", name="选择该网点").click()
        c.sees("领卡方式", "已选网点")
    expect(c.page.get_by_role("group", name="受理网点", exact=True).get_by_text(name)).to_be_visible()
    return name


def pickup_at_branch(c: Citizen, keyword: str = BRANCH_KEYWORD) -> str:
    name = choose_branch(c, keyword)
    c.choose("网点领卡")
    c.press("下一步")
    return name


def pickup_by_mail(c: Citizen, recipient_phone: str | None = None) -> str:
    """邮寄到付: 温馨提示, optionally a new recipient phone with its own SMS code, address."""
    name = choose_branch(c)
    c.choose("邮寄到付")
    expect(c.page.get_by_role("note").filter(has_text="邮寄到付的邮费由收件人支付")).to_be_visible()
    c.choose("我已阅读并确认温馨提示")
    if recipient_phone:
        c.choose("修改收件人手机号码")
        c.fill("收件人手机号码", recipient_phone)
        code = c.request_code(recipient_phone)
        c.snapshot("收件人验证码已发送")
        c.fill("验证码", code)
    c.choose_region("收件地区", ["广东省", "广州市", "天河区"])
    c.fill("详细地址", ADDRESS)
    c.snapshot("邮寄信息")
    c.press("下一步")
    return name


def submit(c: Citizen) -> None:
    """【确认提交】 on 信息确认 (the caller has seen and recorded the page)."""
    expect(c.heading("信息确认")).to_be_visible()
    c.press("确认提交")


def sees_success(c: Citizen) -> str:
    c.sees("提交成功")
    expect(c.page.get_by_role("main").get_by_text("提交成功", exact=True).last).to_be_visible()
    reference = c.page.get_by_text(re.compile(r"受理编号："))
    expect(reference).to_have_text(re.compile(r"受理编号：\s*\S+"))
    return reference.inner_text().split("：", 1)[1].strip()




def walk_to_review(c: Citizen, persona_id: str = "mainland_adult") -> None:
    """Home → 办事指南 → face check → 资格校验 → 身份证 → system photo → 申请信息 → 网点领卡 → 信息确认."""
    start_application(c)
    verify_face(c, persona_id)
    check_eligibility(c)
    c.sees("上传材料")
    expect(c.page.get_by_label("居民身份证", exact=True)).to_be_checked()   # the only option allowed
    upload_documents(c, None, ["身份证国徽面", "身份证人像面"])
    use_system_photo(c)
    valid_from, valid_to = VALIDITY.get(persona_id, ("2020-03-01", "2040-03-01"))
    fill_info(c, c.persona(persona_id).person.phone, valid_from, valid_to)
    pickup_at_branch(c)
    c.sees("信息确认")


def enter_cleanup(c: Citizen, popup: Locator, cards: tuple[str, ...]) -> None:
    """The several-cards popup's 【确认】 → cleanup guide → consent → the cards listed → 确认信息."""
    c.press("确认", within=popup)
    c.sees("办事指南", "一人一卡清理")
    expect(c.page.get_by_text("一人一卡清理", exact=True).first).to_be_visible()
    c.choose("本人已认真阅读，理解并自愿接受以上约定")
    c.press("开始办理")
    c.sees("待清理的社保卡信息")
    for card in cards:
        expect(c.page.get_by_role("main").get_by_text(card, exact=True)).to_be_visible()


def confirm_cleanup(c: Citizen) -> None:
    """On 确认信息: 【清理】 → the modal's 【确认】 → 清理成功 → 【继续申领】 back to the application."""
    c.press("清理")
    modal = c.popup("确定要提交清理吗")
    c.press("确认", within=modal)
    c.sees("提交成功", "清理")
    expect(c.page.get_by_text("清理成功", exact=True)).to_be_visible()
    c.press("继续申领")


def review_section(c: Citizen, title: str) -> Locator:
    return c.page.locator("section").filter(has=c.page.get_by_role("heading", name=title, level=2, exact=True))
