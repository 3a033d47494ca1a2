"""Publications, drafts and their history: the rows behind publishing/ (plain records out).

A publication names a bundle (definition_versions, kind 'bundle') and the moment from which new
applications get it; the live one is the newest whose moment has come. Drafts are a manifest
(file name -> digest of a text archived under kind 'file'); a save bumps the draft's revision and
is refused (StaleDraft) when someone saved it since it was read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text, update

from ..errors import Conflict
from .models import DraftEventRow, DraftRow, PublicationRow
from .records import as_utc

_SEED_LOCK = 0x676F76666C7077      # the advisory lock key of the first publication


@dataclass(frozen=True)
class Publication:
    id: int
    version: str
    effective_at: datetime
    kind: str
    published_by: str
    reason: str
    draft_id: int | None
    created_at: datetime


@dataclass
class DraftRecord:
    id: int
    reason: str
    author: str
    base_version: str
    manifest: dict[str, str]
    status: str
    reviewer: str | None
    publish_at: datetime | None
    revision: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DraftEvent:
    at: datetime
    actor: str
    action: str
    comment: str | None
    detail: dict = field(default_factory=dict)


class StaleDraft(Conflict):
    def __init__(self, draft_id: int, revision: int):
        super().__init__("draft.stale", f"draft {draft_id} changed since revision {revision}")


def _publication(row: PublicationRow) -> Publication:
    return Publication(row.id, row.version, row.effective_at, row.kind, row.published_by, row.reason,
                       row.draft_id, row.created_at)


def _draft(row: DraftRow) -> DraftRecord:
    return DraftRecord(row.id, row.reason, row.author, row.base_version, dict(row.manifest), row.status,
                       row.reviewer, row.publish_at, row.revision, row.created_at, row.updated_at)


class Publications:
    def __init__(self, store):
        self._store = store

    def add(self, version: str, effective_at: datetime | None, kind: str, published_by: str, reason: str,
            draft_id: int | None = None) -> Publication:
        moment = self._store.now()
        row = PublicationRow(version=version, effective_at=as_utc(effective_at or moment), kind=kind,
                             published_by=published_by[:64], reason=reason, draft_id=draft_id,
                             created_at=moment)
        with self._store.session() as db:
            db.add(row)
            db.flush()
            return _publication(row)

    def seed(self, version: str, reason: str) -> bool:
        """The first publication of an empty database (True), once however many workers start at
        once (SQLite: the write lock; PostgreSQL: an advisory lock); False when there is one."""
        with self._store.session() as db:
            if db.get_bind().dialect.name == "postgresql":
                db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK})
            if db.scalar(select(PublicationRow.id).limit(1)) is not None:
                return False
            moment = self._store.now()
            db.add(PublicationRow(version=version, effective_at=moment, kind="seed", published_by="system",
                                  reason=reason, created_at=moment))
        return True

    def live(self, now: datetime | None = None) -> Publication | None:
        """What new applications get at `now`: the newest publication whose moment has come."""
        moment = as_utc(now or self._store.now())
        stmt = (select(PublicationRow).where(PublicationRow.effective_at <= moment)
                .order_by(PublicationRow.effective_at.desc(), PublicationRow.id.desc()).limit(1))
        with self._store.reading() as db:
            row = db.scalars(stmt).first()
            return _publication(row) if row else None

    def history(self, limit: int | None = 200) -> list[Publication]:
        """Newest first (by when they take effect, then by when they were made); all when `limit` is None."""
        stmt = select(PublicationRow).order_by(PublicationRow.effective_at.desc(), PublicationRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._store.reading() as db:
            return [_publication(row) for row in db.scalars(stmt)]



class Drafts:
    def __init__(self, store):
        self._store = store

    def create(self, reason: str, author: str, base_version: str, manifest: dict[str, str]) -> DraftRecord:
        moment = self._store.now()
        row = DraftRow(reason=reason, author=author[:64], base_version=base_version, manifest=dict(manifest),
                       status="editing", revision=0, created_at=moment, updated_at=moment)
        with self._store.session() as db:
            db.add(row)
            db.flush()
            return _draft(row)

    def get(self, draft_id: int) -> DraftRecord | None:
        with self._store.reading() as db:
            row = db.get(DraftRow, draft_id)
            return _draft(row) if row else None

    def all(self) -> list[DraftRecord]:
        """Every draft, the last changed first."""
        stmt = select(DraftRow).order_by(DraftRow.updated_at.desc(), DraftRow.id.desc())
        with self._store.reading() as db:
            return [_draft(row) for row in db.scalars(stmt)]

    def save(self, draft: DraftRecord) -> DraftRecord:
        """Write manifest, status, reviewer and publish_at if nobody saved since `draft` was read."""
        moment = self._store.now()
        stmt = (update(DraftRow).where(DraftRow.id == draft.id, DraftRow.revision == draft.revision)
                .values(manifest=dict(draft.manifest), status=draft.status, reviewer=draft.reviewer,
                        publish_at=draft.publish_at, revision=draft.revision + 1, updated_at=moment))
        with self._store.session() as db:
            if db.execute(stmt).rowcount != 1:
                raise StaleDraft(draft.id, draft.revision)
        draft.revision += 1
        draft.updated_at = moment
        return draft

    def record(self, draft_id: int, actor: str, action: str, comment: str | None = None,
               detail: dict | None = None) -> None:
        with self._store.session() as db:
            db.add(DraftEventRow(draft_id=draft_id, at=self._store.now(), actor=actor[:64], action=action[:20],
                                 comment=comment, detail=detail))

    def events(self, draft_id: int) -> list[DraftEvent]:
        """Oldest first."""
        stmt = select(DraftEventRow).where(DraftEventRow.draft_id == draft_id).order_by(DraftEventRow.id)
        with self._store.reading() as db:
            return [DraftEvent(r.at, r.actor, r.action, r.comment, r.detail or {}) for r in db.scalars(stmt)]

