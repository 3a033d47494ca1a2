"""SMS codes: hashed at rest, expiring, single use, attempt-limited, rate-limited in the
database so that two workers (two Store instances on one file) share the limits."""
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from apptools import KEYRING
from apptools import STORE_SECRET as SECRET
from govflow import catalog
from govflow.store import open_store

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
PHONE = "13800138000"



@pytest.fixture
def worker2(db_url, tmp_path, store):
    s = open_store(db_url, tmp_path / "uploads", SECRET, keyring=KEYRING)
    yield s
    s.close()


@pytest.fixture
def app_id(store):
    return store.applications.create("sscard_adult", "owner", "v", {}).id


def at(seconds):
    return T0 + timedelta(seconds=seconds)


def test_code_is_six_digits_and_only_its_hmac_is_stored(store, app_id):
    result = store.codes.issue(app_id, PHONE, "mobile", now=T0)
    assert result.ok and result.refusal is None and result.retry_after_s == 0
    assert len(result.code) == 6 and result.code.isdigit()
    assert result.code not in repr(result)
    with store.session() as db:
        rows = [dict(r._mapping) for r in db.execute(text("SELECT * FROM sms_codes"))]
    assert len(rows) == 1
    for value in rows[0].values():
        assert result.code not in str(value)
    expected = hmac.new(SECRET, f"{app_id}|{PHONE}|mobile|{result.code}".encode(),
                        hashlib.sha256).hexdigest()
    assert rows[0]["code_hash"] == expected


def test_single_use(store, app_id):
    code = store.codes.issue(app_id, PHONE, "mobile", now=T0).code
    assert store.codes.verify(app_id, PHONE, "mobile", code, now=at(10)) is None
    assert store.codes.verify(app_id, PHONE, "mobile", code, now=at(20)) == "sms.used"


def test_expires_after_five_minutes(store, app_id):
    code = store.codes.issue(app_id, PHONE, "mobile", now=T0).code
    assert store.codes.verify(app_id, PHONE, "mobile", code, now=at(301)) == "sms.expired"
    code = store.codes.issue(app_id, PHONE, "mobile", now=at(400)).code
    assert store.codes.verify(app_id, PHONE, "mobile", code, now=at(400 + 299)) is None


def test_code_is_bound_to_application_phone_and_purpose(store, app_id):
    other_app = store.applications.create("sscard_adult", "x", "v", {}).id
    code = store.codes.issue(app_id, PHONE, "mobile", now=T0).code
    assert store.codes.verify(other_app, PHONE, "mobile", code, now=at(1)) == "sms.none"
    assert store.codes.verify(app_id, "13900139000", "mobile", code, now=at(1)) == "sms.none"
    assert store.codes.verify(app_id, PHONE, "recipient_mobile", code, now=at(1)) == "sms.none"
    assert store.codes.verify(app_id, PHONE, "mobile", code, now=at(1)) is None


def test_five_wrong_tries_burn_the_code(store, app_id):
    code = store.codes.issue(app_id, PHONE, "mobile", now=T0).code
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    results = [store.codes.verify(app_id, PHONE, "mobile", wrong, now=at(5)) for _ in range(5)]
    assert results == ["sms.wrong"] * 4 + ["sms.too_many_attempts"]
    assert store.codes.verify(app_id, PHONE, "mobile", code, now=at(6)) == "sms.too_many_attempts"
    assert store.codes.verify(app_id, PHONE, "mobile", "", now=at(6)) == "sms.too_many_attempts"


def test_new_issue_invalidates_previous(store, app_id, monkeypatch):
    codes = iter([111111, 222222])
    monkeypatch.setattr("govflow.store.codes.secrets.randbelow", lambda n: next(codes))
    first = store.codes.issue(app_id, PHONE, "mobile", now=T0).code
    second = store.codes.issue(app_id, PHONE, "mobile", now=at(61)).code
    assert (first, second) == ("111111", "222222")
    assert store.codes.verify(app_id, PHONE, "mobile", first, now=at(62)) == "sms.wrong"
    assert store.codes.verify(app_id, PHONE, "mobile", second, now=at(63)) is None


def test_not_again_within_60_seconds_across_workers(store, worker2, app_id):
    assert store.codes.issue(app_id, PHONE, "mobile", now=T0).ok
    refused = worker2.codes.issue(app_id, PHONE, "mobile", now=at(30))
    assert not refused.ok and refused.code is None
    assert refused.refusal == "sms.too_soon" and refused.retry_after_s == 30
    assert "30" in catalog.text(refused.refusal, seconds=refused.retry_after_s)    # the journey's message
    # the limits are the sender's: another application may send to the same phone (an attacker's
    # application must not lock the phone's owner out; senders are limited per client address)
    other_app = worker2.applications.create("sscard_minor", "o2", "v", {}).id
    assert worker2.codes.issue(other_app, PHONE, "mobile", now=at(45)).ok
    # refused attempts are not counted: 60 s after the first one it works again
    assert worker2.codes.issue(app_id, PHONE, "mobile", now=at(60)).ok


