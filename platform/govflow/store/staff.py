"""Staff accounts for the read-only staff pages, and the few queries those pages need.

Staff are never citizens: their accounts live in `staff_users`, passwords only as werkzeug
hashes. `govflow staff-add USER` (cli.py) creates an account or sets a new password.

Failed logins are throttled so that an attacker is slowed without locking the owner out:
- per account and client address: the first FREE_FAILURES failures cost nothing, then each
  further attempt from that address for that name waits BASE_DELAY, doubling per failure up
  to MAX_DELAY (counted over PAIR_WINDOW); the owner elsewhere is not affected, and a success
  clears the owner's own count;
- per client address: ADDRESS_FAILURES failures (any names) within WINDOW block the address
  until the oldest of them leaves the window.
The counters are rows of throttle_events under keyed hashes (store/throttle.py), shared by
every worker. Unknown names are throttled like known ones and answered alike.

The simulator's demo account (`staff` / `staff-demo`, flagged `demo`) exists only with the
simulators (`demo_allowed`) and is disabled — refused and deleted — as soon as a real account exists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .models import ApplicationRow, DecisionRow, DefinitionRow, StaffUserRow, ThrottleRow
from .records import Application, as_utc
from .throttle import Limit

WINDOW = timedelta(minutes=15)
FREE_FAILURES = 3
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
PAIR_WINDOW = timedelta(hours=1)
ADDRESS_FAILURES = 20
MAX_FAILURES = FREE_FAILURES          # failures from one address before the delays begin
MIN_PASSWORD = 8
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
DEMO_USER, DEMO_PASSWORD = "staff", "staff-demo"
# the simulator's second demo account: a second pair of eyes for the review of a draft
DEMO_REVIEWER, DEMO_REVIEWER_PASSWORD = "reviewer", "reviewer-demo"
# the demo's case worker: finds and reveals cases, no audit log, no publishing
DEMO_CASEWORKER, DEMO_CASEWORKER_PASSWORD = "caseworker", "caseworker-demo"
# publishing's roles (publishing/workflow.py) and the back office's (web/staff_roles.py)
ROLES = ("editor", "reviewer", "publisher", "viewer", "caseworker", "auditor", "admin")
DEMO_ROLES = {DEMO_USER: list(ROLES), DEMO_REVIEWER: ["reviewer", "publisher", "auditor"],
              DEMO_CASEWORKER: ["viewer", "caseworker"]}
PAIR_SCOPE, ADDRESS_SCOPE = "staff-login", "staff-address"


@lru_cache(maxsize=None)
def _hash_of(password: str) -> str:
    """Only for fixed passwords (the demo account, the timing dummy): hashed once per process."""
    return generate_password_hash(password)


@dataclass(frozen=True)
class Login:
    ok: bool
    username: str | None = None
    reason: str | None = None          # "wrong" | "wait" (this name from this address) | "blocked" (the address)
    retry_after_s: int = 0


def delay_after(failures: int) -> timedelta:
    """How long one account+address must wait after `failures` recent failures."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(MAX_DELAY, BASE_DELAY * (2 ** min(failures - FREE_FAILURES, 16)))


