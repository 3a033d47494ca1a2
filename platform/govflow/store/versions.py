"""Archive of every flow and rule file version served, so pinned applications can
be continued under the exact definitions they started with after an edit."""
from __future__ import annotations

from sqlalchemy import select
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
        with self._store.reading() as db:
            row = db.get(DefinitionRow, (kind, name, version))
            return row.text if row else None

    def versions(self, kind: str, name: str | None = None) -> list[tuple[str, object]]:
        """(version, created_at) of everything archived under `kind` (and `name`), newest first."""
        stmt = select(DefinitionRow.version, DefinitionRow.created_at).where(DefinitionRow.kind == kind)
        if name is not None:
            stmt = stmt.where(DefinitionRow.name == name)
        with self._store.reading() as db:
            return [(v, at) for v, at in db.execute(stmt.order_by(DefinitionRow.created_at.desc(),
                                                                  DefinitionRow.version))]

    @staticmethod
    def _same(existing: str | None, kind: str, name: str, version: str, text: str) -> bool:
        if existing != text:
            raise ValueError(f"{kind} {name} version {version} already archived with other text")
        return False
