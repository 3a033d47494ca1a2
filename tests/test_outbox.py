"""Submission through the transactional outbox: one entry per application, one acceptance by
the back end whatever the clicks, retries with growing delays, a dead deliverer taken over."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from apptools import connector_calls, make_app
from govflow.connectors.model import RETRY, Answer
from walkers import ApiWalker

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)




class FlakyBackend:
    """The connectors' implementation, answering 'unavailable' to the first `failures` calls (an outage)."""

    def __init__(self, real, failures: int):
        self.real, self.failures, self.keys = real, failures, []
        self._lock = threading.Lock()

    def lookup(self, lookup, inputs):
        return self.real.lookup(lookup, inputs)

    def call(self, operation, application_id, request, idempotency_key):
        with self._lock:
            self.keys.append(idempotency_key)
            if self.failures > 0:
                self.failures -= 1
                return Answer(RETRY, code="backend.unavailable", reason="制卡系统繁忙")
        return self.real.call(operation, application_id, request, idempotency_key)


def flaky(journey, failures: int) -> FlakyBackend:
    wrapped = FlakyBackend(journey.env.connectors.implementation, failures=failures)
    journey.env.connectors.implementation = wrapped
    return wrapped


@pytest.fixture
def timed(tmp_path, definitions, clock, db_url):
    app = make_app(tmp_path, definitions, CLOCK=clock, DATABASE_URL=db_url)
    yield app
    app.extensions["govflow"].env.store.close()


def _journey(app):
    return app.extensions["govflow"]


def _at_confirm_with_flaky_back_end(app, failures: int):
    """An adult draft at the review page, the card back end unavailable `failures` times."""
    journey = _journey(app)
    flaky_backend = flaky(journey, failures)
    api = ApiWalker(app.test_client(), app)
    api.walk_to_confirm()
    return journey, flaky_backend, api


def test_ten_concurrent_submits_give_one_entry_one_acceptance_one_reference(api, app):
    api.walk_to_confirm()
    calls_before = connector_calls(_journey(app)).get(api.id, 0)
    clients = [app.test_client() for _ in range(10)]

    def submit(i):
        r = clients[i].post(f"/api/v1/applications/{api.id}/pages/confirm/actions/submit", headers=api.headers,
                            json={})
        return r.status_code, r.get_json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(submit, range(10)))
    assert all(status in (200, 202) for status, _ in results), results
    state = api.state()
    assert state["status"] == "submitted" and state["reference"]
    assert {body["status"] for _, body in results} <= {"submitted", "processing"}
    entries = _journey(app).env.store.outbox.for_application(api.id)
    assert len(entries) == 1 and entries[0].status == "delivered" and entries[0].attempts == 1
    assert connector_calls(_journey(app))[api.id] - calls_before == 1      # one call to the back end
    assert api.act("confirm", "submit", expect=200)["status"] == "submitted"     # later clicks: the same
    assert connector_calls(_journey(app))[api.id] - calls_before == 1 and api.state()["reference"] == state["reference"]


def test_back_end_down_three_times_the_fourth_try_succeeds_once_with_growing_delays(timed, clock):
    journey, flaky, api = _at_confirm_with_flaky_back_end(timed, failures=3)
    body = api.act("confirm", "submit", expect=202)          # first try at once: unavailable
    assert body["status"] == "processing" and body["page"] == "success"
    store = journey.env.store
    delays = []
    for _ in range(3):
        entry = store.outbox.for_application(api.id)[0]
        assert entry.status == "pending" and api.state()["status"] == "processing"
        delays.append(entry.next_attempt_at - clock.now)
        assert journey.deliverer.run_due() == 0              # not due yet
        clock.now = entry.next_attempt_at
        assert journey.deliverer.run_due() == 1
    assert delays[0] < delays[1] < delays[2], delays
    entry = store.outbox.for_application(api.id)[0]
    assert entry.status == "delivered" and entry.attempts == 4
    assert len(flaky.keys) == 4 and set(flaky.keys) == {f"{api.id}:card_application"}   # one key for every try
    state = api.state()
    assert state["status"] == "submitted" and state["reference"] and state["page"] == "success"
    assert journey.deliverer.run_due() == 0 and len(flaky.keys) == 4


def test_gives_up_after_the_last_try_and_resubmit_reuses_the_key(timed, clock):
    journey, flaky, api = _at_confirm_with_flaky_back_end(timed, failures=5)
    api.act("confirm", "submit", expect=202)
    store = journey.env.store
    for _ in range(4):
        clock.now = store.outbox.for_application(api.id)[0].next_attempt_at
        journey.deliverer.run_due()
    entry = store.outbox.for_application(api.id)[0]
    assert entry.status == "failed" and entry.attempts == 5             # for staff attention
    state = api.state()
    assert state["status"] == "draft" and state["page"] == "failure"
    assert state["outcome"]["code"] == "backend.unavailable" and state["outcome"]["note"]
    assert api.act("failure", "resubmit")["page"] == "confirm"
    ok = api.act("confirm", "submit", expect=200)                       # the back end is back
    assert ok["status"] == "submitted" and len(store.outbox.for_application(api.id)) == 1
    assert set(flaky.keys) == {f"{api.id}:card_application"}


def test_a_deliverer_that_died_mid_call_is_taken_over_after_its_lease(timed, clock):
    journey = _journey(timed)
    journey.deliver_inline = False                            # the web process leaves it to the worker
    api = ApiWalker(timed.test_client(), timed)
    api.walk_to_confirm()
    assert api.act("confirm", "submit", expect=202)["status"] == "processing"
    store, connectors = journey.env.store, journey.env.connectors
    entry = store.outbox.for_application(api.id)[0]
    claimed = store.outbox.claim(entry.id, timedelta(seconds=60))          # a worker takes it ...
    first = connectors.call(claimed.operation, api.id, claimed.payload, claimed.key)   # ... calls, and dies
    assert first.kind == "accepted" and journey.deliverer.run_due() == 0            # its lease still holds
    clock.now += timedelta(seconds=61)
    assert journey.deliverer.run_due() == 1                               # taken over: the same key
    state = api.state()
    assert state["status"] == "submitted" and state["reference"] == first.response["reference"]    # one acceptance
    assert store.outbox.finish(claimed, "delivered") is False             # the dead one's late answer is ignored


def test_the_citizen_sees_processing_then_the_outcome(timed, clock):
    from test_html_walks import _to_confirm
    from walkers import HtmlWalker
    journey = _journey(timed)
    flaky(journey, 1)
    web = HtmlWalker(timed.test_client(), timed)
    _to_confirm(web)
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/success")
    page = web.get("success").get_data(as_text=True)
    assert "已提交，正在办理" in page and 'hx-trigger="every 2s"' in page and 'http-equiv="refresh"' in page
    assert "提交成功" not in page.split("<main")[1].split("</h1>")[1]      # no success message yet
    assert web.get("info").status_code == 302                              # nothing can be changed meanwhile
    clock.now = journey.env.store.outbox.for_application(web.id)[0].next_attempt_at
    journey.deliverer.run_due()
    page = web.get("success").get_data(as_text=True)
    assert "正在办理" not in page and 'class="reference"' in page


def test_a_refusal_shows_its_reason_on_the_failure_page(app):
    from test_failure_page import html_failure_page
    _, page = html_failure_page(app)
    assert 'data-code="backend.rejected"' in page and "相片审核未通过" in page
