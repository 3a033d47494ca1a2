"""社保卡补换卡 on a phone: each replacement persona walks its whole path (README, personas table).

Screenshots: test-output/screenshots/<test>/<nn>-<page>.png; every page is also checked with axe-core.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from apptools import live_cards, registry_record
from steps import (
    enter_cleanup,
    pickup_at_branch,
    sees_success,
    start_application,
    submit,
    use_receipt_photo,
    use_system_photo,
    verify_face,
)

SERVICE = "社保卡补换卡"
LOST, DAMAGED = "补卡（社保卡遗失）", "换卡（社保卡损坏或失效）"


def choose_card(c, city: str, reason: str, damage: str | None = None) -> None:
    """选择补换的社保卡: the card's row (by its city), the reason, 【下一步】."""
    c.sees("选择补换的社保卡")
    c.page.get_by_role("radio", name=re.compile(city)).check()
    c.choose(reason)
    if damage:
        c.choose(damage)
    c.snapshot("已选择")
    c.press("下一步")


def card_status(c, persona: str, number: str) -> str:
    services = c.server.journey.env.services
    cards = registry_record(services, services.people.person(persona).ssn)["cards"]
    return next(card["status"] for card in cards if card["card_number"] == number)


def test_a_lost_card_is_reported_lost_first_then_replaced(citizen):
    start_application(citizen, SERVICE)
    verify_face(citizen, "card_holder")
    choose_card(citizen, "广州市", LOST)
    popup = citizen.popup("补卡前须先挂失原社会保障卡")
    citizen.press("确认", within=popup)
    citizen.sees("确认挂失")
    expect(citizen.page.get_by_role("radio", name=re.compile("广州市"))).to_be_checked()   # the one card
    citizen.press("临时挂失")
    modal = citizen.popup("确定要挂失这张社会保障卡吗")
    citizen.press("确认挂失", within=modal)
    citizen.sees("挂失成功")
    assert card_status(citizen, "card_holder", "A10385172") == "临时挂失"
    citizen.press("继续补卡")
    choose_card(citizen, "广州市", LOST)
    use_system_photo(citizen)
    pickup_at_branch(citizen)
    citizen.sees("信息确认")
    expect(citizen.page.get_by_text(LOST).first).to_be_visible()
    submit(citizen)
    assert sees_success(citizen).startswith("BH")


def test_a_damaged_card_is_exchanged_without_a_loss_report(citizen):
    start_application(citizen, SERVICE)
    verify_face(citizen, "card_holder")
    choose_card(citizen, "广州市", DAMAGED, "芯片失效")
    use_system_photo(citizen)
    pickup_at_branch(citizen)
    citizen.sees("信息确认")
    submit(citizen)
    assert sees_success(citizen)
    assert card_status(citizen, "card_holder", "A10385172") == "正常"


def test_a_reported_card_is_replaced_and_resubmitted_after_a_refusal(citizen):
    start_application(citizen, SERVICE)
    verify_face(citizen, "card_reported_lost")
    choose_card(citizen, "深圳市", DAMAGED, "卡面损坏")
    citizen.error("这张社会保障卡已挂失")
    choose_card(citizen, "深圳市", LOST)
    use_receipt_photo(citizen, "XP2026110301")
    pickup_at_branch(citizen)
    submit(citizen)
    citizen.sees("提交失败")
    citizen.press("重新提交")
    citizen.sees("信息确认", "重新提交")
    submit(citizen)
    assert sees_success(citizen)


def test_two_cards_are_cleaned_up_before_the_exchange(citizen):
    start_application(citizen, SERVICE)
    verify_face(citizen, "card_holder_two_cards")
    choose_card(citizen, "广州市", DAMAGED, "卡面损坏")
    enter_cleanup(citizen, citizen.popup("您在广东省内存在多张社保卡"), ("A20117745",))
    citizen.press("下一步")
    citizen.sees("确认信息")
    citizen.press("清理")
    citizen.press("确认", within=citizen.popup("确定要提交清理吗"))
    citizen.sees("提交成功", "清理")
    citizen.press("继续申领")
    services = citizen.server.journey.env.services
    assert live_cards(services, services.people.person("card_holder_two_cards").ssn) == 1
    choose_card(citizen, "广州市", DAMAGED, "卡面损坏")
    use_system_photo(citizen)
    pickup_at_branch(citizen)
    submit(citizen)
    assert sees_success(citizen)


def test_nobody_without_a_card_gets_in(citizen):
    start_application(citizen, SERVICE)
    verify_face(citizen, "mainland_adult")
    citizen.popup("没有可补换的社会保障卡")
    expect(citizen.heading("办事指南")).to_be_visible()
