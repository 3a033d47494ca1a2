"""Store: applications (restart survival, optimistic lock), decisions, versions,
exactly-once claims and server-side sessions."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from apptools import KEYRING
from apptools import STORE_SECRET as SECRET
from govflow.store import Application, StaleApplication, open_store

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)



def new_app(store, owner="owner-1", flow="sscard_adult"):
    return store.applications.create(flow, owner, "flowhash1", {"eligibility": "rulehash1"})


def test_create_and_get_roundtrip(store):
    app = new_app(store)
    assert len(app.id) == 32 and app.status == "draft" and app.revision == 0
    got = store.applications.get(app.id)
    assert isinstance(got, Application)
    assert got.rule_versions == {"eligibility": "rulehash1"}
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)
    assert store.applications.get("nope") is None
    assert store.applications.get(app.id, owner="someone-else") is None
    assert store.applications.get(app.id, owner="owner-1").id == app.id


def test_application_survives_restart(db_url, tmp_path, store):
    app = new_app(store)
    app.answers = {"eligibility": {"issuing_city": "440100", "name": "张三"}}
    app.done = ["guide", "eligibility"]
    app.context = {"identity": {"name": "张三"}, "verified_phones": ["13800138000"]}
    app.last_outcome = {"refuse": {"message": "x"}}
    store.applications.save(app)
    store.close()

    second = open_store(db_url, tmp_path / "uploads", SECRET, keyring=KEYRING)
    try:
        got = second.applications.get(app.id)
        assert got.answers == {"eligibility": {"issuing_city": "440100", "name": "张三"}}
        assert got.done == ["guide", "eligibility"]
        assert got.context["verified_phones"] == ["13800138000"]
        assert got.last_outcome == {"refuse": {"message": "x"}}
        assert got.revision == 1
    finally:
        second.close()


def test_optimistic_lock_refuses_stale_revision(store):
    app = new_app(store)
    tab_a = store.applications.get(app.id)
    tab_b = store.applications.get(app.id)
    tab_a.answers = {"guide": {"consent": True}}
    saved = store.applications.save(tab_a)
    assert saved.revision == 1 and tab_a.revision == 1
    tab_b.answers = {"guide": {"consent": False}}
    with pytest.raises(StaleApplication):
        store.applications.save(tab_b)
    assert store.applications.get(app.id).answers == {"guide": {"consent": True}}
    # the winner can keep saving with the object it holds
    tab_a.status = "submitted"
    store.applications.save(tab_a)
    assert store.applications.get(app.id).revision == 2


def test_saved_copy_is_not_shared_with_caller(store):
    app = new_app(store)
    app.answers = {"p": {"f": 1}}
    store.applications.save(app)
    app.answers["p"]["f"] = 2          # mutate after save without saving
    assert store.applications.get(app.id).answers == {"p": {"f": 1}}


def test_unknown_status_refused(store):
    app = new_app(store)
    app.status = "approved"
    with pytest.raises(ValueError):
        store.applications.save(app)


def test_list_for_owner_and_find_open(store):
    first = store.applications.create("sscard_adult", "o", "v", {}, now=T0)
    second = store.applications.create("sscard_adult", "o", "v", {}, now=T0 + timedelta(minutes=1))
    store.applications.create("sscard_minor", "o", "v", {}, now=T0 + timedelta(minutes=2))
    store.applications.create("sscard_adult", "other", "v", {})
    assert [a.flow_id for a in store.applications.list_for_owner("o")] == \
        ["sscard_minor", "sscard_adult", "sscard_adult"]
    assert store.applications.find_open("o", "sscard_adult").id == second.id
    second.status = "submitted"
    store.applications.save(second)
    assert store.applications.find_open("o", "sscard_adult").id == first.id
    assert store.applications.find_open("o", "cleanup") is None


def test_child_application_keeps_parent(store):
    parent = new_app(store)
    child = store.applications.create("cleanup", "owner-1", "v", {}, parent_id=parent.id,
                                      context={"from": "ELIG-002"})
    got = store.applications.get(child.id)
    assert got.parent_id == parent.id and got.context == {"from": "ELIG-002"}


def test_decisions_in_time_order(store):
    app = new_app(store)
    store.decisions.record(app.id, "eligibility", "r2", "sscard_adult", "f1", ["ELIG-002"],
                           {"redirect": {"flow": "cleanup"}}, {"identity": {"ssn": "4401********1234"}},
                           at=T0 + timedelta(seconds=5))
    store.decisions.record(app.id, "pre_check", "r1", "sscard_adult", "f1", [], {}, {}, at=T0)
    log = store.decisions.for_application(app.id)
    assert [d.ruleset for d in log] == ["pre_check", "eligibility"]
    assert log[1].rule_ids == ["ELIG-002"] and log[1].outcome["redirect"]["flow"] == "cleanup"
    assert log[1].facts["identity"]["ssn"] == "4401********1234"
    assert log[0].at == T0
    assert store.decisions.for_application("other") == []


def test_definition_archive_idempotent(store):
    assert store.versions.remember("flow", "sscard_adult", "abc", "id: sscard_adult\n") is True
    assert store.versions.remember("flow", "sscard_adult", "abc", "id: sscard_adult\n") is False
    assert store.versions.get("flow", "sscard_adult", "abc") == "id: sscard_adult\n"
    assert store.versions.get("flow", "sscard_adult", "zzz") is None
    assert store.versions.get("rules", "sscard_adult", "abc") is None
    with pytest.raises(ValueError):
        store.versions.remember("flow", "sscard_adult", "abc", "changed")


def test_outbox_one_entry_per_application_and_operation_claimed_once_across_instances(db_url, tmp_path, store):
    app = new_app(store)
    other = open_store(db_url, tmp_path / "uploads", SECRET, keyring=KEYRING)
    lease = timedelta(seconds=60)
    try:
        with store.transaction():
            first = store.outbox.enqueue(app.id, "card_application", {"n": 1}, {"ok": "success"}, now=T0)
        with other.transaction():              # a double click in another worker: the same entry
            again = other.outbox.enqueue(app.id, "card_application", {"n": 2}, {"ok": "success"}, now=T0)
        assert again.id == first.id and again.payload == {"n": 1} and again.key == f"{app.id}:card_application"
        assert store.outbox.due(now=T0) == [first.id]
        claimed = store.outbox.claim(first.id, lease, now=T0)
        assert claimed is not None and claimed.attempts == 1 and claimed.status == "delivering"
        assert other.outbox.claim(first.id, lease, now=T0) is None            # taken
        assert other.outbox.due(now=T0 + timedelta(seconds=30)) == []
        stolen = other.outbox.claim(first.id, lease, now=T0 + timedelta(seconds=61))   # lease ran out
        assert stolen is not None and stolen.attempts == 2
        with store.transaction():
            assert store.outbox.finish(claimed, "delivered", result={"reference": "R1"}, now=T0) is False
        with other.transaction():
            assert other.outbox.finish(stolen, "rejected", error="backend.rejected", now=T0) is True
        with store.transaction():              # 【重新提交】: the same entry, queued again under its key
            queued = store.outbox.enqueue(app.id, "card_application", {"n": 3}, {"ok": "success"}, now=T0)
        assert queued.id == first.id and queued.status == "pending" and queued.attempts == 0
        assert queued.payload == {"n": 3} and queued.last_error is None
    finally:
        other.close()


def test_session_roundtrip_and_idle_expiry(store):
    sid = store.sessions.create({"csrf": "t1"}, now=T0)
    assert len(sid) >= 40
    assert store.sessions.get(sid, now=T0 + timedelta(minutes=14)) == {"csrf": "t1"}
    # touching extended it: 14 + 14 minutes after creation is still alive (idle limit: 15 minutes)
    assert store.sessions.get_with_expiry(sid, now=T0 + timedelta(minutes=28)) == ({"csrf": "t1"}, 15 * 60)
    assert store.sessions.get(sid, now=T0 + timedelta(minutes=28 + 16)) is None
    # and it is gone for good
    assert store.sessions.get(sid, now=T0 + timedelta(minutes=28)) is None
    assert store.sessions.get("unknown") is None and store.sessions.get("") is None


def test_session_save_delete_rotate_and_absolute_limit(store):
    sid = store.sessions.create({"a": 1}, now=T0)
    assert store.sessions.save(sid, {"a": 2}, now=T0) is True
    assert store.sessions.get(sid, now=T0) == {"a": 2}
    new_sid = store.sessions.rotate(sid, now=T0)
    assert new_sid != sid and store.sessions.get(sid, now=T0) is None
    assert store.sessions.get(new_sid, now=T0) == {"a": 2}
    store.sessions.delete(new_sid)
    assert store.sessions.get(new_sid, now=T0) is None
    assert store.sessions.save(new_sid, {"a": 3}) is False
    long_lived = store.sessions.create({}, now=T0)
    moment = T0
    while moment < T0 + timedelta(hours=4) - timedelta(minutes=10):
        moment += timedelta(minutes=10)
        assert store.sessions.get(long_lived, now=moment) == {}
    # the seconds left: no more than until the absolute limit (4 hours after it began)
    assert store.sessions.get_with_expiry(long_lived, now=moment)[1] == (T0 + timedelta(hours=4) - moment).seconds
    while moment < T0 + timedelta(hours=4):
        moment += timedelta(minutes=10)
        store.sessions.get(long_lived, now=moment)
    assert store.sessions.get(long_lived, now=moment + timedelta(minutes=1)) is None


def test_session_id_not_stored_in_clear_and_purge(store):
    sid = store.sessions.create({"x": 1}, now=T0)
    store.sessions.create({"y": 2}, now=T0 + timedelta(minutes=40))
    with store.session() as db:
        keys = [r[0] for r in db.execute(text("SELECT sid_hash FROM web_sessions"))]
    assert sid not in keys and len(keys) == 2
    assert store.sessions.purge_expired(now=T0 + timedelta(minutes=45)) == 1
    assert store.sessions.get(sid, now=T0 + timedelta(minutes=45)) is None


def test_session_context_rolls_back_on_error(store):
    app = new_app(store)
    with pytest.raises(RuntimeError):
        with store.session() as db:
            db.execute(text("UPDATE applications SET status = 'submitted' WHERE id = :i"), {"i": app.id})
            raise RuntimeError("boom")
    assert store.applications.get(app.id).status == "draft"


def test_naive_datetime_refused(store):
    with pytest.raises(ValueError):
        store.sessions.create({}, now=datetime(2025, 1, 1))


def test_concurrent_failed_logins_of_an_unknown_name_are_all_refused_and_counted(db_url, tmp_path, store):
    """Eight workers try one unknown staff name at once from one address: each gets an answer (none
    an error), the counters are serialised, so the first FREE_FAILURES are "wrong" and the others wait."""
    from concurrent.futures import ThreadPoolExecutor

    from govflow.store.staff import FREE_FAILURES, StaffAccounts
    workers = [open_store(db_url, tmp_path / "uploads", SECRET, keyring=KEYRING) for _ in range(8)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda s: StaffAccounts(s).authenticate("nobody", "guess-123", now=T0,
                                                                            client="203.0.113.9"), workers))
    finally:
        for w in workers:
            w.close()
    reasons = sorted(r.reason for r in results)
    assert reasons == ["wait"] * (8 - FREE_FAILURES) + ["wrong"] * FREE_FAILURES, reasons
    with store.session() as db:
        counted = db.execute(text("SELECT COUNT(*) FROM throttle_events WHERE scope = 'staff-login'")).scalar_one()
        placeholders = db.execute(text("SELECT COUNT(*) FROM staff_users WHERE username = 'nobody'")).scalar_one()
    assert counted == FREE_FAILURES and placeholders == 0


def test_a_renewed_session_keeps_its_absolute_limit(store):
    sid = store.sessions.create({"a": 1}, now=T0)
    renewed = store.sessions.rotate(sid, {"a": 2}, now=T0 + timedelta(hours=3))
    assert store.sessions.get(sid, now=T0 + timedelta(hours=3)) is None
    assert store.sessions.get(renewed, now=T0 + timedelta(hours=3, minutes=10)) == {"a": 2}
    assert store.sessions.get(renewed, now=T0 + timedelta(hours=4, minutes=1)) is None
    assert store.sessions.rotate("gone") is None
