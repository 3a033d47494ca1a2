"""Staff accounts: throttling by account and address that slows an attacker without locking the
owner out (growing delays, then a per-address block; a moved clock), the demo account only with the
simulators and disabled once a real account exists, and the audit events (login, logout, export)
recorded without personal data."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from apptools import T0
from govflow.store.staff import ADDRESS_FAILURES, FREE_FAILURES, StaffAccounts, delay_after

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)
CLOCKED = True                               # the app runs on the `clock` fixture (conftest.py)

ATTACKER, OWNER = "203.0.113.9", "198.51.100.20"



@pytest.fixture
def accounts(store):
    found = StaffAccounts(store, demo_allowed=False)
    found.add("alice", "alice-password-1")
    return found


def _login(app, username, password, address):
    client = app.test_client()
    page = client.get("/staff/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    r = client.post("/staff/login", data={"_csrf": token, "username": username, "password": password},
                    environ_base={"REMOTE_ADDR": address})
    return client, r


def test_delays_grow_per_account_and_address_and_the_owner_is_never_locked_out(accounts):
    moment = T0
    for _ in range(FREE_FAILURES):
        assert accounts.authenticate("alice", "guess", now=moment, client=ATTACKER).reason == "wrong"
    refused = accounts.authenticate("alice", "alice-password-1", now=moment, client=ATTACKER)
    assert refused.reason == "wait" and refused.retry_after_s == 31
    # the owner, from their own address, at the same moment
    assert accounts.authenticate("alice", "alice-password-1", now=moment, client=OWNER).ok
    # each further failure doubles the wait
    waits = []
    for _ in range(4):
        moment += delay_after(len(waits) + FREE_FAILURES)
        assert accounts.authenticate("alice", "guess", now=moment, client=ATTACKER).reason == "wrong"
        waits.append(accounts.authenticate("alice", "guess", now=moment, client=ATTACKER).retry_after_s)
    assert waits == [61, 121, 241, 481]
    assert delay_after(50) == timedelta(minutes=15)
    # after the delay even that address may try again, and a success clears its count
    moment += delay_after(FREE_FAILURES + 4)
    assert accounts.authenticate("alice", "alice-password-1", now=moment, client=ATTACKER).ok
    assert accounts.authenticate("alice", "guess", now=moment, client=ATTACKER).reason == "wrong"
    assert accounts.authenticate("alice", "alice-password-1", now=moment, client=ATTACKER).ok


def test_an_address_that_fails_too_often_is_blocked_for_every_name(accounts, store):
    moment = T0
    names = [f"name{i}" for i in range(ADDRESS_FAILURES)]
    for name in names:
        assert accounts.authenticate(name, "guess", now=moment, client=ATTACKER).reason == "wrong"
        moment += timedelta(seconds=5)
    blocked = accounts.authenticate("alice", "alice-password-1", now=moment, client=ATTACKER)
    assert blocked.reason == "blocked" and blocked.retry_after_s == 15 * 60 - ADDRESS_FAILURES * 5
    assert accounts.authenticate("alice", "alice-password-1", now=moment, client=OWNER).ok
    moment = T0 + timedelta(minutes=15, seconds=1)
    assert accounts.authenticate("alice", "alice-password-1", now=moment, client=ATTACKER).ok
    with store.session() as db:
        keys = [r[0] for r in db.execute(text("SELECT key FROM throttle_events"))]
    assert keys and not any(ATTACKER in k or "name1" in k for k in keys)


def test_throttling_over_http_with_a_moved_clock(app, clock):
    for _ in range(FREE_FAILURES):
        assert _login(app, "staff", "guess", ATTACKER)[1].status_code == 401
    r = _login(app, "staff", "staff-demo", ATTACKER)[1]
    assert r.status_code == 429 and r.headers["Retry-After"] == "31"
    owner, r = _login(app, "staff", "staff-demo", OWNER)
    assert r.status_code == 302 and owner.get("/staff/").status_code == 200
    clock.advance(seconds=31)
    assert _login(app, "staff", "staff-demo", ATTACKER)[1].status_code == 302


def test_the_client_address_is_taken_from_the_trusted_proxy_only(app):
    client = app.test_client()
    for _ in range(FREE_FAILURES):
        page = client.get("/staff/login").get_data(as_text=True)
        token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        client.post("/staff/login", data={"_csrf": token, "username": "staff", "password": "guess"},
                    headers={"X-Forwarded-For": f"10.0.0.1, {ATTACKER}"})
    events = app.extensions["govflow"].env.store.staff_events.list()
    assert {e.client for e in events} == {ATTACKER}
    # a peer that is not the proxy cannot choose its address
    _, r = _login(app, "staff", "guess", "192.0.2.50")
    assert app.extensions["govflow"].env.store.staff_events.list(limit=1)[0].client == "192.0.2.50"


def test_the_demo_account_only_with_the_simulators_and_only_until_a_real_account_exists(app):
    env = app.extensions["govflow"].env
    demo_client, r = _login(app, "staff", "staff-demo", OWNER)
    assert r.status_code == 302
    StaffAccounts(env.store).add("alice", "alice-password-1")          # govflow staff-add alice
    assert demo_client.get("/staff/").status_code == 302               # the demo session ends at once
    assert _login(app, "staff", "staff-demo", OWNER)[1].status_code == 401
    assert _login(app, "alice", "alice-password-1", OWNER)[1].status_code == 302
    assert not StaffAccounts(env.store).exists("staff")


def test_without_the_simulators_the_demo_account_is_refused(store):
    # without the simulators a demo account is refused even when its row is there
    StaffAccounts(store).ensure_demo()
    assert StaffAccounts(store, demo_allowed=True).authenticate("staff", "staff-demo", client=OWNER).ok
    assert StaffAccounts(store, demo_allowed=False).authenticate("staff", "staff-demo",
                                                                 client=OWNER).reason == "wrong"
    # a real account named like the demo one is a real account
    StaffAccounts(store).add("staff", "a-real-password")
    assert StaffAccounts(store, demo_allowed=False).authenticate("staff", "a-real-password", client=OWNER).ok


def test_login_logout_and_export_are_audit_events_without_personal_data(app):
    from walkers import HtmlWalker
    web = HtmlWalker(app.test_client(), app)
    web.start()
    web.verify("mainland_adult")                                   # an application with personal data
    _login(app, "nobody", "440106198805123510", ATTACKER)          # a password that is an ID number
    client, r = _login(app, "staff", "staff-demo", OWNER)
    export = client.get("/staff/applications.csv", environ_base={"REMOTE_ADDR": OWNER})
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert web.id in export.get_data(as_text=True) and "440106" not in export.get_data(as_text=True)
    page = client.get("/staff/").get_data(as_text=True)
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    client.post("/staff/logout", data={"_csrf": token}, environ_base={"REMOTE_ADDR": OWNER})
    store = app.extensions["govflow"].env.store
    events = store.staff_events.list()
    assert [(e.action, e.actor) for e in reversed(events)] == [
        ("login_failed", "-"), ("login", "staff"), ("export", "staff"), ("logout", "staff")]
    assert events[1].detail == {"what": "applications", "format": "csv", "rows": 1, "filters": {},
                                "personal": False} and events[0].client == OWNER
    with store.session() as db:
        dump = repr(db.execute(text("SELECT * FROM staff_events")).all())
    for personal in ("440106198805123510", "陈志明", "13800138001", "nobody"):
        assert personal not in dump
    # the staff page lists them
    client, _ = _login(app, "staff", "staff-demo", OWNER)
    listing = client.get("/staff/events").get_data(as_text=True)
    assert listing.count('data-action="login"') == 2 and 'data-action="export"' in listing and "导出" in listing


def test_events_mask_personal_data_and_keep_the_interface_of_the_reveal_page(store):
    store.staff_events.record("auditor", "reveal", application_id="a" * 32, detail={"field": "id_number",
                                                                                    "reason": "complaint"},
                              client="10.1.2.3")
    [event] = store.staff_events.list(limit=100)
    assert (event.actor, event.action, event.application_id, event.detail, event.client) == (
        "auditor", "reveal", "a" * 32, {"field": "id_number", "reason": "complaint"}, "10.1.2.3")
    assert event.at.tzinfo is not None
    store.staff_events.record("auditor", "reveal", detail={"reason": "本人来电 13800138001 核对 440106198805123510"})
    assert store.staff_events.list(limit=1)[0].detail == {"reason": "本人来电 *********** 核对 ******************"}
