"""Personal data at rest (issue 10, item 2): the govflow database and the upload folder hold no ID
number, phone, name, address or plain image after a whole walk; store/crypto.py's keyring (AES-GCM,
key ids, rotation) and blind index; the migration that seals rows written before it."""
from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from apptools import KEYRING, STORE_SECRET, make_app
from govflow.cli import main as cli_main
from govflow.store import open_store, schema
from govflow.store.crypto import (
    BYTES_MAGIC,
    KeyMissing,
    Keyring,
    Tampered,
    development_keyring,
    load_keyring,
)
from walkers import ADULT_INFO, ApiWalker, HtmlWalker, jpeg

ID_NUMBER, PHONE, NAME = "440106198805123510", "13800138001", "陈志明"
ADDRESS = ADULT_INFO["residence_address"]
IMAGE_HEADERS = (b"\xff\xd8\xff", b"\x89PNG")


def _forms(text: str) -> list[bytes]:
    """`text` as it could sit in a file: UTF-8, JSON-escaped (\\uXXXX, either case), UTF-16."""
    escaped = json.dumps(text)[1:-1]
    return sorted({text.encode("utf-8"), escaped.encode(), escaped.lower().encode(), escaped.upper().encode(),
                   text.encode("utf-16-le")})


SECRETS = {what: _forms(value) for what, value in
           {"ID number": ID_NUMBER, "phone": PHONE, "name": NAME, "address": ADDRESS}.items()}


def _leaks(blob: bytes, where: str) -> list[str]:
    found = [f"{what} in {where}" for what, forms in SECRETS.items() if any(f in blob for f in forms)]
    return found + [f"image header {h!r} in {where}" for h in IMAGE_HEADERS if h in blob]


def _rows(db: Path) -> list[tuple[str, bytes]]:
    """Every value of every row of every table, as bytes (via sqlite3, not through the store)."""
    out = []
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    blob = value if isinstance(value, bytes) else str(value).encode("utf-8")
                    out.append((table, blob))
    return out


def test_after_a_whole_walk_no_personal_data_or_image_is_in_clear(tmp_path, definitions):
    app = make_app(tmp_path, definitions)
    journey = app.extensions["govflow"]
    api = ApiWalker(app.test_client(), app)
    api.walk_to_confirm("mainland_adult")          # face check, uploads, SMS code, address, pickup
    assert api.act("confirm", "submit", expect=200)["status"] == "submitted"
    html = app.test_client()                        # a browser session too (its row in web_sessions)
    assert html.get("/").status_code == 200
    # the walk did store what we look for (else the test below proves nothing)
    saved = journey.env.store.applications.get(api.id)
    assert ID_NUMBER in json.dumps(saved.context) and NAME in json.dumps(saved.context, ensure_ascii=False)
    assert PHONE in json.dumps(saved.answers) and ADDRESS in json.dumps(saved.answers, ensure_ascii=False)
    uploads = journey.env.store.uploads.for_application(api.id)
    assert uploads and journey.env.store.uploads.read_bytes(uploads[0]).startswith(b"\xff\xd8\xff")
    journey.env.store.close()                       # SQLite checkpoints the WAL into the file

    db = tmp_path / "test.db"
    leaks = []
    for path in [db, *db.parent.glob("test.db-*")]:
        leaks += _leaks(path.read_bytes(), path.name)
    for table, blob in _rows(db):
        leaks += _leaks(blob, f"table {table}")
    files = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert len(files) >= 2
    for path in files:
        leaks += _leaks(path.read_bytes(), f"upload {path.name}")
    assert sorted(set(leaks)) == [], "\n".join(sorted(set(leaks)))



# -- the keyring: sealing, tampering, rotation, the blind index ---------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(value=JSON_VALUES)
def test_any_json_value_round_trips_sealed(value):
    sealed = KEYRING.seal_json(value, "applications.answers")
    assert sealed.startswith("gf1:test-1:") and KEYRING.key_id_of(sealed) == "test-1"
    assert KEYRING.unseal_json(sealed, "applications.answers") == value


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=2000))
def test_any_bytes_round_trip_and_carry_the_key_id(data):
    sealed = KEYRING.encrypt(data, "upload:x.enc")
    assert sealed.startswith(BYTES_MAGIC + bytes([6]) + b"test-1")
    assert len(sealed) == 11 + 12 + len(data) + 16            # header, nonce, ciphertext, tag
    if len(data) >= 16:                                       # (a short one may occur in random bytes by chance)
        assert data not in sealed[11:]
    assert KEYRING.decrypt(sealed, "upload:x.enc") == data


