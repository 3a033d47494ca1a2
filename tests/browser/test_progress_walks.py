"""After submitting, on a phone: 办件进度 shows the application and the card back end's progress
as its simulator moves it on (SIMULATOR_CLOCK), the 电子回执 opens and the SMS is in the
simulator's outbox. Screenshots: test-output/screenshots/<test>/; every page checked with axe."""
from __future__ import annotations

from playwright.sync_api import expect

from steps import Citizen, sees_success, submit, walk_to_review


def _citizen(context, server, recorder_for, javascript: bool) -> Citizen:
    page = context.new_page()
    return Citizen(page, server, recorder_for(page, javascript=javascript))


def _poll(server, sim_clock, minutes: float) -> None:
    """The outbox worker's poll round, after the simulated back end's clock moved on."""
    sim_clock.t += minutes * 60
    server.journey.deliverer.poll_progress()


def _walk(c: Citizen, server, sim_clock) -> str:
    walk_to_review(c)
    submit(c)
    reference = sees_success(c)
    c.follow("查询办件进度")
    c.sees("办件进度")
    card = c.page.locator("section.progress-card").filter(has_text=reference)
    expect(card).to_contain_text("已提交")
    expect(card.locator("li[aria-current=step]")).to_have_text("已提交（当前）")

    _poll(server, sim_clock, 1)          # the back end hears of it
    _poll(server, sim_clock, 45)         # 审核中
    c.page.reload()
    c.sees("办件进度", "审核中")
    expect(card.locator("li[aria-current=step]")).to_contain_text("审核中")
    expect(card.locator("li.step-done")).to_have_text(["已提交（已完成）"])
    _poll(server, sim_clock, 240)             # 制卡中
    _poll(server, sim_clock, 2 * 24 * 60)     # 可领取 at the branch chosen
    c.page.reload()
    c.sees("办件进度", "可领取")
    expect(card.locator("li[aria-current=step]")).to_contain_text("可领取")
    expect(card.locator("[data-report]")).to_have_count(1)

    card.get_by_role("link", name="查看电子回执").click()
    c.sees("社会保障卡业务电子回执")
    expect(c.page.locator("main")).to_contain_text(reference)
    expect(c.page.get_by_role("img", name=f"受理编号 {reference} 的二维码")).to_be_visible()
    with c.page.expect_download() as download:
        c.page.get_by_role("link", name="下载电子回执（PDF）").click()
    assert download.value.suggested_filename == f"receipt-{reference}.pdf"

    c.page.goto(server.url + "/dev/sms")
    outbox = c.page.locator("main")
    for status in ("已提交", "正在审核中", "正在制作中", "已制作完成"):
        expect(outbox).to_contain_text(status)
    expect(outbox).to_contain_text(reference)
    return reference


def test_submit_then_follow_progress_and_open_the_receipt(phone, progress_server, sim_clock, recorder_for):
    _walk(_citizen(phone, progress_server, recorder_for, True), progress_server, sim_clock)


def test_progress_without_javascript(phone_nojs, progress_server, sim_clock, recorder_for):
    _walk(_citizen(phone_nojs, progress_server, recorder_for, False), progress_server, sim_clock)
