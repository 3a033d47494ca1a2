"""Drafts of the definitions, from the first edit to the publication: who may do what, when.

A draft is a whole set of flow, rule and reference files with an author and a reason. It is
edited (editor), sent to review (editor, only without errors), approved or sent back with a
comment (reviewer, never one who wrote or edited it), and published now or at an effective time
(publisher). Editing a draft in review or approved sends it back to editing: an approval holds
for the files it saw. A roll-back publishes an earlier bundle again, as a new entry. Each step is
one store transaction and one entry in the draft's history (who, when, why, the checks' result
and the changes against the live bundle); refusals are errors with a stable code (Refused).

The steps are a table of small functions (STEPS): (statuses it starts from, role it needs, what
it does), like jsonschema's validators.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ..definitions.bundle import allowed, load_files, manifest_of, manifest_version
from ..definitions.edits import caused_by_edit, check_edit
from ..errors import Conflict, GovflowError, NotFound, Problem
from ..store.publishing import DraftRecord
from .diff import bundle_diff
from .history import RuleHistory
from .impact import Impact, impact

ROLES = ("editor", "reviewer", "publisher", "auditor")
STATUSES = ("editing", "review", "approved", "scheduled", "published", "discarded")
OPEN = ("editing", "review", "approved")
MAX_FILE_BYTES = 256 * 1024
CHECKED_KEPT = 8                 # drafts' checked definitions kept per worker


class Refused(GovflowError):
    """A step the draft's state or the staff member's roles do not allow (code: draft.*)."""

    status = 409


class Forbidden(Refused):
    status = 403


class Invalid(Refused):
    """What the staff member typed cannot be used (a reason missing, a time passed, a file name)."""

    status = 422


@dataclass(frozen=True)
class Checked:
    """The checker's verdict on a draft's files (computed once per set of files), and the
    definitions they load into (None when they do not)."""

    version: str
    problems: tuple[Problem, ...]
    definitions: object = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass(frozen=True)
class Step:
    starts_from: tuple[str, ...]
    role: str
    run: Callable[..., None]


class Workflow:
    def __init__(self, store, bundles):
        self.store = store
        self.bundles = bundles
        self._checked: dict[str, Checked] = {}
        self._changes: dict[tuple, list[dict]] = {}
        self._lock = threading.Lock()
        self.history = RuleHistory(store, bundles)

    # -- reading -------------------------------------------------------------------------
    def get(self, draft_id: int) -> DraftRecord:
        draft = self.store.drafts.get(draft_id)
        if draft is None:
            raise NotFound("draft.unknown", str(draft_id))
        return draft

    def files(self, draft: DraftRecord) -> dict[str, str]:
        return self.bundles.texts(draft.manifest)

    def live_files(self) -> dict[str, str]:
        version = self.bundles.current_version
        return self.bundles.files(version) if version else {}

    def check(self, draft: DraftRecord) -> Checked:
        """The checker's verdict, and rule ids against every published version (publishing/history.py):
        kept per set of files until the next publication."""
        version = manifest_version(draft.manifest)
        key = f"{version}@{self.history.mark()}"
        found = self._checked.get(key)
        if found is None:
            definitions, problems = load_files(self.files(draft))
            if definitions is not None:
                problems += self.history.problems(definitions.rulebook)
            found = Checked(version, tuple(problems), definitions)
            with self._lock:
                while len(self._checked) >= CHECKED_KEPT:
                    self._checked.pop(next(iter(self._checked)))
                self._checked[key] = found
        return found

    def impact(self, draft: DraftRecord) -> Impact | None:
        """The draft's rules replayed on recorded decisions against the live rules (None: it does not load)."""
        definitions = self.check(draft).definitions
        if definitions is None:
            return None
        live = self.bundles.get(self.bundles.current_version)
        return impact(self.store, live.rulebook, definitions.rulebook)   # type: ignore[attr-defined]

    def check_edit(self, draft: DraftRecord, name: str, text: str) -> list[Problem]:
        """The problems of the draft's files with `name` as `text` (not saved): all of that file's,
        and those it causes in other files (not those the draft had there already)."""
        if not allowed(name):
            raise Invalid("draft.bad_file", name)
        problems = check_edit(self.files(draft), name, text.replace("\r\n", "\n"))
        return caused_by_edit(problems, name, list(self.check(draft).problems))

    def changes(self, draft: DraftRecord) -> list[dict]:
        """The draft against the live bundle, file by file, in policy terms (kept per pair of versions)."""
        key = (self.bundles.current_version, manifest_version(draft.manifest))
        found = self._changes.get(key)
        if found is None:
            found = bundle_diff(self.live_files(), self.files(draft))
            with self._lock:
                while len(self._changes) >= CHECKED_KEPT:
                    self._changes.pop(next(iter(self._changes)))
                self._changes[key] = found
        return found

    # -- steps ---------------------------------------------------------------------------
    def create(self, actor: str, roles, reason: str, files: dict[str, str] | None = None,
               action: str = "created") -> DraftRecord:
        """A new draft: a copy of the live bundle, or `files` (an import)."""
        _needs(roles, "editor")
        reason = _reason(reason)
        files = dict(files) if files is not None else self.live_files()
        for name in files:
            if not allowed(name):
                raise Invalid("draft.bad_file", name)
        with self.store.transaction():
            self.bundles.remember_files(files)
            draft = self.store.drafts.create(reason, actor, self.bundles.current_version or "-",
                                            manifest_of(files))
            self.store.drafts.record(draft.id, actor, action, reason, self._summary(draft))
        return draft

    def save_file(self, actor: str, roles, draft_id: int, revision: int, name: str, text: str) -> DraftRecord:
        """One file of the draft, as the editor left it (an empty text removes the file)."""
        _needs(roles, "editor")
        if not allowed(name):
            raise Invalid("draft.bad_file", name)
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise Invalid("draft.file_too_large", name)
        text = text.replace("\r\n", "\n")
        with self.store.transaction():
            draft = self._current(draft_id, revision, OPEN)
            if draft.manifest.get(name) == manifest_of({name: text})[name]:
                return draft
            if text.strip():
                self.bundles.remember_files({name: text})
                draft.manifest[name] = manifest_of({name: text})[name]
            elif draft.manifest.pop(name, None) is None:
                raise NotFound("draft.unknown_file", name)
            reopened = draft.status != "editing"
            draft.status, draft.reviewer = "editing", None
            self.store.drafts.save(draft)
            self.store.drafts.record(draft.id, actor, "edited", None,
                                     {"file": name, "reopened": reopened, **self._summary(draft)})
        return draft

    def act(self, step: str, actor: str, roles, draft_id: int, revision: int, comment: str = "",
            at: datetime | None = None) -> DraftRecord:
        """One step of STEPS on the draft as it was read at `revision`."""
        found = STEPS.get(step)
        if found is None:
            raise NotFound("draft.unknown_step", step)
        _needs(roles, found.role)
        with self.store.transaction():
            draft = self._current(draft_id, revision, found.starts_from)
            found.run(self, draft, actor, comment.strip(), at)
            self.store.drafts.save(draft)
        return draft

    def rollback(self, actor: str, roles, version: str, reason: str) -> None:
        """Publish an earlier bundle again, from now (a new entry in the history)."""
        _needs(roles, "publisher")
        reason = _reason(reason)
        try:
            self.bundles.get(version)
        except LookupError as exc:
            raise Refused("draft.unknown_version", f"{version}: {exc}") from exc
        if version == self.bundles.current_version:
            raise Refused("draft.already_live", version)
        self.store.publications.add(version, None, "rollback", actor, reason)

    # -- the steps' bodies -----------------------------------------------------------------
    def _submit(self, draft: DraftRecord, actor: str, comment: str, _at) -> None:
        checked = self.check(draft)
        if checked.errors:
            raise Refused("draft.has_errors", f"{len(checked.errors)} errors")
        if not self.changes(draft):
            raise Refused("draft.no_changes", str(draft.id))
        draft.status = "review"
        self._record(draft, actor, "submitted", comment)

    def _approve(self, draft: DraftRecord, actor: str, comment: str, _at) -> None:
        if actor in self.writers(draft):
            raise Forbidden("draft.own_review", actor)
        draft.status, draft.reviewer = "approved", actor
        self._record(draft, actor, "approved", comment)

    def _send_back(self, draft: DraftRecord, actor: str, comment: str, _at) -> None:
        if not comment:
            raise Invalid("draft.comment_required", str(draft.id))
        draft.status, draft.reviewer = "editing", None
        self._record(draft, actor, "returned", comment)

    def _publish(self, draft: DraftRecord, actor: str, comment: str, at: datetime | None) -> None:
        now = self.store.now()
        if at is not None and at < now:
            raise Invalid("draft.time_passed", at.isoformat())
        checked = self.check(draft)
        if checked.errors:                       # the code may have changed since the review
            raise Refused("draft.has_errors", f"{len(checked.errors)} errors")
        version = self.bundles.remember(self.files(draft))
        self.history.remember(version, checked.definitions.rulebook)   # type: ignore[attr-defined]
        effective = at or now
        self.store.publications.add(version, effective, "publish", actor, draft.reason, draft.id)
        draft.status = "scheduled" if effective > now else "published"
        draft.publish_at = effective
        self._record(draft, actor, "published", comment, {"version": version, "effective_at": effective.isoformat()})

    def _discard(self, draft: DraftRecord, actor: str, comment: str, _at) -> None:
        draft.status = "discarded"
        self._record(draft, actor, "discarded", comment)

    # -- helpers ---------------------------------------------------------------------------
    def _current(self, draft_id: int, revision: int, statuses: tuple[str, ...]) -> DraftRecord:
        draft = self.get(draft_id)
        if draft.revision != revision:
            raise Conflict("draft.stale", f"draft {draft_id} is at revision {draft.revision}, not {revision}")
        if draft.status not in statuses:
            raise Refused("draft.wrong_status", draft.status)
        return draft

    def writers(self, draft: DraftRecord) -> set[str]:
        """Who wrote the draft: its author and everyone who edited a file of it."""
        return {draft.author} | {e.actor for e in self.store.drafts.events(draft.id) if e.action == "edited"}

    def _summary(self, draft: DraftRecord) -> dict:
        checked = self.check(draft)
        changes = self.changes(draft)
        return {"version": checked.version, "errors": len(checked.errors),
                "warnings": len(checked.problems) - len(checked.errors),
                "changes": [{"file": f["name"], "status": f["status"],
                             "lines": [c.message for c in f["changes"]][:50]} for f in changes]}

    def _record(self, draft: DraftRecord, actor: str, action: str, comment: str, extra: dict | None = None) -> None:
        self.store.drafts.record(draft.id, actor, action, comment or None, {**self._summary(draft), **(extra or {})})


STEPS: dict[str, Step] = {
    "submit": Step(("editing",), "editor", Workflow._submit),
    "approve": Step(("review",), "reviewer", Workflow._approve),
    "return": Step(("review", "approved"), "reviewer", Workflow._send_back),
    "publish": Step(("approved",), "publisher", Workflow._publish),
    "discard": Step(OPEN, "editor", Workflow._discard),
}


def _needs(roles, role: str) -> None:
    if role not in (roles or ()):
        raise Forbidden("draft.role_missing", role)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("draft.reason_required", "")
    return reason[:500]
