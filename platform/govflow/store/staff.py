"""Staff accounts for the read-only staff pages, and the few queries those pages need.

Staff are never citizens: their accounts live in `staff_users`, passwords only as werkzeug
hashes. Failed logins are counted per username in the database (MAX_FAILURES in WINDOW), so
the limit holds across workers and restarts; an unknown username gets a placeholder row with
an empty hash, so it is limited the same way and the answers do not tell which names exist.
`govflow staff-add USER` (cli.py) creates an account or sets a new password.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .models import ApplicationRow, DecisionRow, DefinitionRow, StaffUserRow
from .records import Application, as_utc

WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
MIN_PASSWORD = 8
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
DEMO_USER, DEMO_PASSWORD = "staff", "staff-demo"


@lru_cache(maxsize=None)
def _hash_of(password: str) -> str:
    """Only for fixed passwords (the demo account, the timing dummy): hashed once per process."""
    return generate_password_hash(password)


@dataclass(frozen=True)
class Login:
    ok: bool
    username: str | None = None
    reason: str | None = None          # "wrong" | "locked"
    retry_after_s: int = 0


class StaffAccounts:
    def __init__(self, store):
        self._store = store

    def add(self, username: str, password: str, now=None, *, password_hash: str | None = None) -> bool:
        """Create the account (True) or set a new password and clear its failures (False)."""
        if not USERNAME.match(username or ""):
            raise ValueError("username: 1-64 letters, digits or _ . @ -")
        if password_hash is None and len(password or "") < MIN_PASSWORD:
            raise ValueError(f"password: at least {MIN_PASSWORD} characters")
        hashed = password_hash or generate_password_hash(password)
        moment = as_utc(now or self._store.now())
        with self._store.session() as db:
            row = db.get(StaffUserRow, username, with_for_update=True)
            if row is None:
                new = StaffUserRow(username=username, password_hash=hashed, failures=[], created_at=moment)
                row = _insert_or_lock(db, new)
                if row is new:
                    return True
            created = not row.password_hash
            row.password_hash, row.failures = hashed, []
        return created

    def exists(self, username: str | None) -> bool:
        if not username:
            return False
        with self._store.session() as db:
            row = db.get(StaffUserRow, username)
            return bool(row and row.password_hash)

    def count(self) -> int:
        with self._store.session() as db:
            return db.scalar(select(func.count()).select_from(StaffUserRow)
                             .where(StaffUserRow.password_hash != "")) or 0

    def ensure_demo(self) -> bool:
        """The simulator's demo account `staff` / `staff-demo`, when there is no account at all."""
        if self.count():
            return False
        self.add(DEMO_USER, DEMO_PASSWORD, password_hash=_hash_of(DEMO_PASSWORD))
        return True

    def authenticate(self, username: str, password: str, now=None) -> Login:
        moment = as_utc(now or self._store.now())
        if not USERNAME.match(username or ""):
            check_password_hash(_hash_of("no such account"), password or "")
            return Login(False, reason="wrong")
        with self._store.session() as db:
            row = db.get(StaffUserRow, username, with_for_update=True)
            if row is None:             # an unknown name: a placeholder row counts its failures
                db.execute(delete(StaffUserRow).where(StaffUserRow.password_hash == "",
                                                      StaffUserRow.created_at < moment - timedelta(days=1)))
                row = _insert_or_lock(db, StaffUserRow(username=username, password_hash="", failures=[],
                                                       created_at=moment))
            recent = sorted(t for t in row.failures if datetime.fromisoformat(t) > moment - WINDOW)
            if len(recent) >= MAX_FAILURES:
                wait = datetime.fromisoformat(recent[-MAX_FAILURES]) + WINDOW - moment
                return Login(False, reason="locked", retry_after_s=max(1, int(wait.total_seconds()) + 1))
            known = bool(row.password_hash)
            good = check_password_hash(row.password_hash if known else _hash_of("no such account"),
                                       password or "")
            if known and good:
                row.failures, row.last_login_at = [], moment
                return Login(True, username=username)
            row.failures = recent + [moment.isoformat()]
            return Login(False, reason="wrong")


def _insert_or_lock(db, new: StaffUserRow) -> StaffUserRow:
    """Insert `new` (its name was not found), or, when another worker inserted that name in the
    meantime, that worker's row once it has committed, locked: on PostgreSQL two transactions can
    both find no row and both insert (SQLite's write lock already serialises them)."""
    try:
        with db.begin_nested():
            db.add(new)
        return new
    except IntegrityError:
        return db.get(StaffUserRow, new.username, with_for_update=True, populate_existing=True)


def recent_applications(store, limit: int = 100) -> list[Application]:
    """Newest first, for the staff list (the page shows no personal data from them)."""
    from .applications import to_record
    stmt = select(ApplicationRow).order_by(ApplicationRow.created_at.desc(), ApplicationRow.id).limit(limit)
    with store.reading() as db:
        return [to_record(row) for row in db.scalars(stmt)]


def counts(store) -> dict[str, int]:
    """Applications by status, decisions recorded and bundles archived."""
    with store.reading() as db:
        by_status = dict(db.execute(select(ApplicationRow.status, func.count()).group_by(ApplicationRow.status)).all())
        decisions = db.scalar(select(func.count()).select_from(DecisionRow)) or 0
        bundles = db.scalar(select(func.count()).select_from(DefinitionRow).where(DefinitionRow.kind == "bundle")) or 0
    return {"applications": sum(by_status.values()), "drafts": by_status.get("draft", 0),
            "submitted": by_status.get("submitted", 0), "decisions": decisions, "bundles": bundles}