def test_each_seal_has_its_own_random_nonce():
    one, two = KEYRING.seal("陈志明", "p"), KEYRING.seal("陈志明", "p")
    assert one != two
    nonces = {base64.b64decode(s.split(":", 2)[2])[:12] for s in (one, two)}
    assert len(nonces) == 2
    assert KEYRING.encrypt(b"x", "p")[11:23] != KEYRING.encrypt(b"x", "p")[11:23]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_changed_byte_is_refused(data):
    sealed = KEYRING.encrypt("身份证 440106198805123510".encode(), "upload:a.enc")
    at = data.draw(st.integers(0, len(sealed) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = sealed[:at] + bytes([sealed[at] ^ flip]) + sealed[at + 1:]
    with pytest.raises((Tampered, KeyMissing)):
        KEYRING.decrypt(changed, "upload:a.enc")


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_changed_character_of_sealed_text_is_refused(data):
    sealed = KEYRING.seal_json({"id_number": ID_NUMBER}, "applications.context")
    at = data.draw(st.integers(len("gf1:test-1:"), len(sealed) - 1))
    char = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=!"))
    changed = sealed[:at] + char + sealed[at + 1:]
    if changed == sealed:
        return
    try:
        opened = KEYRING.unseal_json(changed, "applications.context")
    except (Tampered, KeyMissing):
        return
    # base64 may ignore a changed padding bit: then the bytes, and so the value, are the same
    assert opened == {"id_number": ID_NUMBER}


def test_a_value_moved_to_another_column_or_truncated_is_refused():
    sealed = KEYRING.seal_json({"phone": PHONE}, "applications.context")
    with pytest.raises(Tampered):
        KEYRING.unseal_json(sealed, "applications.answers")
    with pytest.raises(Tampered):
        KEYRING.unseal_json(sealed[:-8], "applications.context")
    with pytest.raises(Tampered):
        KEYRING.unseal_json(json.dumps({"phone": PHONE}), "applications.context")   # plain JSON is not accepted
    blob = KEYRING.encrypt(b"\xff\xd8\xff image", "upload:a.enc")
    with pytest.raises(Tampered):
        KEYRING.decrypt(blob, "upload:b.enc")                  # a file renamed or swapped
    with pytest.raises(Tampered):
        KEYRING.decrypt(b"\xff\xd8\xff plain", "upload:a.enc")


def test_rotation_reads_old_keys_and_writes_with_the_new_one():
    old = Keyring.generate("2026-01")
    before = old.seal_json({"name": NAME}, "p")
    blob = old.encrypt(b"img", "f")
    new = old.rotated("2026-12")
    assert new.current == "2026-12" and set(new.keys) == {"2026-01", "2026-12"}
    assert new.unseal_json(before, "p") == {"name": NAME} and new.decrypt(blob, "f") == b"img"
    after = new.seal_json({"name": NAME}, "p")
    assert new.key_id_of(after) == "2026-12" and new.encrypt(b"img", "f")[5:12] == b"2026-12"
    with pytest.raises(Tampered):
        old.unseal_json(after.replace("2026-12", "2026-01", 1), "p")   # another key under the old id: refused
    retired = Keyring("2026-12", {"2026-12": new.keys["2026-12"]}, new.index_key)
    with pytest.raises(KeyMissing, match="2026-01"):
        retired.unseal_json(before, "p")
    assert new.blind(PHONE, "phone") == old.blind(PHONE, "phone")      # look-ups survive a rotation
    with pytest.raises(KeyMissing):
        new.rotated("2026-12")


def test_the_blind_index_is_keyed_and_separated_by_purpose():
    index = KEYRING.blind(PHONE, "phone")
    assert index == KEYRING.blind(PHONE, "phone") and len(index) == 64 and PHONE not in index
    assert index != KEYRING.blind(PHONE, "id_number")
    assert index != Keyring.generate().blind(PHONE, "phone")
    assert index != KEYRING.blind("13800138002", "phone")


@pytest.mark.parametrize("keyring, problem", [
    (lambda: Keyring("k1", {"k1": b"short"}, b"i" * 32), "32"),
    (lambda: Keyring("k2", {"k1": b"k" * 32}, b"i" * 32), "k2"),
    (lambda: Keyring("k1", {"k1": b"k" * 32}, b"k" * 32), "differ"),
    (lambda: Keyring("bad:id", {"bad:id": b"k" * 32}, b"i" * 32), "key id"),
], ids=["short key", "current missing", "index key reused", "bad id"])
def test_bad_keyrings_are_refused_with_a_reason(keyring, problem):
    with pytest.raises(KeyMissing, match=problem):
        keyring()


def test_the_keyring_never_prints_its_keys():
    shown = repr(KEYRING) + str(KEYRING)
    assert "test-1" in shown and base64.b64encode(KEYRING.keys["test-1"]).decode() not in shown
    assert repr(bytes(range(32))) not in shown


# -- where the keys come from ------------------------------------------------------------------

def test_keys_from_the_environment_or_a_key_file(tmp_path):
    text_ = KEYRING.rotated("test-2").to_json()
    from_env = load_keyring({"GOVFLOW_KEYS": text_}, tmp_path / "var")
    assert from_env.current == "test-2" and set(from_env.keys) == {"test-1", "test-2"}
    (tmp_path / "keys.json").write_text(text_)
    from_file = load_keyring({"GOVFLOW_KEY_FILE": str(tmp_path / "keys.json")}, tmp_path / "var")
    assert from_file.keys == from_env.keys and from_file.index_key == KEYRING.index_key
    assert not (tmp_path / "var").exists()                  # no development key made beside them


@pytest.mark.parametrize("environ, problem", [
    ({"GOVFLOW_KEY_FILE": "/nonexistent/govflow-keys.json"}, "GOVFLOW_KEY_FILE=/nonexistent/govflow-keys.json"),
    ({"GOVFLOW_KEYS": "not json"}, "GOVFLOW_KEYS is not a keyring"),
    ({"GOVFLOW_KEYS": '{"current": "a", "keys": {"a": "AAAA"}, "index_key": "AAAA"}'}, "GOVFLOW_KEYS: key 'a'"),
], ids=["missing file", "not json", "short key"])
def test_missing_or_bad_keys_are_a_clear_error(environ, problem, tmp_path):
    with pytest.raises(KeyMissing, match=problem):
        load_keyring(environ, tmp_path)
    with pytest.raises(KeyMissing, match="GOVFLOW_KEY_FILE"):
        load_keyring({}, None)


def test_the_development_key_file_is_made_once_readable_by_its_owner_only(tmp_path):
    var = tmp_path / "var"
    first = development_keyring(var)
    assert stat.S_IMODE((var / "keys.json").stat().st_mode) == 0o600
    again = development_keyring(var)
    assert again.keys == first.keys and again.index_key == first.index_key
    assert [p.name for p in var.iterdir()] == ["keys.json"]


def test_workers_starting_together_share_one_development_key(tmp_path):
    barrier, found = threading.Barrier(8), []

    def start():
        barrier.wait()
        found.append(development_keyring(tmp_path / "var"))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 8 and len({tuple(sorted(k.keys.items())) for k in found}) == 1
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["keys.json"]


def test_an_app_without_keys_configured_makes_and_keeps_its_development_key(tmp_path, definitions, monkeypatch):
    """What `make run` does on a fresh checkout: nothing by hand, var/keys.json appears; a restart reads
    the drafts written before it."""
    monkeypatch.delenv("GOVFLOW_KEYS", raising=False)
    monkeypatch.delenv("GOVFLOW_KEY_FILE", raising=False)
    monkeypatch.setenv("GOVFLOW_VAR", str(tmp_path / "var"))
    app = make_app(tmp_path, definitions, KEYRING=None)
    api = ApiWalker(app.test_client(), app)
    api.create()
    api.verify("mainland_adult")
    app.extensions["govflow"].env.store.close()
    assert (tmp_path / "var" / "keys.json").exists()
    restarted = make_app(tmp_path, definitions, KEYRING=None)
    try:
        assert restarted.extensions["govflow"].env.store.applications.get(api.id).context["identity"]["name"] == NAME
    finally:
        restarted.extensions["govflow"].env.store.close()


def test_the_server_does_not_start_without_its_key_file_and_says_why(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GOVFLOW_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVFLOW_KEYS", raising=False)
    monkeypatch.setenv("GOVFLOW_KEY_FILE", str(tmp_path / "absent.json"))
    assert cli_main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "encryption keys" in err and "absent.json" in err and "Traceback" not in err


@pytest.mark.both_databases
def test_a_database_written_with_other_keys_stops_the_start(db_url, tmp_path, store):
    store.applications.create("sscard_adult", "o", "v", {}, context={"identity": {"name": NAME}})
    with pytest.raises(KeyMissing, match="cannot be read with this keyring"):
        open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=Keyring.generate("test-1"))
    with pytest.raises(KeyMissing, match="'test-1'"):
        open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=Keyring.generate("other"))


# -- the store: sealed columns, rotation, tampering, SMS codes, upload files -------------------

def _raw(store, sql: str, **params):
    with store.engine.connect() as conn:
        return conn.execute(text(sql), params).first()


def _sealed(value) -> str:
    """A sealed column's raw value: one JSON string (PostgreSQL's driver already decoded it)."""
    return value if isinstance(value, str) and value.startswith("gf1:") else json.loads(value)


@pytest.mark.both_databases
def test_sealed_columns_hold_no_clear_text_and_rotation_rewrites_on_save(db_url, tmp_path, store):
    app = store.applications.create("sscard_adult", "o", "v", {}, context={"identity": {"id_number": ID_NUMBER}})
    app.answers = {"info": {"mobile": PHONE}}
    store.applications.save(app)
    row = _raw(store, "SELECT answers, context FROM applications WHERE id = :id", id=app.id)
    assert all(_sealed(v).startswith("gf1:test-1:") for v in row)
    assert ID_NUMBER not in str(row) and PHONE not in str(row)
    rotated = KEYRING.rotated("test-2")
    newer = open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=rotated)
    try:
        kept = newer.applications.get(app.id)
        assert kept.context == {"identity": {"id_number": ID_NUMBER}} and kept.answers == app.answers
        newer.applications.save(kept)
        row = _raw(newer, "SELECT answers, context FROM applications WHERE id = :id", id=app.id)
        assert all(_sealed(v).startswith("gf1:test-2:") for v in row)
    finally:
        newer.close()


