"""Uploaded document images: checked by content, re-encoded, stored under random names.

Files live flat in `upload_dir` as <32 random hex>.enc, encrypted (crypto.Keyring.encrypt,
AES-GCM, bound to the file's name) and decrypted only when read; the declared file name is
never used for anything on disk. Files written before encryption (an older dev checkout's
<hex>.jpg) are encrypted in place when the store opens (`seal_plain_files`). Every lookup is
by (application id, upload id), so an upload is only reachable through the application that
owns it; the web layer checks that the application belongs to the caller.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from pathlib import Path

from sqlalchemy import select

from .crypto import BYTES_MAGIC, is_sealed_bytes
from .imaging import ImageRefused, Limits, clean_image, megabytes
from .models import UploadRow
from .records import Refusal, Upload, as_utc


class UploadStore:
    def __init__(self, store, upload_dir: Path, limits: Limits, keyring):
        self._store = store
        self.dir = Path(upload_dir)
        self.limits = limits
        self._keyring = keyring

    def seal_plain_files(self) -> int:
        """Encrypt, in place, files left in clear by a govflow before encryption at rest (run when
        the store opens: it reads the first bytes of each file, and rewrites only plain ones).
        Returns how many it encrypted."""
        if not self.dir.is_dir():
            return 0
        sealed = 0
        for path in sorted(self.dir.iterdir()):
            if not path.is_file() or path.name.startswith(".") or path.name.endswith(".part"):
                continue
            with path.open("rb") as fh:
                if is_sealed_bytes(fh.read(len(BYTES_MAGIC))):
                    continue
            self._write(path, self._keyring.encrypt(path.read_bytes(), _purpose(path.name)), replace=True)
            sealed += 1
        return sealed

    @staticmethod
    def _write(path: Path, data: bytes, replace: bool = False) -> None:
        partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part" if replace else path.name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(partial, path)

    def save(self, application_id: str, slot: str, data: bytes, declared_name: str) -> Upload | Refusal:
        """Store a cleaned copy of `data` for `slot`; a Refusal (code, params) if refused.
        A slot holds one file: the slot's earlier upload is deleted with it (its row in the same
        transaction, its file once that has committed). The application's quota (`max_files`,
        `max_total_bytes` of the stored files, not counting the one replaced) is checked with the
        application's row locked by the step, so two requests at once cannot both pass it.
        `declared_name` is accepted for the caller's convenience and deliberately ignored.
        In a transaction, the new file is removed again if the transaction rolls back."""
        try:
            image = clean_image(data, self.limits)
        except ImageRefused as refused:
            return Refusal(refused.code, dict(refused.params))
        with self._store.session() as db:
            rows = list(db.scalars(select(UploadRow).where(UploadRow.application_id == application_id)))
            replaced = [r for r in rows if r.slot == slot]
            kept = [r for r in rows if r.slot != slot]
            refusal = self._over_quota(kept, len(image.data))
            if refusal is not None:
                return refusal
            stored_name = f"{secrets.token_hex(16)}.enc"
            path = self._path(stored_name)
            self._write(path, self._keyring.encrypt(image.data, _purpose(stored_name)))
            row = UploadRow(id=uuid.uuid4().hex, application_id=application_id, slot=slot,
                            stored_name=stored_name, content_type=image.content_type,
                            size=len(image.data), width=image.width, height=image.height,
                            sha256=hashlib.sha256(image.data).hexdigest(),
                            created_at=as_utc(self._store.now()))
            try:
                for old in replaced:
                    db.delete(old)
                db.add(row)
                db.flush()
                record = _to_record(row)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            gone = [self._path(old.stored_name) for old in replaced]
        self._store.on_rollback(lambda: path.unlink(missing_ok=True))
        self._store.after_commit(lambda: _unlink(gone))
        return record

    def _over_quota(self, kept: list[UploadRow], size: int) -> Refusal | None:
        limits = self.limits
        if len(kept) + 1 > limits.max_files:
            return Refusal("upload.quota_files", {"max_files": limits.max_files})
        if sum(r.size for r in kept) + size > limits.max_total_bytes:
            return Refusal("upload.quota_bytes", {"max_mb": megabytes(limits.max_total_bytes)})
        return None

    def slot_ids(self, application_id: str, slot: str) -> list[str]:
        """The upload ids held by `slot` of the application (one, or none)."""
        stmt = select(UploadRow.id).where(UploadRow.application_id == application_id, UploadRow.slot == slot)
        with self._store.reading() as db:
            return list(db.scalars(stmt))

    def get(self, application_id: str, upload_id: str) -> Upload | None:
        with self._store.reading() as db:
            row = self._row(db, application_id, upload_id)
            return _to_record(row) if row else None

    def for_application(self, application_id: str) -> list[Upload]:
        stmt = (select(UploadRow).where(UploadRow.application_id == application_id)
                .order_by(UploadRow.created_at, UploadRow.id))
        with self._store.reading() as db:
            return [_to_record(row) for row in db.scalars(stmt)]

    def read_bytes(self, upload: Upload) -> bytes:
        with self._store.reading() as db:
            row = self._row(db, upload.application_id, upload.id)
            if row is None:
                raise FileNotFoundError(f"upload {upload.id} is gone")
            return self._keyring.decrypt(self._path(row.stored_name).read_bytes(), _purpose(row.stored_name))

    def delete(self, application_id: str, upload_id: str) -> bool:
        """Remove the row, and the file once the transaction has committed; False if there was
        no such upload for that application."""
        with self._store.session() as db:
            row = self._row(db, application_id, upload_id)
            if row is None:
                return False
            path = self._path(row.stored_name)
            db.delete(row)
        self._store.after_commit(lambda: path.unlink(missing_ok=True))
        return True

    @staticmethod
    def _row(db, application_id: str, upload_id: str) -> UploadRow | None:
        row = db.get(UploadRow, upload_id)
        return row if row is not None and row.application_id == application_id else None

    def _path(self, stored_name: str) -> Path:
        if Path(stored_name).name != stored_name or stored_name.startswith("."):
            raise ValueError("stored upload names are plain generated names")
        return self.dir / stored_name


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _purpose(stored_name: str) -> str:
    """What a file's ciphertext is bound to: its name (a file renamed or swapped is refused)."""
    return f"upload:{stored_name}"


def _to_record(row: UploadRow) -> Upload:
    return Upload(id=row.id, application_id=row.application_id, slot=row.slot,
                  content_type=row.content_type, size=row.size, width=row.width,
                  height=row.height, sha256=row.sha256, created_at=row.created_at)
