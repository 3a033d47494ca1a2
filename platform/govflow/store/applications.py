"""Applications: drafts and submissions, saved whole with an optimistic lock.

A save succeeds only if the revision the application was read at is still current, so two
tabs or two workers cannot silently overwrite each other's answers: the loser gets
StaleApplication (a Conflict: 409, the citizen's input kept, see web/errors.py). Inside a
step's unit of work the draft is loaded with `lock=True`, which serialises the steps of one
application (PostgreSQL: FOR UPDATE; SQLite: the unit of work already holds the write lock).
"""
from __future__ import annotations

import copy
import uuid
from dataclasses import fields

from sqlalchemy import Table, bindparam, or_, select, update

from .models import ApplicationRow
from .prepared import PreparedRead, PreparedWrite
from .records import STATUSES, Application, StaleApplication, as_utc

_COLUMNS = [f.name for f in fields(Application)]
_MUTABLE = [n for n in _COLUMNS if n not in ("id", "flow_id", "owner", "created_at", "revision", "updated_at")]
_TABLE: Table = ApplicationRow.__table__  # type: ignore[assignment]

# Built once: the two statements of every step (SQLAlchemy compiles each once and caches it).
_LOAD = PreparedRead(select(_TABLE).where(_TABLE.c.id == bindparam("app_id")))
_LOAD_LOCKED = PreparedRead(_LOAD.stmt.with_for_update())
_SAVE = PreparedWrite(
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("app_id"), _TABLE.c.revision == bindparam("old_revision"))
    .values({**{name: bindparam(name) for name in _MUTABLE},
             "revision": bindparam("new_revision"), "updated_at": bindparam("moment")}))


def _from_row(row) -> Application:
    return Application(**{name: getattr(row, name) for name in _COLUMNS})


def to_record(row: ApplicationRow) -> Application:
    """The plain Application of a table row (for other modules of the store). The row's JSON
    values were just read from the database and the row is not written back through the ORM
    (saves are UPDATE statements), so they are handed over without a copy."""
    return Application(**{name: getattr(row, name) for name in _COLUMNS})


class ApplicationRepo:
    def __init__(self, store):
        self._store = store

    def create(self, flow_id: str, owner: str, flow_version: str, rule_versions: dict[str, str],
               parent_id: str | None = None, context: dict | None = None, now=None,
               person_key: str | None = None) -> Application:
        moment = as_utc(now or self._store.now())
        app = Application(id=uuid.uuid4().hex, flow_id=flow_id, owner=owner,
                          flow_version=flow_version, rule_versions=dict(rule_versions),
                          parent_id=parent_id, context=copy.deepcopy(context or {}),
                          created_at=moment, updated_at=moment, person_key=person_key)
        self._store.search_keys(app)
        with self._store.session() as db:
            db.add(ApplicationRow(**{name: copy.deepcopy(getattr(app, name)) for name in _COLUMNS}))
            db.flush()                 # statements below (Core) see it at once
        return app

    def get(self, app_id: str, owner: str | None = None, lock: bool = False) -> Application | None:
        """The application, or None; with `owner`, None also when it belongs to someone else.
        `lock`: hold the row until the open unit of work ends (a step that will save it)."""
        stmt = _LOAD_LOCKED if lock and self._store.in_transaction else _LOAD
        with self._store.reading() as db:
            row = stmt.first(db.connection(), {"app_id": app_id})
            if row is None or (owner is not None and row.owner != owner):
                return None
            return _from_row(row)

    def save(self, app: Application, now=None) -> Application:
        """Write `app` if nobody saved since it was read; bumps revision and updated_at on
        `app` itself (and returns it). Raises StaleApplication otherwise."""
        if app.status not in STATUSES:
            raise ValueError(f"unknown application status {app.status!r}")
        moment = as_utc(now or self._store.now())
        self._store.search_keys(app)
        params = {name: getattr(app, name) for name in _MUTABLE}    # serialised by the UPDATE itself
        params.update(app_id=app.id, old_revision=app.revision, new_revision=app.revision + 1, moment=moment)
        with self._store.session() as db:
            if _SAVE.rowcount(db.connection(), params) != 1:
                raise StaleApplication(app.id, app.revision)
            loaded = db.loaded(ApplicationRow, app.id) if hasattr(db, "loaded") else \
                db.identity_map.get(db.identity_key(ApplicationRow, app.id))
            if loaded is not None:
                db.expire(loaded)          # an ORM read later in this unit of work sees the saved row
        app.revision += 1
        app.updated_at = moment
        return app

    def open_ids(self) -> list[str]:
        """The ids of every draft (status 'draft'), in id order."""
        stmt = select(ApplicationRow.id).where(ApplicationRow.status == "draft").order_by(ApplicationRow.id)
        with self._store.reading() as db:
            return list(db.scalars(stmt))

    def list_for_owner(self, owner: str) -> list[Application]:
        """Newest first."""
        stmt = (select(ApplicationRow).where(ApplicationRow.owner == owner)
                .order_by(ApplicationRow.created_at.desc(), ApplicationRow.id))
        with self._store.reading() as db:
            return [to_record(row) for row in db.scalars(stmt)]

    def list_for_person(self, person_key: str) -> list[Application]:
        """The open drafts of a face-verified person (by the keyed hash of the ID number), newest first."""
        stmt = (select(ApplicationRow).where(ApplicationRow.person_key == person_key,
                                             ApplicationRow.status == "draft")
                .order_by(ApplicationRow.updated_at.desc(), ApplicationRow.id))
        with self._store.reading() as db:
            return [to_record(row) for row in db.scalars(stmt)]

    def list_accepted(self, person_key: str | None, owner: str | None, limit: int = 50) -> list[Application]:
        """Submitted applications (a reference) of the face-verified person or of this browser, newest first."""
        who = [c for c in ((ApplicationRow.person_key == person_key) if person_key else None,
                           (ApplicationRow.owner == owner) if owner else None) if c is not None]
        if not who:
            return []
        stmt = (select(ApplicationRow).where(or_(*who), ApplicationRow.status == "submitted",
                                             ApplicationRow.reference.is_not(None))
                .order_by(ApplicationRow.updated_at.desc(), ApplicationRow.id).limit(limit))
        with self._store.reading() as db:
            return [to_record(row) for row in db.scalars(stmt)]

    def claim(self, app: Application) -> None:
        """Hand the application to `app.owner` (继续办理 after a new face verification): the old
        owner (a session that ended) no longer opens it."""
        with self._store.session() as db:
            db.execute(update(_TABLE).where(_TABLE.c.id == app.id).values(owner=app.owner))

    def find_open(self, owner: str, flow_id: str) -> Application | None:
        """The owner's newest draft of `flow_id`, to resume instead of starting over."""
        stmt = (select(ApplicationRow)
                .where(ApplicationRow.owner == owner, ApplicationRow.flow_id == flow_id,
                       ApplicationRow.status == "draft")
                .order_by(ApplicationRow.created_at.desc(), ApplicationRow.id.desc())
                .limit(1))
        with self._store.reading() as db:
            row = db.scalars(stmt).first()
            return to_record(row) if row else None