@pytest.mark.both_databases
def test_a_changed_or_swapped_value_in_the_database_is_refused(store):
    app = store.applications.create("sscard_adult", "o", "v", {}, context={"identity": {"name": NAME}})
    sealed = _sealed(_raw(store, "SELECT context FROM applications WHERE id = :id", id=app.id)[0])
    forged = sealed[:-6] + ("AAAA==" if not sealed.endswith("AAAA==") else "BBBB==")
    for column, value in (("context", forged), ("answers", sealed)):      # changed; moved to another column
        with store.engine.begin() as conn:
            conn.execute(text(f"UPDATE applications SET {column} = :v WHERE id = :id"),
                         {"v": json.dumps(value), "id": app.id})
        with pytest.raises(Tampered):
            store.applications.get(app.id)
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE applications SET context = :v, answers = :a WHERE id = :id"),
                         {"v": json.dumps(sealed), "a": json.dumps(KEYRING.seal_json({}, "applications.answers")),
                          "id": app.id})
    assert store.applications.get(app.id).context == {"identity": {"name": NAME}}


@pytest.mark.both_databases
def test_sms_codes_keep_the_phone_only_as_its_blind_index(store):
    app = store.applications.create("sscard_adult", "o", "v", {})
    at = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
    issued = store.codes.issue(app.id, PHONE, "mobile", now=at)
    row = _raw(store, "SELECT * FROM sms_codes")
    assert PHONE not in str(tuple(row)) and row.phone_index == KEYRING.blind(PHONE, "phone")
    assert store.codes.wait_seconds(app.id, PHONE, "mobile", now=at) == 60
    assert store.codes.issue(app.id, PHONE, "mobile", now=at).refusal == "sms.too_soon"   # found by the index
    assert store.codes.verify(app.id, "13800138002", "mobile", issued.code, now=at) == "sms.none"
    assert store.codes.verify(app.id, PHONE, "mobile", issued.code, now=at) is None


