"""Retention: personal data kept no longer than needed (GB/T 35273 "最小必要", 存储期限).

`purge()` deletes, in one transaction (files once it has committed):
- abandoned drafts (not changed for `draft_days`), with everything that belongs to them:
  their uploads (rows and files), SMS codes, decision rows and outbox entries;
- the uploaded images of submitted applications `upload_days` after the card back end accepted
  them (the back end holds its copy; the decision trail, with masked facts only, stays);
- orphaned uploads: files of an application that none of its answers names (sent to the API and
  never used on a page, or chosen and then left), `orphan_minutes` after they were uploaded;
- expired citizen sessions, SMS codes older than a day and rate-limit counters past their window
  (store/sessions.py, store/codes.py, store/throttle.py);
- staff audit events older than `audit_days` (no personal data in them; kept for the auditors).

The outbox worker runs it every `every_seconds` (and `govflow purge` at once). Periods come from
the environment (RETAIN_DRAFT_DAYS, RETAIN_UPLOAD_DAYS, RETAIN_AUDIT_DAYS, RETAIN_ORPHAN_MINUTES,
PURGE_EVERY_SECONDS); defaults below and
in docs/data-protection.md.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select

from .models import (
    ApplicationRow,
    CaseStepRow,
    CodeRow,
    DecisionRow,
    OutboxRow,
    ProgressRow,
    RuleInputRow,
    StaffEventRow,
    UploadRow,
)
from .records import as_utc


@dataclass(frozen=True)
class Retention:
    draft_days: int = 30
    upload_days: int = 30
    audit_days: int = 365
    every_seconds: float = 3600.0
    orphan_minutes: int = 60

    @classmethod
    def from_env(cls, env=os.environ) -> Retention:
        def number(name: str, default):
            value = env.get(name)
            if value in (None, ""):
                return default
            parsed = type(default)(value)
            if parsed < 0:
                raise ValueError(f"{name} must not be negative")
            return parsed
        return cls(number("RETAIN_DRAFT_DAYS", cls.draft_days), number("RETAIN_UPLOAD_DAYS", cls.upload_days),
                   number("RETAIN_AUDIT_DAYS", cls.audit_days), number("PURGE_EVERY_SECONDS", cls.every_seconds),
                   number("RETAIN_ORPHAN_MINUTES", cls.orphan_minutes))


def _abandoned(db, cutoff) -> list[str]:
    """Drafts untouched since `cutoff` whose linked applications (a cleanup started from them)
    are abandoned drafts too (a submitted application keeps the one it came from)."""
    drafts = set(db.scalars(select(ApplicationRow.id).where(ApplicationRow.status == "draft",
                                                            ApplicationRow.updated_at < cutoff)))
    if not drafts:
        return []
    links = db.execute(select(ApplicationRow.id, ApplicationRow.parent_id)
                       .where(ApplicationRow.parent_id.is_not(None))).all()
    changed = True
    while changed:             # a parent stays while any child that stays points at it
        changed = False
        for child, parent in links:
            if parent in drafts and child not in drafts:
                drafts.discard(parent)
                changed = True
    # children before parents (the parent_id foreign key)
    order = {app: 0 for app in drafts}
    parent_of = {child: parent for child, parent in links}
    for app in drafts:
        depth, at = 0, app
        while parent_of.get(at) in drafts and depth < len(drafts):
            depth, at = depth + 1, parent_of[at]
        order[app] = depth
    return sorted(drafts, key=lambda a: -order[a])


def _orphans(store, db, cutoff, going: set[str]) -> dict[str, str]:
    """Uploads (id -> stored name) made before `cutoff` that no answer of their application
    names. Each application is read with its row locked, so a step saving it waits or is waited for."""
    rows = db.execute(select(UploadRow.id, UploadRow.application_id, UploadRow.stored_name)
                      .where(UploadRow.created_at < cutoff)).all()
    by_app: dict[str, list] = {}
    for row in rows:
        if row.application_id not in going:
            by_app.setdefault(row.application_id, []).append(row)
    found: dict[str, str] = {}
    for app_id, uploads in by_app.items():
        app = store.applications.get(app_id, lock=True)
        named = {v for answers in (app.answers.values() if app else ()) for v in answers.values()
                 if isinstance(v, str)}
        found.update({u.id: u.stored_name for u in uploads if u.id not in named})
    return found


def purge(store, retention: Retention, now=None) -> dict[str, int]:
    """Delete what is past its period; returns how many of each were deleted."""
    moment = as_utc(now or store.now())
    files: list[Path] = []
    counts = {"drafts": 0, "uploads": 0, "orphans": 0, "sessions": 0, "codes": 0, "counters": 0, "staff_events": 0}
    with store.transaction() as db:
        doomed = _abandoned(db, moment - timedelta(days=retention.draft_days))
        kept_until = moment - timedelta(days=retention.upload_days)
        submitted = list(db.scalars(select(ApplicationRow.id).where(ApplicationRow.status == "submitted",
                                                                    ApplicationRow.updated_at < kept_until)))
        for app_ids in (doomed, submitted):
            if not app_ids:
                continue
            rows = db.execute(select(UploadRow.stored_name).where(UploadRow.application_id.in_(app_ids))).all()
            files += [store.uploads.dir / r.stored_name for r in rows]
            counts["uploads"] += db.execute(delete(UploadRow).where(UploadRow.application_id.in_(app_ids))).rowcount
        orphans = _orphans(store, db, moment - timedelta(minutes=retention.orphan_minutes), set(doomed + submitted))
        files += [store.uploads.dir / name for name in orphans.values()]
        if orphans:
            counts["orphans"] = db.execute(delete(UploadRow).where(UploadRow.id.in_(list(orphans)))).rowcount
        for app_id in doomed:       # one by one, children first (parent_id)
            for table in (CodeRow, DecisionRow, RuleInputRow, CaseStepRow, OutboxRow, ProgressRow):
                db.execute(delete(table).where(table.application_id == app_id))
            db.execute(delete(ApplicationRow).where(ApplicationRow.id == app_id))
        counts["drafts"] = len(doomed)
        counts["sessions"] = store.sessions.purge_expired(moment)
        counts["codes"] = store.codes.purge(moment)
        counts["counters"] = store.throttle.purge(moment)
        counts["staff_events"] = db.execute(delete(StaffEventRow).where(
            StaffEventRow.at < moment - timedelta(days=retention.audit_days))).rowcount
    for path in files:
        path.unlink(missing_ok=True)
    return counts