class StaffAccounts:
    def __init__(self, store, demo_allowed: bool = True):
        self._store = store
        self.demo_allowed = demo_allowed

    def add(self, username: str, password: str, now=None, *, password_hash: str | None = None,
            demo: bool = False, roles: list[str] | None = None) -> bool:
        """Create the account (True) or set a new password (False); `roles` replace the account's
        (None: a new account is an auditor, an existing one keeps its roles). A real account
        disables the demo ones."""
        if not USERNAME.match(username or ""):
            raise ValueError("username: 1-64 letters, digits or _ . @ -")
        unknown = sorted(set(roles or ()) - set(ROLES))
        if unknown:
            raise ValueError(f"roles: unknown {', '.join(unknown)}; known: {', '.join(ROLES)}")
        if password_hash is None and len(password or "") < MIN_PASSWORD:
            raise ValueError(f"password: at least {MIN_PASSWORD} characters")
        hashed = password_hash or generate_password_hash(password)
        moment = as_utc(now or self._store.now())
        with self._store.session() as db:
            if not demo:
                db.execute(delete(StaffUserRow).where(StaffUserRow.demo.is_(True),
                                                      StaffUserRow.username != username))
            row = db.get(StaffUserRow, username, with_for_update=True)
            if row is None:
                new = StaffUserRow(username=username, password_hash=hashed, failures=[], created_at=moment,
                                   demo=demo, roles=_ordered(roles if roles is not None else ["auditor"]))
                row = _insert_or_lock(db, new)
                if row is new:
                    return True
            created = not row.password_hash
            row.password_hash, row.failures, row.demo = hashed, [], demo
            if roles is not None:
                row.roles = _ordered(roles)
        return created

    def roles(self, username: str | None) -> tuple[str, ...]:
        """The roles of a usable account (none for an unknown or disabled one)."""
        if not username:
            return ()
        with self._store.reading() as db:
            row = db.get(StaffUserRow, username)
            return tuple(row.roles or ()) if row is not None and self._usable(db, row) else ()

    def _usable(self, db, row: StaffUserRow | None) -> bool:
        if row is None or not row.password_hash:
            return False
        return not row.demo or (self.demo_allowed and not self._real_accounts(db))

    @staticmethod
    def _real_accounts(db) -> int:
        return db.scalar(select(func.count()).select_from(StaffUserRow)
                         .where(StaffUserRow.password_hash != "", StaffUserRow.demo.is_(False))) or 0

    def exists(self, username: str | None) -> bool:
        if not username:
            return False
        with self._store.session() as db:
            return self._usable(db, db.get(StaffUserRow, username))

    def count(self) -> int:
        with self._store.session() as db:
            return db.scalar(select(func.count()).select_from(StaffUserRow)
                             .where(StaffUserRow.password_hash != "")) or 0

    def ensure_demo(self) -> bool:
        """The simulator's demo accounts `staff` / `staff-demo` (every role), `reviewer` /
        `reviewer-demo` (reviewer, publisher, auditor) and `caseworker` / `caseworker-demo`
        (viewer, caseworker), when there is no account at all."""
        if self.count():
            return False
        for user, password in ((DEMO_USER, DEMO_PASSWORD), (DEMO_REVIEWER, DEMO_REVIEWER_PASSWORD),
                               (DEMO_CASEWORKER, DEMO_CASEWORKER_PASSWORD)):
            self.add(user, password, password_hash=_hash_of(password), demo=True, roles=DEMO_ROLES[user])
        return True

    def authenticate(self, username: str, password: str, now=None, client: str = "") -> Login:
        moment = as_utc(now or self._store.now())
        throttle = self._store.throttle
        pair = f"{(username or '').lower()}|{client}"
        with self._store.session() as db:
            for scope, value in ((ADDRESS_SCOPE, client), (PAIR_SCOPE, pair)):
                throttle.lock(db, scope, throttle.key(value))
            blocked = throttle.wait(Limit(ADDRESS_SCOPE, ADDRESS_FAILURES, WINDOW), client, moment, db)
            if blocked:
                return Login(False, reason="blocked", retry_after_s=blocked)
            failures = throttle.times(PAIR_SCOPE, pair, moment - PAIR_WINDOW, db)
            if failures:
                wait = failures[0] + delay_after(len(failures)) - moment
                if wait > timedelta(0):
                    return Login(False, reason="wait", retry_after_s=max(1, int(wait.total_seconds()) + 1))
            row = db.get(StaffUserRow, username, with_for_update=True) if USERNAME.match(username or "") else None
            known = self._usable(db, row)
            good = check_password_hash(row.password_hash if known and row else _hash_of("no such account"),
                                       password or "")
            if known and good and row is not None:
                row.last_login_at = moment
                db.execute(delete(ThrottleRow).where(ThrottleRow.scope == PAIR_SCOPE,
                                                     ThrottleRow.key == throttle.key(pair)))
                return Login(True, username=username)
            throttle.hit(PAIR_SCOPE, pair, moment, db)
            throttle.hit(ADDRESS_SCOPE, client, moment, db)
            return Login(False, reason="wrong")


def _ordered(roles) -> list[str]:
    return [r for r in ROLES if r in set(roles)]


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
