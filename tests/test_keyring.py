"""store/crypto.py's keyring (AES-GCM with key ids): sealing, tampering, rotation, the blind index,
and where the keys come from (environment, key file, the development key file)."""
from __future__ import annotations

import base64
import json
import stat
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apptools import KEYRING, STORE_SECRET, make_app
from govflow.cli import main as cli_main
from govflow.store import open_store
from govflow.store.crypto import (
    BYTES_MAGIC,
    KeyMissing,
    Keyring,
    Tampered,
    development_keyring,
    load_keyring,
)
from walkers import ApiWalker

ID_NUMBER, PHONE, NAME = "440106198805123510", "13800138001", "陈志明"


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
    assert "加密密钥" in err and "absent.json" in err and "Traceback" not in err


@pytest.mark.both_databases
def test_a_database_written_with_other_keys_stops_the_start(db_url, tmp_path, store):
    store.applications.create("sscard_adult", "o", "v", {}, context={"identity": {"name": NAME}})
    with pytest.raises(KeyMissing, match="cannot be read with this keyring"):
        open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=Keyring.generate("test-1"))
    with pytest.raises(KeyMissing, match="'test-1'"):
        open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=Keyring.generate("other"))
