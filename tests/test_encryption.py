"""Personal data at rest (issue 10, item 2): the govflow database and the upload folder hold no ID
number, phone, name, address or plain image after a whole walk; store/crypto.py's keyring (AES-GCM,
key ids, rotation) and blind index; the migration that seals rows written before it."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from apptools import make_app
from walkers import ADULT_INFO, ApiWalker

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
