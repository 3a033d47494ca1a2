"""办件进度 after submitting: the card back end's status operation (connectors/card_backend.yaml
`card_status`), moved on by its simulator over time (SIMULATOR_CLOCK), polled by the outbox
worker's round; an SMS on acceptance and on each change, once, to the applicant's phone; the
status page only for the browser or the face-verified person that owns the application."""
from __future__ import annotations

import re
import threading

import pytest

from apptools import Clock, make_app
from walkers import ADULT_INFO, HtmlWalker

PHONE = "13800138001"          # mainland_adult's


class SimClock:
    """The simulated systems' time (epoch seconds), moved on by the test."""

    def __init__(self):
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t

    def minutes(self, n: float) -> None:
        self.t += n * 60


@pytest.fixture
def sim_clock():
    return SimClock()


@pytest.fixture
def timed(tmp_path, definitions, sim_clock):
    clock = Clock()
    app = make_app(tmp_path, definitions, CLOCK=clock, SIMULATOR_CLOCK=sim_clock, PROGRESS_POLL_SECONDS=60)
    app.test_clock = clock
    yield app
    app.extensions["govflow"].env.store.close()


def submit(app, pickup=None, persona="mainland_adult"):
    web = HtmlWalker(app.test_client(), app)
    web.walk_to_info(persona)
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": PHONE}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, expect=302)
    branch = web.journey.env.services.branches.search(None, "天河")[0]
    web.post("pickup", "next", pickup or {"pickup_method": "branch", "branch_id": branch.id}, expect=302)
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/success"), web.location()
    web.branch = branch
    return web


def progress_sms(journey) -> list[str]:
    return [m.text for m in journey.env.services.sms_gateway.outbox()
            if m.phone == PHONE and "验证码" not in m.text]


def verified_progress(app, persona: str) -> str:
    """A new browser: 办件进度 → face verification → that person's applications."""
    web = HtmlWalker(app.test_client(), app)
    web.client.get("/progress")
    r = web.client.post("/resume", data={"_csrf": web._csrf(), "then": "progress"})
    face_url = r.headers["Location"]
    r = web.client.post(face_url, data={"_csrf": web._csrf(), "persona": persona, "result": "pass"})
    r = web.client.get(r.headers["Location"])
    assert r.status_code == 302 and r.headers["Location"].endswith("/progress"), r.status_code
    return web.client.get("/progress").get_data(as_text=True)


def later(app, sim_clock, minutes: float) -> int:
    """Time passes for both the platform and the simulated back end; one poll round."""
    sim_clock.minutes(minutes)
    app.test_clock.advance(minutes=minutes)
    return app.extensions["govflow"].deliverer.poll_progress()


def test_status_moves_on_with_the_simulator_and_each_change_sends_one_sms(timed, sim_clock):
    journey = timed.extensions["govflow"]
    web = submit(timed)
    app = journey.env.store.applications.get(web.id)
    assert journey.env.store.progress.get(web.id).status == "submitted"
    texts = progress_sms(journey)
    assert len(texts) == 1 and app.reference in texts[0] and "已提交" in texts[0]     # on acceptance

    assert later(timed, sim_clock, 0.5) == 0                 # not due yet: asked at most once a minute
    later(timed, sim_clock, 2)                                # the back end hears of it: 已提交 still
    assert journey.env.store.progress.get(web.id).status == "submitted" and len(progress_sms(journey)) == 1
    later(timed, sim_clock, 30)
    assert journey.env.store.progress.get(web.id).status == "reviewing"
    later(timed, sim_clock, 1)
    later(timed, sim_clock, 240)
    assert journey.env.store.progress.get(web.id).status == "making"
    later(timed, sim_clock, 24 * 60)
    done = journey.env.store.progress.get(web.id)
    assert done.status == "ready" and done.final and done.report == {"branch": web.branch.id}
    texts = progress_sms(journey)
    assert len(texts) == 4, texts                              # 已提交, 审核中, 制卡中, 可领取: each once
    assert "审核中" in texts[1] and "制作中" in texts[2] and web.branch.name in texts[3]
    later(timed, sim_clock, 24 * 60)                          # final: no more questions, no more SMS
    assert len(progress_sms(journey)) == 4

    assert app.reference not in web.client.get("/progress").get_data(as_text=True)   # days later: session gone
    page = verified_progress(timed, "mainland_adult")      # 人脸识别后查询本人全部申请
    assert app.reference in page and "可领取" in page and web.branch.name in page
    assert re.search(r"class=\"step-current\"[^>]*><span class=\"step-title\">可领取", page)


