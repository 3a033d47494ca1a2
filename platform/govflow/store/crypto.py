"""Encryption at rest: a keyring of AES-256-GCM keys with ids, and a blind index (keyed hash).

Sealed text (database columns) is `gf1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`; sealed
bytes (files) are `GF1\\0` + key-id length + key id + nonce + ciphertext + tag. The nonce is 96
random bits per message. The key id and a purpose (which column, which file) are authenticated
as associated data, so a value cannot be moved to another column or file unnoticed, and a
changed byte anywhere is refused (`Tampered`), never decoded into something else.

Rotation: the keyring has one current key (used for every new write) and any number of older
ones that are still read; a value sealed with an old key is re-sealed with the current one the
next time it is saved. A key id the keyring does not have is `KeyMissing`, with a message that
says what to do.

The blind index is HMAC-SHA256 under a key of its own (`index_key`), which does not rotate with
the encryption keys (rotating it would lose every look-up): `keyring.blind(value, purpose)`.

Where the keys come from (`load_keyring`): GOVFLOW_KEYS (the key file's JSON itself, e.g. from a
secret store), else GOVFLOW_KEY_FILE (a path outside the repository), else, for development,
`<var>/keys.json`, created at first start (`make run`), readable by its owner only. The JSON:
    {"current": "2026-12", "keys": {"2026-12": "<base64 of 32 bytes>", "2026-01": "..."},
     "index_key": "<base64 of 32 bytes>"}
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TEXT_PREFIX = "gf1:"
BYTES_MAGIC = b"GF1\x00"
NONCE_BYTES = 12
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
DEV_KEY_FILE = "keys.json"


class CryptoError(Exception):
    """Something about the keys or a sealed value is wrong (for developers and operators: never
    shown to a citizen, who gets the ordinary error page)."""


class KeyMissing(CryptoError):
    """No keyring could be loaded, or a value was sealed with a key id the keyring lacks."""


class Tampered(CryptoError):
    """A sealed value failed authentication (changed, truncated, or moved to another place)."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: Mapping[str, bytes]
    index_key: bytes
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        for kid, key in self.keys.items():
            if not _KEY_ID.match(kid):
                raise KeyMissing(f"key id {kid!r}: use 1-32 letters, digits, '_', '-' or '.'")
            if len(key) != KEY_BYTES:
                raise KeyMissing(f"key {kid!r} has {len(key)} bytes; AES-256-GCM needs {KEY_BYTES}")
            self._ciphers[kid] = AESGCM(key)
        if self.current not in self.keys:
            raise KeyMissing(f"the current key id {self.current!r} is not among the keys "
                             f"({', '.join(sorted(self.keys)) or 'none'})")
        if len(self.index_key) < KEY_BYTES:
            raise KeyMissing(f"the blind-index key needs at least {KEY_BYTES} bytes")
        if any(hmac.compare_digest(self.index_key, key) for key in self.keys.values()):
            raise KeyMissing("the blind-index key must differ from every encryption key")

    def __repr__(self) -> str:                   # never print key material
        return f"Keyring(current={self.current!r}, keys={sorted(self.keys)!r})"

    # -- making and reading keyrings ------------------------------------------------------
    @classmethod
    def generate(cls, kid: str = "k1") -> Keyring:
        return cls(kid, {kid: secrets.token_bytes(KEY_BYTES)}, secrets.token_bytes(KEY_BYTES))

    def rotated(self, kid: str) -> Keyring:
        """A keyring whose current key is a new one, `kid`; the old keys stay readable."""
        if kid in self.keys:
            raise KeyMissing(f"key id {kid!r} is already in the keyring")
        return Keyring(kid, {**self.keys, kid: secrets.token_bytes(KEY_BYTES)}, self.index_key)

    @classmethod
    def from_json(cls, text: str, source: str = "the keyring") -> Keyring:
        try:
            data = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
            return cls(str(data["current"]), keys, base64.b64decode(data["index_key"], validate=True))
        except KeyMissing as exc:
            raise KeyMissing(f"{source}: {exc}") from None
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise KeyMissing(f"{source} is not a keyring: expected JSON {{\"current\": id, \"keys\": "
                             f"{{id: base64 of {KEY_BYTES} bytes}}, \"index_key\": base64}} ({exc})") from None

    def to_json(self) -> str:
        return json.dumps({"current": self.current,
                           "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
                           "index_key": base64.b64encode(self.index_key).decode()}, indent=2) + "\n"

    # -- sealing -------------------------------------------------------------------------------
    def _cipher(self, kid: str) -> AESGCM:
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise KeyMissing(f"data sealed with key id {kid!r}, which the keyring does not have "
                             f"(it has {', '.join(sorted(self.keys))}): restore that key to GOVFLOW_KEYS / "
                             f"GOVFLOW_KEY_FILE as an old key")
        return cipher

    def encrypt(self, plain: bytes, purpose: str) -> bytes:
        """Bytes for a file: magic, key id, nonce, ciphertext and tag."""
        kid = self.current.encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        head = BYTES_MAGIC + bytes([len(kid)]) + kid
        return head + nonce + self._ciphers[self.current].encrypt(nonce, plain, head + purpose.encode())

    def decrypt(self, sealed: bytes, purpose: str) -> bytes:
        if not is_sealed_bytes(sealed) or len(sealed) < len(BYTES_MAGIC) + 1:
            raise Tampered(f"{purpose}: not a sealed value")
        end = len(BYTES_MAGIC) + 1 + sealed[len(BYTES_MAGIC)]
        head, nonce, body = sealed[:end], sealed[end:end + NONCE_BYTES], sealed[end + NONCE_BYTES:]
        try:
            kid = head[len(BYTES_MAGIC) + 1:].decode("ascii")
        except UnicodeDecodeError:
            raise Tampered(f"{purpose}: bad key id") from None
        try:
            return self._cipher(kid).decrypt(nonce, body, head + purpose.encode())
        except (InvalidTag, ValueError):
            raise Tampered(f"{purpose}: authentication failed (changed, truncated or moved)") from None

    def seal(self, plain: str, purpose: str) -> str:
        """Text for a database column."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = f"{TEXT_PREFIX}{self.current}:{purpose}".encode()
        body = self._ciphers[self.current].encrypt(nonce, plain.encode("utf-8"), aad)
        return f"{TEXT_PREFIX}{self.current}:{binascii.b2a_base64(nonce + body, newline=False).decode('ascii')}"

    def unseal(self, sealed: str, purpose: str) -> str:
        if not isinstance(sealed, str) or not sealed.startswith(TEXT_PREFIX):
            raise Tampered(f"{purpose}: not a sealed value")
        kid, _, payload = sealed[len(TEXT_PREFIX):].partition(":")
        cipher = self._cipher(kid)
        try:
            raw = binascii.a2b_base64(payload, strict_mode=True)
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], f"{TEXT_PREFIX}{kid}:{purpose}".encode())
            return plain.decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error):
            raise Tampered(f"{purpose}: authentication failed (changed, truncated or moved)") from None

    def seal_json(self, value: Any, purpose: str) -> str:
        return self.seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")), purpose)

    def unseal_json(self, sealed: str, purpose: str) -> Any:
        return json.loads(self.unseal(sealed, purpose))

    @staticmethod
    def key_id_of(sealed: str) -> str | None:
        """The key id a sealed text was written with (None: not sealed text)."""
        if not isinstance(sealed, str) or not sealed.startswith(TEXT_PREFIX):
            return None
        return sealed[len(TEXT_PREFIX):].partition(":")[0]

    # -- blind index --------------------------------------------------------------------------
    def blind(self, value: str, purpose: str) -> str:
        """HMAC-SHA256 (hex) of `value` for `purpose` (e.g. "phone"): equal values give equal
        hashes, so a column of them can be searched, and nothing about the value can be read back
        without the index key. Normalise `value` before (strip spaces) so equal means equal."""
        return hmac.new(self.index_key, f"{purpose}\x00{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def is_sealed_bytes(data: bytes) -> bool:
    return data[:len(BYTES_MAGIC)] == BYTES_MAGIC


def load_keyring(environ: Mapping[str, str] | None = None, var: Path | None = None) -> Keyring:
    """The keyring from GOVFLOW_KEYS, else GOVFLOW_KEY_FILE, else (development) `var`/keys.json,
    made on first use. KeyMissing, with what to do, when none of them gives a keyring."""
    env = os.environ if environ is None else environ
    if env.get("GOVFLOW_KEYS"):
        return Keyring.from_json(env["GOVFLOW_KEYS"], "GOVFLOW_KEYS")
    if env.get("GOVFLOW_KEY_FILE"):
        path = Path(env["GOVFLOW_KEY_FILE"])
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise KeyMissing(f"GOVFLOW_KEY_FILE={path}: cannot read the key file ({exc.strerror}); "
                             f"the encrypted data cannot be read without it") from None
        return Keyring.from_json(text, f"GOVFLOW_KEY_FILE={path}")
    if var is None:
        raise KeyMissing("no encryption keys: set GOVFLOW_KEY_FILE (a key file outside the repository) "
                         "or GOVFLOW_KEYS")
    return development_keyring(var)


def development_keyring(var: Path) -> Keyring:
    """`var`/keys.json, made with fresh random keys if it does not exist yet. Several workers may
    start at once: the file is written aside and linked into place, so exactly one set wins."""
    path = Path(var) / DEV_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{DEV_KEY_FILE}.{secrets.token_hex(8)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(Keyring.generate("dev-1").to_json())
        try:
            os.link(aside, path)
        except FileExistsError:
            pass                                # another worker was first: use its keys
        finally:
            aside.unlink()
    return Keyring.from_json(path.read_text("utf-8"), str(path))


# -- the keyring of an engine (read by the column type models.Sealed) ---------------------------
_ATTRIBUTE = "govflow_keyring"


def attach(engine, keyring: Keyring) -> None:
    """Give `engine` its keyring: every sealed column read or written through it uses this one."""
    setattr(engine.dialect, _ATTRIBUTE, keyring)


def keyring_of(dialect) -> Keyring:
    found = getattr(dialect, _ATTRIBUTE, None)
    if found is None:
        raise KeyMissing("this database engine has no keyring (open the store with open_store(..., keyring=...))")
    return found