def test_at_most_five_per_application_and_phone_per_hour_across_workers(store, worker2, app_id):
    workers = [store, worker2]
    for i in range(5):
        assert workers[i % 2].codes.issue(app_id, PHONE, "mobile", now=at(i * 100)).ok
    refused = worker2.codes.issue(app_id, PHONE, "mobile", now=at(600))
    assert refused.refusal == "sms.too_many"
    assert refused.retry_after_s == 3600 - 600           # until the first one leaves the hour
    assert store.codes.issue(app_id, PHONE, "mobile", now=at(3599)).refusal == "sms.too_many"
    assert store.codes.issue(app_id, PHONE, "mobile", now=at(3601)).ok
    # another phone is not affected
    assert store.codes.issue(app_id, "13900139000", "mobile", now=at(3601)).ok


def test_at_most_ten_per_application_per_hour(store, worker2, app_id):
    phones = [f"1380013{i:04d}" for i in range(11)]
    for i in range(10):
        assert [store, worker2][i % 2].codes.issue(app_id, phones[i], "mobile", now=at(i * 10)).ok
    refused = store.codes.issue(app_id, phones[10], "mobile", now=at(200))
    assert refused.refusal == "sms.too_many" and refused.retry_after_s == 3400
    other_app = store.applications.create("sscard_adult", "o2", "v", {}).id
    assert store.codes.issue(other_app, phones[10], "mobile", now=at(200)).ok


def test_verify_without_issue(store, app_id):
    assert store.codes.verify(app_id, PHONE, "mobile", "123456", now=T0) == "sms.none"
    assert catalog.text("sms.none") != catalog.text("generic")


def test_purge_old_codes(store, app_id):
    store.codes.issue(app_id, PHONE, "mobile", now=T0)
    store.codes.issue(app_id, PHONE, "mobile", now=at(86400 + 100))
    assert store.codes.purge(now=at(86400 + 200)) == 1


def test_short_secret_refused(tmp_path):
    with pytest.raises(ValueError):
        open_store("sqlite://", tmp_path / "u", b"short", keyring=KEYRING)


def test_concurrent_issuers_share_the_limit(db_url, tmp_path, store, app_id):
    """Six workers ask at the same instant for the same phone: exactly one code goes out."""
    import threading

    workers = [open_store(db_url, tmp_path / "uploads", SECRET, keyring=KEYRING) for _ in range(6)]
    barrier, results = threading.Barrier(len(workers)), []

    def ask(worker):
        barrier.wait()
        results.append(worker.codes.issue(app_id, PHONE, "mobile"))

    threads = [threading.Thread(target=ask, args=(w,)) for w in workers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for w in workers:
            w.close()
    assert sorted(r.ok for r in results) == [False] * 5 + [True]
    assert {r.refusal for r in results if not r.ok} == {"sms.too_soon"}


def test_an_attackers_application_cannot_lock_the_victims_phone_out(store, worker2, app_id):
    """Today's bug: 5 sends from an attacker's application locked the victim's phone for an hour."""
    attacker = store.applications.create("sscard_adult", "attacker", "v", {}).id
    for i in range(5):
        assert store.codes.issue(attacker, PHONE, "mobile", now=at(i * 61), client="203.0.113.9").ok
    assert store.codes.issue(attacker, PHONE, "mobile", now=at(400), client="203.0.113.9").refusal == "sms.too_many"
    # the phone's owner, on their own application and from their own address, gets a code at once
    assert worker2.codes.issue(app_id, PHONE, "mobile", now=at(401), client="198.51.100.7").ok


def test_at_most_n_per_client_address_per_hour_across_workers(store, worker2):
    apps = [store.applications.create("sscard_adult", f"o{i}", "v", {}).id for i in range(4)]
    for i in range(3):
        assert [store, worker2][i % 2].codes.issue(apps[i], f"1380013{i:04d}", "mobile", now=at(i * 10),
                                                   client="203.0.113.9", per_client=3).ok
    refused = worker2.codes.issue(apps[3], "13800139999", "mobile", now=at(100), client="203.0.113.9", per_client=3)
    assert refused.refusal == "sms.too_many" and refused.retry_after_s == 3600 - 100
    assert "59" in catalog.text(refused.refusal, minutes=-(-refused.retry_after_s // 60))
    # another address is not affected, and the refused send was not counted against the phone
    assert store.codes.issue(apps[3], "13800139999", "mobile", now=at(100), client="198.51.100.7", per_client=3).ok
    assert store.codes.issue(apps[3], "13800139998", "mobile", now=at(3601), client="203.0.113.9", per_client=3).ok
    # the address is kept only as a keyed hash
    with store.session() as db:
        keys = [r[0] for r in db.execute(text("SELECT key FROM throttle_events"))]
    assert keys and not any("203.0.113" in k for k in keys)