def test_mail_pickup_reports_the_parcel_number(timed, sim_clock):
    journey = timed.extensions["govflow"]
    web = submit(timed, {"pickup_method": "mail", "mail_notice_ack": "true", "change_recipient_mobile": "false",
                         "recipient_region": "440106", "recipient_address": "天河路100号3栋501房",
                         "branch_id": journey.env.services.branches.search(None, "天河")[0].id})
    later(timed, sim_clock, 2)
    later(timed, sim_clock, 2 * 24 * 60)
    done = journey.env.store.progress.get(web.id)
    assert done.status == "mailed" and re.fullmatch(r"SF\d{12}", done.report["parcel_number"])
    assert done.report["parcel_number"] in progress_sms(journey)[-1]
    page = verified_progress(timed, "mainland_adult")
    assert "已寄出" in page and done.report["parcel_number"] in page and "快递单号" in page


def test_two_workers_polling_at_once_send_each_sms_once(timed, sim_clock, tmp_path, definitions):
    journey = timed.extensions["govflow"]
    web = submit(timed)
    other = make_app(tmp_path, definitions, CLOCK=timed.test_clock, SIMULATOR_CLOCK=sim_clock)   # a second worker
    try:
        sim_clock.minutes(1)
        timed.test_clock.advance(minutes=2)
        journey.deliverer.poll_progress()                     # the back end's clock starts
        sim_clock.minutes(45)
        timed.test_clock.advance(minutes=2)
        workers = [journey.deliverer, other.extensions["govflow"].deliverer] * 3
        together = threading.Barrier(len(workers))           # all of them poll at the same moment

        def poll(deliverer):
            together.wait()
            deliverer.poll_progress()

        threads = [threading.Thread(target=poll, args=(d,)) for d in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert journey.env.store.progress.get(web.id).status == "reviewing"
        assert [("审核中" in t) for t in progress_sms(journey)] == [False, True]
        assert journey.deliverer.progress.notify(web.id) is False      # already told: nothing again
    finally:
        other.extensions["govflow"].env.store.close()


def test_progress_is_the_owners_only(timed):
    web = submit(timed)
    journey = timed.extensions["govflow"]
    reference = journey.env.store.applications.get(web.id).reference
    assert reference in web.client.get("/progress").get_data(as_text=True)
    for path in ("receipt", "receipt.pdf", "qr.svg"):
        assert web.client.get(f"/progress/{web.id}/{path}").status_code == 200, path
    stranger = timed.test_client()
    page = stranger.get("/progress")
    assert page.status_code == 200 and reference not in page.get_data(as_text=True)
    assert "没有查到已提交的申请" in page.get_data(as_text=True)
    for path in ("receipt", "receipt.pdf", "qr.svg"):
        r = stranger.get(f"/progress/{web.id}/{path}")
        assert r.status_code == 404 and "没有找到该页面" in r.get_data(as_text=True)      # the site's Chinese 404
        assert reference not in r.get_data(as_text=True)
    assert stranger.get("/progress/nonexistent/receipt").status_code == 404


def test_the_success_page_and_home_page_lead_to_progress(timed):
    web = submit(timed)
    success = web.client.get(f"/a/{web.id}/success").get_data(as_text=True)
    assert 'href="/progress"' in success and "查询办件进度" in success
    assert 'href="/progress"' in web.client.get("/").get_data(as_text=True)


def test_the_pending_application_popup_links_to_progress(timed):
    web = HtmlWalker(timed.test_client(), timed)
    web.start()
    html = web.verify("pending_application").get_data(as_text=True)
    assert 'role="alertdialog"' in html and 'href="/progress"' in html and "查询办件进度" in html
