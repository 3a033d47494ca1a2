"""Archive of every flow and rule file version served, so pinned applications can
be continued under the exact definitions they started with after an edit."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from .models import DefinitionRow
from .records import as_utc


class DefinitionArchive:
    def __init__(self, store):
        self._store = store

    def remember(self, kind: str, name: str, version: str, text: str) -> bool:
        """Store `text` under (kind, name, version); True if new. Idempotent; a different
        text under a version already stored is a bug in versioning and raises ValueError."""
        existing = self.get(kind, name, version)
        if existing is not None:
            return self._same(existing, kind, name, version, text)
        try:
            with self._store.session() as db:
                db.add(DefinitionRow(kind=kind, name=name, version=version, text=text,
                                     created_at=as_utc(self._store.now())))
        except IntegrityError:   # another worker stored it first
            return self._same(self.get(kind, name, version), kind, name, version, text)
        return True

    def get(self, kind: str, name: str, version: str) -> str | None:
        with self._store.session() as db:
            row = db.get(DefinitionRow, (kind, name, version))
            return row.text if row else None

    @staticmethod
    def _same(existing: str | None, kind: str, name: str, version: str, text: str) -> bool:
        if existing != text:
            raise ValueError(f"{kind} {name} version {version} already archived with other text")
        return False
