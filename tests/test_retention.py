"""Retention (store/retention.py): abandoned drafts, old uploads, expired sessions and SMS codes are
deleted — rows and files — once their period is over; the decision trail keeps masked facts only."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from apptools import Clock, make_app
from govflow.store.models import CodeRow, DecisionRow, OutboxRow, SessionRow, UploadRow
from govflow.store.retention import Retention, purge
from walkers import ApiWalker, HtmlWalker

pytestmark = pytest.mark.both_databases

ADULT_ID = "440106198805123510"



@pytest.fixture
def clock():
    from govflow.store.records import utcnow
    return Clock(utcnow())


@pytest.fixture
def timed(tmp_path, definitions, clock, db_url):
    app = make_app(tmp_path, definitions, CLOCK=clock, DATABASE_URL=db_url,
                   RETENTION=Retention(draft_days=30, upload_days=10))
    yield app
    app.extensions["govflow"].env.store.close()


def _count(store, table, **where):
    stmt = select(func.count()).select_from(table)
    for name, value in where.items():
        stmt = stmt.where(getattr(table, name) == value)
    with store.reading() as db:
        return db.execute(stmt).scalar_one()


def _stored_names(store, app_id):
    with store.reading() as db:
        return list(db.scalars(select(UploadRow.stored_name).where(UploadRow.application_id == app_id)))


def _files(store):
    return sorted(p.name for p in store.uploads.dir.iterdir() if p.is_file())


def test_purge_deletes_what_is_past_its_period_rows_and_files(timed, clock):
    store = timed.extensions["govflow"].env.store
    submitted = ApiWalker(timed.test_client(), timed)
    submitted.walk_to_confirm()
    assert submitted.act("confirm", "submit", expect=200)["status"] == "submitted"
    world = timed.extensions["govflow"].env.services.simulator_state
    world.reset()                                   # 陈志明 may start again (the registry forgets)
    abandoned = ApiWalker(timed.test_client(), timed)
    abandoned.walk_to_info()                        # uploads, a decision trail; then nothing for a month
    clock.now += timedelta(minutes=2)              # one code a minute per phone
    abandoned.sms("info", "mobile_code", "13800138001")
    web = HtmlWalker(timed.test_client(), timed)
    web.start()                                     # a citizen session
    files_of = {a.id: _stored_names(store, a.id) for a in (submitted, abandoned)}
    assert files_of[submitted.id] and files_of[abandoned.id]
    assert _count(store, CodeRow, application_id=abandoned.id) == 1
    assert _count(store, DecisionRow, application_id=abandoned.id) > 0

    clock.now += timedelta(days=9)                  # nothing is due yet (sessions: idle timeout)
    recent = ApiWalker(timed.test_client(), timed)
    recent.walk_to_info()
    world.reset()
    counts = purge(store, Retention(draft_days=30, upload_days=10))
    assert counts["drafts"] == 0 and counts["uploads"] == 0 and counts["sessions"] >= 1 and counts["codes"] >= 1
    assert _count(store, SessionRow) == 0           # the citizen's session expired (idle) 9 days ago

    clock.now += timedelta(days=22)                 # 31 days after the first walks, 22 after `recent`
    counts = purge(store, Retention(draft_days=30, upload_days=10))
    assert counts["drafts"] == 2                    # the API draft and the HTML one
    assert store.applications.get(abandoned.id) is None and store.applications.get(web.id) is None
    for table in (UploadRow, CodeRow, DecisionRow, OutboxRow):
        assert _count(store, table, application_id=abandoned.id) == 0, table
    assert store.applications.get(recent.id) is not None and store.uploads.for_application(recent.id)
    kept = store.applications.get(submitted.id)
    assert kept.status == "submitted" and kept.reference
    assert store.uploads.for_application(submitted.id) == []
    left = set(_files(store))
    assert not left & set(files_of[submitted.id] + files_of[abandoned.id])
    trail = store.decisions.for_application(submitted.id)
    assert trail and ADULT_ID not in json.dumps([d.facts for d in trail], ensure_ascii=False)
    again = purge(store, Retention(draft_days=30, upload_days=10))
    assert again["drafts"] == 0 and again["uploads"] == 0                              # nothing twice


def test_a_draft_another_application_was_started_from_stays_while_that_one_does(timed, clock):
    store = timed.extensions["govflow"].env.store
    with store.transaction():
        parent = store.applications.create("sscard_minor", "api:x", "1", {})
        child = store.applications.create("cleanup", "api:x", "1", {}, parent_id=parent.id)
        lone_parent = store.applications.create("sscard_minor", "api:y", "1", {})
        lone_child = store.applications.create("cleanup", "api:y", "1", {}, parent_id=lone_parent.id)
    child.status = "submitted"
    with store.transaction():
        store.applications.save(child)
    clock.now += timedelta(days=31)
    assert purge(store, Retention(draft_days=30, upload_days=10))["drafts"] == 2   # lone_parent and lone_child
    assert store.applications.get(parent.id) is not None and store.applications.get(child.id) is not None
    assert store.applications.get(lone_parent.id) is None and store.applications.get(lone_child.id) is None


def test_the_outbox_worker_purges_and_the_periods_come_from_the_environment(timed, clock, monkeypatch):
    journey = timed.extensions["govflow"]
    store = journey.env.store
    api = ApiWalker(timed.test_client(), timed)
    api.walk_to_info()
    clock.now += timedelta(days=31)
    rounds = iter([False, True])
    journey.deliverer.work(poll_seconds=0, stop=lambda: next(rounds))
    assert store.applications.get(api.id) is None
    assert Retention.from_env({"RETAIN_DRAFT_DAYS": "7", "RETAIN_UPLOAD_DAYS": "90", "RETAIN_AUDIT_DAYS": "200"}) == \
        Retention(draft_days=7, upload_days=90, audit_days=200)
    with pytest.raises(ValueError):
        Retention.from_env({"RETAIN_DRAFT_DAYS": "-1"})


def test_govflow_purge_on_the_command_line(tmp_path, monkeypatch, capsys):
    from govflow.cli import ROOT, main
    monkeypatch.setenv("GOVFLOW_VAR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["--root", str(ROOT), "purge"]) == 0
    assert "deleted: 0 abandoned drafts (untouched 30 days)" in capsys.readouterr().out


def test_rate_limit_counters_and_old_staff_events_are_purged(timed, clock):
    store = timed.extensions["govflow"].env.store
    store.staff_events.record("staff", "login", client="127.0.0.1")
    store.throttle.hit("sms", "127.0.0.1", store.now())
    clock.now += timedelta(days=2)
    counts = purge(store, Retention(audit_days=365))
    assert counts["counters"] == 1 and counts["staff_events"] == 0 and len(store.staff_events.list()) == 1
    clock.now += timedelta(days=365)
    assert purge(store, Retention(audit_days=365))["staff_events"] == 1 and store.staff_events.list() == []
