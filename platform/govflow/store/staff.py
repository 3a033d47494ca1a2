"""Staff accounts for the read-only staff pages, and the few queries those pages need.

Staff are never citizens: their accounts live in `staff_users`, passwords only as werkzeug
hashes. Failed logins are counted per username in the database (MAX_FAILURES in WINDOW), so
the limit holds across workers and restarts; an unknown username gets a placeholder row with
an empty hash, so it is limited the same way and the answers do not tell which names exist.
`govflow staff-add USER` (add_command) creates an account or sets a new password.
"""
from __future__ import annotations

import os
import re
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from getpass import getpass
from pathlib import Path

from sqlalchemy import delete, func, select
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
            row = db.get(StaffUserRow, username)
            created = row is None or not row.password_hash
            if row is None:
                db.add(StaffUserRow(username=username, password_hash=hashed, failures=[], created_at=moment))
            else:
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
            recent = sorted(t for t in (row.failures if row else [])
                            if datetime.fromisoformat(t) > moment - WINDOW)
            if len(recent) >= MAX_FAILURES:
                wait = datetime.fromisoformat(recent[-MAX_FAILURES]) + WINDOW - moment
                return Login(False, reason="locked", retry_after_s=max(1, int(wait.total_seconds()) + 1))
            known = bool(row and row.password_hash)
            good = check_password_hash(row.password_hash if known else _hash_of("no such account"),
                                       password or "")
            if known and good:
                row.failures, row.last_login_at = [], moment
                return Login(True, username=username)
            if row is None:
                db.execute(delete(StaffUserRow).where(StaffUserRow.password_hash == "",
                                                      StaffUserRow.created_at < moment - timedelta(days=1)))
                row = StaffUserRow(username=username, password_hash="", failures=[], created_at=moment)
                db.add(row)
            row.failures = recent + [moment.isoformat()]
            return Login(False, reason="wrong")


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


def add_parser(sub) -> None:
    """Register `staff-add USER [--password-env VAR]` on the CLI's subparsers."""
    cmd = sub.add_parser("staff-add", help="add a staff account for /staff (or set its password)")
    cmd.add_argument("user")
    cmd.add_argument("--password-env", metavar="VAR", help="read the password from this variable (scripts)")
    cmd.set_defaults(run=lambda args: add_command(args.root, args.user, args.password_env))


def add_command(root: Path, username: str, password_env: str | None = None) -> int:
    """Ask the password twice (or read it from $VAR) and store the account in DATABASE_URL's store."""
    from . import database_url, open_store
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            print(f"error: environment variable {password_env} is not set", file=sys.stderr)
            return 2
    else:
        password = getpass(f"Password for {username}: ")
        if getpass("Repeat the password: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    var = Path(root) / "var"
    store = open_store(database_url(default=f"sqlite:///{var / 'govflow.db'}"), var / "uploads",
                       secrets.token_bytes(32))   # the SMS code key is not used here
    try:
        created = StaffAccounts(store).add(username, password)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"staff account {username} {'created' if created else 'updated (new password)'}")
    return 0