@pytest.mark.both_databases
def test_sessions_and_outbox_payloads_are_sealed(store):
    sid = store.sessions.create({"subject": ID_NUMBER})
    app = store.applications.create("sscard_adult", "o", "v", {})
    store.outbox.enqueue(app.id, "submit", {"mobile": PHONE}, {"ok": "success"})
    raw = (_raw(store, "SELECT data FROM web_sessions")[0], _raw(store, "SELECT payload FROM outbox")[0])
    assert all(_sealed(v).startswith("gf1:") for v in raw) and ID_NUMBER not in str(raw) and PHONE not in str(raw)
    assert store.sessions.get(sid) == {"subject": ID_NUMBER}
    assert store.outbox.for_application(app.id)[0].payload == {"mobile": PHONE}


def test_upload_files_are_encrypted_bound_to_their_name_and_served_decrypted(tmp_path, definitions):
    app = make_app(tmp_path, definitions)
    web = HtmlWalker(app.test_client(), app)
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    web.post("upload", "next", {"document_set": "id_card"},
             files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg(color=(10, 20, 30))}, expect=302)
    upload_id = web.journey.env.store.applications.get(web.id).answers["upload"]["id_card_emblem"]
    served = web.client.get(f"/a/{web.id}/_uploads/{upload_id}")
    assert served.status_code == 200 and served.data.startswith(b"\xff\xd8\xff")
    files = sorted((tmp_path / "uploads").iterdir())
    assert len(files) == 2 and all(f.read_bytes().startswith(BYTES_MAGIC) for f in files)
    assert served.data not in [f.read_bytes() for f in files]
    one, two = files                              # swap the two files: each is refused under the other's name
    a, b = one.read_bytes(), two.read_bytes()
    one.write_bytes(b)
    two.write_bytes(a)
    store = web.journey.env.store
    with pytest.raises(Tampered):
        store.uploads.read_bytes(store.uploads.get(web.id, upload_id))
    app.extensions["govflow"].env.store.close()


