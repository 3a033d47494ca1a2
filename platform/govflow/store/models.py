"""Table definitions (SQLAlchemy 2 declarative, typed).

Portable on purpose: SQLite by default, PostgreSQL by URL. JSON columns use
sqlalchemy.JSON; timestamps are stored as naive UTC and handed back aware, so
comparisons in SQL behave the same on both databases. Columns that hold personal data are
`Sealed` (JSON encrypted with the engine's keyring, store/crypto.py); SMS codes keep the phone
only as a blind index.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .crypto import keyring_of


class UTCDateTime(TypeDecorator):
    """Aware UTC in Python, naive UTC in the database (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database; use aware UTC datetimes")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


_PLAIN = re.compile(r"[A-Za-z0-9+/=:._-]*")     # text that JSON writes as it is, between quotes


class Sealed(TypeDecorator):
    """A JSON value stored encrypted (AES-GCM, crypto.Keyring.seal_json) with the engine's keyring
    (crypto.attach); `purpose` (table.column) is authenticated with it, so a value copied into
    another column is refused. Read and written once per load and save. The column stays JSON
    (holding one JSON string, the sealed text), so no table had to change type (migration 0003)."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keyring_of(dialect).seal_json(value, self.purpose)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return keyring_of(dialect).unseal_json(value, self.purpose)

    def bind_processor(self, dialect):
        """On SQLite the sealed text is written as the JSON string it is: in quotes, as json.dumps
        writes text of plain characters (base64 and a key id); any other text through the JSON type."""
        default = super().bind_processor(dialect)
        if dialect.name != "sqlite" or default is None:
            return default
        as_json = self.impl_instance.bind_processor(dialect) or (lambda text: text)
        purpose = self.purpose

        def process(value):
            if value is None:
                return default(value)
            sealed = keyring_of(dialect).seal_json(value, purpose)
            return f'"{sealed}"' if _PLAIN.fullmatch(sealed) else as_json(sealed)
        return process

    def result_processor(self, dialect, coltype):
        """SQLite hands the column's JSON text over: a sealed text is a JSON string without
        escapes (base64 and a key id), so its quotes are taken off instead of decoding JSON;
        anything else takes the JSON type's way."""
        default = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or default is None:
            return default
        purpose = self.purpose

        def process(value):
            if isinstance(value, str) and len(value) > 1 and value[0] == '"' and value[-1] == '"' \
                    and "\\" not in value:
                return keyring_of(dialect).unseal_json(value[1:-1], purpose)
            return default(value)
        return process


class Base(DeclarativeBase):
    pass


class ApplicationRow(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(100))
    owner: Mapped[str] = mapped_column(String(128), index=True)
    flow_version: Mapped[str] = mapped_column(String(100))
    rule_versions: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    answers: Mapped[dict] = mapped_column(Sealed("applications.answers"))
    done: Mapped[list] = mapped_column(JSON)
    context: Mapped[dict] = mapped_column(Sealed("applications.context"))
    parent_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("applications.id"))
    reference: Mapped[str | None] = mapped_column(String(100))
    submit_attempts: Mapped[int] = mapped_column(Integer)
    last_outcome: Mapped[dict | None] = mapped_column(Sealed("applications.last_outcome"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer)
    person_key: Mapped[str | None] = mapped_column(String(64), index=True)   # keyed hash of the verified ID
    # the back office's search (store/cases.py): keyed hashes, never the values
    subject_key: Mapped[str | None] = mapped_column(String(64), index=True)       # the subject's number
    name_key: Mapped[str | None] = mapped_column(String(64), index=True)          # the verified person's name
    subject_name_key: Mapped[str | None] = mapped_column(String(64), index=True)  # the subject's name


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    ruleset: Mapped[str] = mapped_column(String(100))
    ruleset_version: Mapped[str] = mapped_column(String(100))
    flow_id: Mapped[str] = mapped_column(String(100))
    flow_version: Mapped[str] = mapped_column(String(100))
    rule_ids: Mapped[list] = mapped_column(JSON)
    outcome: Mapped[dict] = mapped_column(JSON)
    facts: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class RuleInputRow(Base):
    """The rule sets one step evaluated, fired or not: for each the facts it read (its inputs,
    before derivation) and the rules that fired, sealed, one row per step, so a changed rule set
    can be replayed on past decisions before it is published (publishing/impact.py)."""

    __tablename__ = "rule_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    step: Mapped[str] = mapped_column(String(200))
    evaluations: Mapped[list] = mapped_column(Sealed("rule_inputs.evaluations"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProgressRow(Base):
    """How far an accepted application has got in the outside system (journey/progress.py): the
    status its status operation last reported, and the status the citizen was last sent an SMS
    about; `notified` behind `status` is an SMS still to send (under the row's lock: never twice)."""

    __tablename__ = "application_progress"
    __table_args__ = (Index("ix_application_progress_due", "final", "checked_at"),)

    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    operation: Mapped[str] = mapped_column(String(100))       # the status operation that reports on it
    status: Mapped[str] = mapped_column(String(40))
    notified: Mapped[str | None] = mapped_column(String(40))
    report: Mapped[dict] = mapped_column(Sealed("application_progress.report"))   # branch, parcel number
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)      # the date on the receipt
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseStepRow(Base):
    """One step a citizen took (a button pressed on a page): where from, with what result, where
    to, when; written in the step's transaction (journey.Journey.act) for the case view's path."""

    __tablename__ = "case_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    page: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    to_page: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class UploadRow(Base):
    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    slot: Mapped[str] = mapped_column(String(100))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)   # server-generated
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CodeRow(Base):
    """One issued SMS code; rows stay for a day so rate limits can count them."""

    __tablename__ = "sms_codes"
    __table_args__ = (
        Index("ix_sms_codes_target", "application_id", "phone_index", "purpose"),
        Index("ix_sms_codes_phone_time", "phone_index", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    phone_index: Mapped[str] = mapped_column(String(64))   # blind index (crypto.Keyring.blind), never the phone
    purpose: Mapped[str] = mapped_column(String(100))
    code_hash: Mapped[str] = mapped_column(String(64))   # HMAC-SHA256 hex, never the code
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded: Mapped[bool] = mapped_column(default=False)


class SessionRow(Base):
    """A web session; the key is the SHA-256 of the cookie value, not the value itself."""

    __tablename__ = "web_sessions"

    sid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict] = mapped_column(Sealed("web_sessions.data"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DefinitionRow(Base):
    __tablename__ = "definition_versions"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(100), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """What must be handed to an outside system (store/outbox.py); the unique key makes a second
    entry for one application and operation impossible, in every worker."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    operation: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200), unique=True)       # the idempotency key
    payload: Mapped[dict] = mapped_column(Sealed("outbox.payload"))
    route: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[dict | None] = mapped_column(Sealed("outbox.result"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffUserRow(Base):
    """A staff account for the read-only staff pages (never a citizen); the password only hashed.
    `failures` holds the times (ISO, UTC) of recent failed logins, for the per-user rate limit."""

    __tablename__ = "staff_users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    failures: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    roles: Mapped[list | None] = mapped_column(JSON, default=list)      # store/staff.py ROLES


class StaffEventRow(Base):
    """One staff audit event (login, logout, reveal, export ...): who, what, when, from where;
    never a citizen's personal data (store/events.py)."""

    __tablename__ = "staff_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict | None] = mapped_column(JSON)
    client: Mapped[str | None] = mapped_column(String(64))


class ThrottleRow(Base):
    """One counted attempt for a rate limit (store/throttle.py): scope, keyed hash, time."""

    __tablename__ = "throttle_events"
    __table_args__ = (Index("ix_throttle_events_lookup", "scope", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class PublicationRow(Base):
    """A definition bundle put live (publishing/live.py): the newest row whose effective_at has come
    is what new applications get, in every worker. Never updated: a roll-back is a new row."""

    __tablename__ = "publications"
    __table_args__ = (Index("ix_publications_effective", "effective_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(100))              # the bundle (definition_versions)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))                  # seed | publish | rollback
    published_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    draft_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DraftRow(Base):
    """A whole set of definition files being changed (publishing/drafts.py): the files are named by
    their digests in `manifest` (texts in definition_versions, kind 'file')."""

    __tablename__ = "definition_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    base_version: Mapped[str] = mapped_column(String(100))
    manifest: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)    # publishing/workflow.py STATUSES
    reviewer: Mapped[str | None] = mapped_column(String(64))
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DraftEventRow(Base):
    """One step in a draft's history: who, when, what, why, and what the checks and the diff said."""

    __tablename__ = "definition_draft_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("definition_drafts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict | None] = mapped_column(JSON)
