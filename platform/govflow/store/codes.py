"""SMS verification codes: issued, hashed, rate-limited and checked in the database.

The code is 6 digits from `secrets`; only HMAC-SHA256(secret, app|phone|purpose|code)
is stored, and the phone only as its blind index (crypto.Keyring.blind), by which every
look-up and limit finds it. Limits are counted from the table itself so every worker shares them, and
they are keyed to the sender, never to the phone alone (a per-phone limit let an attacker's application
lock the victim's own phone out): one code per application and phone per 60 s, 5 per application and
phone per hour, 10 per application per hour, and `per_client` (default 20) per client address
per hour (counted in throttle_events, store/throttle.py, under a keyed hash of the address).
The new row is inserted before the limits are counted, inside one transaction
that serialises issuers (SQLite: the insert takes the write lock; PostgreSQL:
transaction-scoped advisory locks), and rolled back when over a limit.
The plain code goes back to the caller for the SMS gateway and is never logged.
A refusal is a code (`sms.too_soon`, `sms.too_many`) with the seconds to wait; the journey
turns it into the citizen's message.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, text, update

from .models import CodeRow
from .records import IssueResult, as_utc

LIFETIME = timedelta(minutes=5)
MIN_INTERVAL = timedelta(seconds=60)
WINDOW = timedelta(hours=1)
PER_PHONE = 5
PER_APPLICATION = 10
PER_CLIENT = 20
MAX_ATTEMPTS = 5
KEEP = timedelta(days=1)


class _OverLimit(Exception):
    def __init__(self, code: str, retry: timedelta):
        self.code, self.retry = code, retry


class VerificationCodes:
    def __init__(self, store, secret: bytes, keyring):
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < 16:
            raise ValueError("the store secret must be at least 16 random bytes")
        self._store = store
        self._secret = bytes(secret)
        self._keyring = keyring

    def _phone(self, phone: str) -> str:
        """The phone's blind index: what the table holds instead of the number."""
        return self._keyring.blind(phone, "phone")

    def _hash(self, application_id: str, phone: str, purpose: str, code: str) -> str:
        msg = "|".join((application_id, phone, purpose, code)).encode("utf-8")
        return hmac.new(self._secret, msg, hashlib.sha256).hexdigest()

    def issue(self, application_id: str, phone: str, purpose: str, now=None, client: str | None = None,
              per_client: int = PER_CLIENT) -> IssueResult:
        moment = as_utc(now or self._store.now())
        code = f"{secrets.randbelow(10**6):06d}"
        hashed = self._phone(phone)
        row = CodeRow(application_id=application_id, phone_index=hashed, purpose=purpose,
                      code_hash=self._hash(application_id, phone, purpose, code),
                      created_at=moment, expires_at=moment + LIFETIME, attempts=0,
                      superseded=False)
        try:
            with self._store.savepoint() as db:
                db.add(row)
                db.flush()              # SQLite: BEGIN + INSERT takes the write lock now
                self._serialise(db, application_id, hashed)
                self._check_limits(db, row.id, application_id, hashed, moment)
                if client:
                    self._check_client(db, client, per_client, moment)
                db.execute(update(CodeRow)
                           .where(CodeRow.application_id == application_id, CodeRow.phone_index == hashed,
                                  CodeRow.purpose == purpose, CodeRow.id != row.id)
                           .values(superseded=True))
        except _OverLimit as over:
            seconds = max(1, math.ceil(over.retry.total_seconds()))
            return IssueResult(ok=False, retry_after_s=seconds, refusal=over.code)
        return IssueResult(ok=True, code=code)

    @staticmethod
    def _serialise(db, application_id: str, phone_index: str) -> None:
        if db.get_bind().dialect.name == "postgresql":
            for key in (f"sms-app:{application_id}", f"sms-phone:{phone_index}"):
                db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})

    def _check_client(self, db, client: str, per_client: int, moment: datetime) -> None:
        from .throttle import Limit
        throttle = self._store.throttle
        throttle.lock(db, "sms", throttle.key(client))
        wait = throttle.wait(Limit("sms", per_client, WINDOW), client, moment, db)
        if wait:
            raise _OverLimit("sms.too_many", timedelta(seconds=wait))
        throttle.hit("sms", client, moment, db)

    @staticmethod
    def _check_limits(db, own_id: int, application_id: str, phone_index: str, moment: datetime) -> None:
        """Raise _OverLimit with the longest wait that applies."""
        since = moment - WINDOW
        others = (CodeRow.id != own_id, CodeRow.created_at > since)   # no upper bound: a racing
        # issuer may have stamped a slightly later time than ours and committed first
        waits: list[tuple[str, timedelta]] = []
        mine = CodeRow.application_id == application_id
        for where, limit in (((mine, CodeRow.phone_index == phone_index), PER_PHONE), ((mine,), PER_APPLICATION)):
            times = db.scalars(select(CodeRow.created_at).where(*where, *others)
                               .order_by(CodeRow.created_at.desc()).limit(limit)).all()
            if len(times) >= limit:
                waits.append(("sms.too_many", times[limit - 1] + WINDOW - moment))
        last = db.scalar(select(func.max(CodeRow.created_at))
                         .where(CodeRow.application_id == application_id, CodeRow.phone_index == phone_index,
                                CodeRow.id != own_id))
        if last is not None and moment - last < MIN_INTERVAL:
            waits.append(("sms.too_soon", last + MIN_INTERVAL - moment))
        if waits:
            code = "sms.too_many" if any(c == "sms.too_many" for c, _ in waits) else "sms.too_soon"
            raise _OverLimit(code, max(w for _, w in waits))

    @staticmethod
    def _latest(db, application_id: str, phone_index: str, purpose: str) -> CodeRow | None:
        """The code that counts for (application, phone, purpose): the newest not superseded."""
        return db.scalars(select(CodeRow)
                          .where(CodeRow.application_id == application_id, CodeRow.phone_index == phone_index,
                                 CodeRow.purpose == purpose, CodeRow.superseded.is_(False))
                          .order_by(CodeRow.created_at.desc(), CodeRow.id.desc()).limit(1)).first()

    _LATEST = (select(CodeRow.__table__.c.created_at, CodeRow.__table__.c.expires_at,
                      CodeRow.__table__.c.used_at)
               .where(CodeRow.__table__.c.application_id == bindparam("app_id"),
                      CodeRow.__table__.c.phone_index == bindparam("phone"),
                      CodeRow.__table__.c.purpose == bindparam("purpose"),
                      CodeRow.__table__.c.superseded.is_(False))
               .order_by(CodeRow.__table__.c.created_at.desc(), CodeRow.__table__.c.id.desc()).limit(1))

    def verify(self, application_id: str, phone: str, purpose: str, code: str,
               now=None, use: bool = True) -> str | None:
        """None when the code is right (and now used, unless `use` is false: a right code given on a
        page with other errors stays valid for the next round); otherwise a problem code. A wrong code
        counts as a try either way."""
        moment = as_utc(now or self._store.now())
        with self._store.session() as db:
            row = self._latest(db, application_id, self._phone(phone), purpose)
            if row is None:
                return "sms.none"
            if row.used_at is not None:
                return "sms.used"
            if row.attempts >= MAX_ATTEMPTS:
                return "sms.too_many_attempts"
            if moment >= row.expires_at:
                return "sms.expired"
            given = (code or "").strip()
            if hmac.compare_digest(row.code_hash, self._hash(application_id, phone, purpose, given)):
                if not use:
                    return None
                used = db.execute(update(CodeRow)
                                  .where(CodeRow.id == row.id, CodeRow.used_at.is_(None),
                                         CodeRow.attempts < MAX_ATTEMPTS)
                                  .values(used_at=moment)).rowcount
                return None if used == 1 else "sms.used"
            tries = row.attempts + 1
            db.execute(update(CodeRow).where(CodeRow.id == row.id)
                       .values(attempts=CodeRow.attempts + 1)
                       .execution_options(synchronize_session=False))
            return "sms.too_many_attempts" if tries >= MAX_ATTEMPTS else "sms.wrong"

    def wait_seconds(self, application_id: str, phone: str, purpose: str, now=None) -> int | None:
        """Seconds before another code may be sent while a sent code is still usable; None if none is."""
        moment = as_utc(now or self._store.now())
        with self._store.reading() as db:
            row = db.connection().execute(self._LATEST, {"app_id": application_id, "phone": self._phone(phone),
                                                         "purpose": purpose}).first()
            if row is None or row.used_at is not None or moment >= row.expires_at:
                return None
            return max(0, math.ceil((row.created_at + MIN_INTERVAL - moment).total_seconds()))

    def purge(self, now=None) -> int:
        """Delete codes older than a day (they no longer count for any limit)."""
        moment = as_utc(now or self._store.now())
        with self._store.session() as db:
            return db.execute(delete(CodeRow).where(CodeRow.created_at < moment - KEEP)).rowcount
