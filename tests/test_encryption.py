"""Personal data at rest (issue 10, item 2): the govflow database and the upload folder hold no ID
number, phone, name, address or plain image after a whole walk; store/crypto.py's keyring (AES-GCM,
key ids, rotation) used by the store; the migration that seals rows written before it. The keyring
itself and where its keys come from: test_keyring.py."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from apptools import KEYRING, STORE_SECRET, make_app
from govflow.store import open_store, schema
from govflow.store.crypto import (
    BYTES_MAGIC,
    Tampered,
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
