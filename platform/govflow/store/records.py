"""Plain data the engine works on, free of SQLAlchemy.

The engine and the web layer pass these dataclasses around; only the store's
repositories translate them to and from table rows, so a change of database
never leaks into the journey code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..errors import Conflict

STATUSES = ("draft", "processing", "submitted")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime | None) -> datetime:
    """`moment` (or the current time) as an aware UTC datetime; naive input is a bug."""
    if moment is None:
        return utcnow()
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass an aware (UTC) datetime")
    return moment.astimezone(timezone.utc)


class StaleApplication(Conflict):
    """save() was given an application whose revision is no longer current (another tab or
    worker saved it first): answered with 409 `application.stale`, the citizen's input kept."""

    def __init__(self, app_id: str, revision: int):
        self.app_id = app_id
        self.revision = revision
        super().__init__("application.stale", f"application {app_id} changed since revision {revision}")


@dataclass
class Application:
    id: str
    flow_id: str
    owner: str                      # opaque: browser session id or API token hash
    flow_version: str
    rule_versions: dict[str, str]
    status: str = "draft"           # draft | processing (in the outbox) | submitted
    answers: dict[str, dict] = field(default_factory=dict)   # page id -> {field: value}
    done: list[str] = field(default_factory=list)            # completed page ids in order
    context: dict = field(default_factory=dict)              # identity, registry snapshot ...
    parent_id: str | None = None
    reference: str | None = None    # card back-end reference once accepted
    submit_attempts: int = 0
    last_outcome: dict | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    revision: int = 0               # optimistic lock
    person_key: str | None = None   # keyed hash of the face-verified person's ID number (继续办理)
    subject_key: str | None = None  # keyed hashes for the back office's search (Store.search_keys)
    name_key: str | None = None
    subject_name_key: str | None = None


@dataclass(frozen=True)
class Decision:
    id: int
    application_id: str
    ruleset: str
    ruleset_version: str
    flow_id: str
    flow_version: str
    rule_ids: list[str]
    outcome: dict
    facts: dict                     # masked by the caller
    at: datetime


@dataclass(frozen=True)
class CaseStep:
    at: datetime
    page: str
    action: str
    status: str                     # journey.results.Status value
    to_page: str | None             # None: the step went on in another application (a linked flow)


@dataclass(frozen=True)
class Upload:
    id: str
    application_id: str
    slot: str
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class IssueResult:
    ok: bool
    code: str | None = None         # the plain code, only for the caller to send by SMS
    retry_after_s: int = 0
    refusal: str | None = None      # why no code was issued: sms.too_soon | sms.too_many

    def __repr__(self) -> str:      # never print the code by accident (logs, tracebacks)
        shown = "******" if self.code else None
        return (f"IssueResult(ok={self.ok}, code={shown!r}, retry_after_s={self.retry_after_s}, "
                f"refusal={self.refusal!r})")


@dataclass(frozen=True)
class Refusal:
    """The store would not take something (an upload): a stable code and its parameters."""

    code: str
    params: dict = field(default_factory=dict)