# -- migration 0003: rows and files from before are sealed -------------------------------------

@pytest.mark.both_databases
def test_rows_written_in_clear_before_0003_are_sealed_by_the_upgrade(db_url, tmp_path, store):
    with store.engine.begin() as conn:
        command.downgrade(schema.config(conn), "0002")
        conn.execute(text(
            "INSERT INTO applications (id, flow_id, owner, flow_version, rule_versions, status, answers, done, "
            "context, submit_attempts, created_at, updated_at, revision) VALUES ('a' || :pad, 'sscard_adult', "
            "'owner-1', 'f1', '{}', 'draft', :answers, '[]', :context, 0, :at, :at, 1)"),
            {"pad": "0" * 31, "answers": json.dumps({"info": {"mobile": PHONE}}),
             "context": json.dumps({"identity": {"name": NAME}}, ensure_ascii=False),
             "at": datetime(2026, 1, 5, 9, 30)})
        conn.execute(text("INSERT INTO sms_codes (application_id, phone, purpose, code_hash, created_at, expires_at, "
                          "attempts, superseded) VALUES ('a' || :pad, :phone, 'mobile', 'h', :at, :at, 0, false)"),
                     {"pad": "0" * 31, "phone": PHONE, "at": datetime(2026, 1, 5, 9, 30)})
        conn.execute(text("INSERT INTO web_sessions (sid_hash, data, created_at, last_seen) "
                          "VALUES ('s', :data, :at, :at)"),
                     {"data": json.dumps({"owner": NAME}), "at": datetime(2026, 1, 5, 9, 30)})
    assert schema.upgrade(store.engine) == ("0002", schema.head())
    row = _raw(store, "SELECT answers, context FROM applications")
    assert all(_sealed(v).startswith("gf1:test-1:") for v in row) and PHONE not in str(row) and NAME not in str(row)
    assert _raw(store, "SELECT phone_index FROM sms_codes")[0] == KEYRING.blind(PHONE, "phone")
    assert _sealed(_raw(store, "SELECT data FROM web_sessions")[0]).startswith("gf1:")
    kept = store.applications.get("a" + "0" * 31)
    assert kept.answers == {"info": {"mobile": PHONE}} and kept.context == {"identity": {"name": NAME}}
    with store.engine.begin() as conn:                # and back: downgrade opens them again
        command.downgrade(schema.config(conn), "0002")
    plain = _raw(store, "SELECT context FROM applications")[0]
    assert (json.loads(plain) if isinstance(plain, str) else plain) == {"identity": {"name": NAME}}
    assert schema.upgrade(store.engine) == ("0002", schema.head())


def test_upload_files_written_in_clear_are_sealed_when_the_store_opens(tmp_path, store):
    app = store.applications.create("sscard_adult", "o", "v", {})
    upload = store.uploads.save(app.id, "s", jpeg(), "a.jpg")
    path = next((tmp_path / "uploads").iterdir())
    plain = store.uploads.read_bytes(upload)
    path.write_bytes(plain)                         # as a govflow before encryption left it
    assert store.uploads.seal_plain_files() == 1
    assert path.read_bytes().startswith(BYTES_MAGIC) and store.uploads.read_bytes(upload) == plain
    assert store.uploads.seal_plain_files() == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
