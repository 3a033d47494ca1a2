"""The Journey: one small class that decides where a citizen may go (after forms-runner's
`Flow::Journey`), one validated step at a time.

Each public method is one step on a Draft: it changes the draft in memory and saves every
application it touched once, at its end. The caller runs the step inside one store
transaction (`Store.transaction()`), so the step's reads, decision rows, upload bookkeeping
and saves commit together or not at all. The Journey knows nothing about HTTP: the HTML and
API renderers both call these methods and interpret the StepResult.
"""
from __future__ import annotations

import functools
from threading import Lock

from .. import catalog
from ..connectors.runtime import LookupFailed
from ..definitions.model import ActionDef, FlowDef, PageDef
from ..errors import NotFound, Unavailable
from ..store.retention import Retention
from . import audit, entries, identity, invalidation, submission, uploads
from .draft import Draft
from .navigation import Destination, frontier, resolve
from .results import Popup, Status, StepResult
from .validation import check_entry, validate_page


def _under_draft_definitions(method):
    """A step runs under the definitions its draft started with: called on another bundle's
    Journey, the method is run by the draft's own."""
    @functools.wraps(method)
    def run(self, draft, *args, **kwargs):
        if draft.journey is not self:
            return method(draft.journey, draft, *args, **kwargs)
        return method(self, draft, *args, **kwargs)
    return run


class FlowError(NotFound):
    """A request the flow does not allow (unknown flow, page or action); `code` is stable."""


class Journey:
    """Bound to one bundle of definitions; `bound(app)` gives the journey of the bundle an
    application started under (pinned versions), `adopt()` switches new applications over."""

    def __init__(self, env, bundles=None):
        self.env = env
        self.bundles = bundles
        self._bound: dict[str, "Journey"] = {}
        self._lock = Lock()
        self.deliverer = None            # journey/delivery.py Deliverer: set by the app factory
        self.deliver_inline = True       # try the outbox entry of a submission right after its commit
        self.retention = Retention()     # store/retention.py periods: set from the environment by the app factory

    def bound(self, app) -> "Journey":
        version = app.context.get("bundle")
        if self.bundles is None or not version or version == self.env.bundle:
            return self
        journey = self._bound.get(version)
        if journey is None:
            with self._lock:
                journey = self._bound.get(version)
                if journey is None:
                    try:
                        definitions = self.bundles.get(version)
                    except LookupError as exc:
                        raise Unavailable("definitions.unavailable", str(exc)) from exc
                    journey = Journey(self.env.with_definitions(definitions, version), self.bundles)
                    self._bound[version] = journey
        return journey

    def adopt(self, definitions, version: str) -> None:
        """New applications start under these definitions; drafts keep theirs."""
        with self._lock:
            old = self.env
            self._bound[old.bundle] = Journey(old, self.bundles)
            self.env = old.with_definitions(definitions, version)

    # -- lookups -------------------------------------------------------------------------
    def flow(self, flow_id: str) -> FlowDef:
        flow = self.env.flows.get(flow_id)
        if flow is None:
            raise FlowError("flow.unknown", flow_id)
        return flow

    def draft(self, app) -> Draft:
        """The application with its flow and facts, under the definitions it started with."""
        return Draft(self.bound(app), app)

    @_under_draft_definitions
    def can_open(self, draft: Draft, page_id: str) -> bool:
        page = draft.flow.pages.get(page_id)
        if page is None:
            return False
        if page.final:
            return draft.current == page_id
        if draft.app.status != "draft":
            return False
        return page_id in draft.trail

    # -- applications ----------------------------------------------------------------------
    def create(self, flow_id: str, owner: str, parent: Draft | None = None) -> Draft:
        flow = self.flow(flow_id)
        context = {"page": flow.start, "bundle": self.env.bundle}
        if parent is not None:
            looked_up = parent.app.context.get(identity.LOOKED_UP) or []
            for key in ("identity", identity.VERIFIED_ROLE, *identity.SUBJECT_KEYS, *looked_up):
                if key in parent.app.context:
                    context[key] = parent.app.context[key]
        app = self.env.store.applications.create(
            flow_id=flow.id, owner=owner, flow_version=flow.version,
            rule_versions=self.env.rulebook.versions(), parent_id=parent.app.id if parent else None,
            context=context, person_key=parent.app.person_key if parent else None)
        draft = Draft(self, app)
        if parent is not None:
            parent.related.append(draft)
        return draft

    def save(self, draft: Draft) -> None:
        """Save the draft and the drafts its step touched, each once, if they changed."""
        for d in [draft, *draft.related]:
            if d.dirty:
                self.env.store.applications.save(d.app)
                d.dirty = False

    @_under_draft_definitions
    def open(self, draft: Draft, page_id: str) -> StepResult:
        """Where to show the citizen who asks for `page_id` (a locked page sends them onward)."""
        if page_id not in draft.flow.pages:
            raise FlowError("flow.unknown_page", page_id)
        if self.can_open(draft, page_id):
            return StepResult(Status.OK, draft, page_id)
        if draft.app.status != "draft":
            return StepResult(Status.LOCKED, draft, draft.current, [catalog.problem("flow.not_draft")])
        return StepResult(Status.LOCKED, draft, frontier(draft), [catalog.problem("flow.page_locked")])

    def settle(self, result: StepResult) -> StepResult:
        """After a submitting step has committed: deliver its outbox entry at once, so the
        citizen usually sees the outcome straight away; still PROCESSING when the back end
        could not answer now (the outbox worker tries again) or another worker is delivering it."""
        if result.status != Status.PROCESSING or self.deliverer is None or not self.deliver_inline:
            return result
        store = self.env.store
        app_id = result.application.id
        for entry in store.outbox.for_application(app_id):
            if entry.open:
                self.deliverer.deliver(entry.id)
        app = store.applications.get(app_id)
        if app is None:
            return result
        draft = self.draft(app)
        status = {"submitted": Status.SUBMITTED, "processing": Status.PROCESSING}.get(app.status, Status.FAILED)
        return StepResult(status, draft, draft.current)

    # -- actions ---------------------------------------------------------------------------
    @_under_draft_definitions
    def act(self, draft: Draft, page_id: str, action_id: str, data: dict, from_form: bool = False,
            return_to: str | None = None) -> StepResult:
        result = self._act(draft, page_id, action_id, data, from_form, return_to)
        self.env.store.case_steps.record(draft.app.id, page_id, action_id, result.status.value,
                                         result.page if result.draft is draft else None)
        self.save(draft)
        return result

    def _act(self, draft: Draft, page_id: str, action_id: str, data: dict, from_form: bool,
             return_to: str | None) -> StepResult:
        flow = draft.flow
        page = flow.pages.get(page_id)
        action = page.action(action_id) if page else None
        if page is None or action is None:
            raise FlowError("flow.unknown_action", f"{page_id}/{action_id}")
        if action.submit and draft.app.status in ("processing", "submitted"):
            return submission.submit(self, draft, page, action)   # a double click: the same answer again
        opened = self.open(draft, page_id)
        if opened.status != Status.OK:
            return opened
        if action.navigate is not None:
            return self.go(draft, resolve(action.navigate, draft.facts))
        if action.submit:
            if page.inputs and not action.skip_validation:     # the submitting page's own answers first
                stopped = self._validate(draft, page, action, data, from_form)
                if stopped is not None:
                    return stopped
            return submission.submit(self, draft, page, action)
        if not action.skip_validation:
            stopped = self._validate(draft, page, action, data, from_form)
            if stopped is not None:
                return stopped
        if action.verify_identity and not identity.verified_as(draft, action.verify_identity):
            return identity.start(self, draft, page, action)
        return self.complete_step(draft, page, action, return_to)

    def _validate(self, draft: Draft, page: PageDef, action: ActionDef, data: dict,
                  from_form: bool) -> StepResult | None:
        """The page's checks; the answers that pass are kept. A StepResult when the step stops here."""
        flow = draft.flow
        kept = identity.keep_subject(draft)
        if identity.reads_subject(flow, page, self.env.connectors.subject_prefixes) \
                or "relation" not in draft.app.context:
            try:
                identity.refresh_subject(self.env, draft, data)
            except LookupFailed:
                identity.restore_subject(draft, kept)
                return identity.unavailable(draft, page.id, data)
        check = validate_page(self.env, flow, page, data, draft, from_form)
        audit.record(self.env, draft, check.evaluations, f"{page.id}.{action.id}", check.facts)
        if draft.app.context.get("redirect") and not (check.popup and check.popup.kind == "redirect"):
            draft.app.context.pop("redirect")      # a popup's 【确认】 holds only right after its step
            draft.changed()
        if check.problems:
            identity.restore_subject(draft, kept)
            return StepResult(Status.INVALID, draft, page.id, check.problems, values=data, check=check)
        # valid answers are kept, also when a rule refuses or sends the citizen elsewhere; the
        # page is not done then (the pages after it open only once it passes)
        invalidation.store_answers(self.env, draft, page, check)
        if check.popup:
            draft.reopen(page.id)
            if check.popup.kind == "redirect":
                draft.app.context["redirect"] = check.popup.as_dict()
                draft.changed()
                return StepResult(Status.REDIRECT, draft, page.id, popup=check.popup, values=data, check=check)
            return StepResult(Status.REFUSED, draft, page.id, popup=check.popup, values=data, check=check)
        return None

    def complete_step(self, draft: Draft, page: PageDef, action: ActionDef, return_to=None) -> StepResult:
        draft.mark_done(page.id, action.id)
        invalidation.recheck_changed(self.env, draft, page.id)
        if return_to and return_to in draft.trail:
            dest: Destination | None = Destination(page=return_to)
        else:
            dest = resolve(action.next, draft.facts) if action.next else None
        result = self.go(draft, dest)
        if result.status == Status.REFUSED and result.draft is draft:
            draft.reopen(page.id)     # kept out by the next page's entry check: not done
        return result

    def go(self, draft: Draft, dest: Destination | None) -> StepResult:
        """Move to `dest`, running the destination's entry checks (a refusal keeps the citizen here)."""
        flow, app = draft.flow, draft.app
        if dest is None:
            return StepResult(Status.OK, draft, draft.current)
        if dest.parent:
            parent_app = self.env.store.applications.get(app.parent_id) if app.parent_id else None
            if parent_app is None:
                raise FlowError("flow.no_parent", app.id)
            parent = self.draft(parent_app)
            draft.related.append(parent)
            try:
                identity.refresh_subject(parent.env, parent)
            except LookupFailed:
                return identity.unavailable(draft, draft.current)
            return parent.journey.go(parent, Destination(page=dest.parent))
        if dest.flow:
            child = self.create(dest.flow, app.owner, parent=draft)
            target = dest.page or child.flow.start
            self._carry_answers(draft, child, target)
            return self.go(child, Destination(page=target))
        page = flow.pages.get(dest.page or "")
        if page is None:
            raise FlowError("flow.unknown_page", str(dest.page))
        if app.status != "draft" and not page.final:
            fresh = self.create(flow.id, app.owner)
            draft.related.append(fresh)
            return StepResult(Status.OK, fresh, fresh.current)
        if page.on_enter:
            try:
                identity.refresh_subject(self.env, draft)
            except LookupFailed:
                return identity.unavailable(draft, draft.current)
            popup, evaluations = check_entry(self.env, page, draft)
            audit.record(self.env, draft, evaluations, f"{page.id}.on_enter", draft.facts)
            if popup:
                return StepResult(Status.REFUSED, draft, draft.current, popup=popup)
        if not page.final and not self.can_open(draft, page.id):
            page = flow.pages[frontier(draft)]
        draft.move_to(page.id)
        return StepResult(Status.OK, draft, page.id)

    def _carry_answers(self, source: Draft, draft: Draft, target: str) -> None:
        """Entering another flow part-way (本人申领 -> 申领资格校验): the pages before `target` are
        completed with the answers already given under the same field names, if they pass."""
        given = source.answers
        while True:
            page = draft.flow.pages[draft.trail[-1]]
            if page.id == target or page.id in draft.app.done:
                break
            data = {f.name: given[f.name] for f in page.input_fields() if f.name in given}
            check = validate_page(self.env, draft.flow, page, data, draft)
            action = next((a for a in page.actions if a.next is not None), None)
            if not check.ok or action is None:
                break
            invalidation.store_answers(self.env, draft, page, check)
            draft.mark_done(page.id, action.id)

    @_under_draft_definitions
    def follow_redirect(self, draft: Draft) -> StepResult:
        """The popup's 【确认】: open (or reopen) the linked flow the rule pointed to."""
        spec = draft.app.context.get("redirect")
        if not spec:
            raise FlowError("flow.no_redirect", draft.app.id)
        popup = Popup.from_dict(spec)
        for other in self.env.store.applications.list_for_owner(draft.app.owner):
            if other.parent_id == draft.app.id and other.flow_id == popup.flow and other.status == "draft":
                linked = self.draft(other)
                return StepResult(Status.OK, linked, linked.current)
        result = self.go(draft, Destination(flow=popup.flow, page=popup.page))
        self.save(draft)
        return result

    @_under_draft_definitions
    @_under_draft_definitions
    def accept_upload(self, draft: Draft, slot: str, data: bytes, page_id: str | None = None):
        """A file for upload field `slot` (of `page_id` when a page posted it): an Upload, or a
        Refusal with the reason (journey/uploads.py); an answer naming the replaced file is kept."""
        saved = uploads.accept(self, draft, slot, data, page_id)
        self.save(draft)
        return saved

    def remove_upload(self, draft: Draft, upload_id: str) -> bool:
        """The X on an uploaded image: the file goes, and so does every answer that pointed at it."""
        removed = self.env.store.uploads.delete(draft.app.id, upload_id)
        changed = draft.dirty
        for page_id, answers in draft.app.answers.items():
            for name in [n for n, v in answers.items() if v == upload_id]:
                del answers[name]
                draft.reopen(page_id)
                draft.changed()
        if entries.repoint(draft.app, {upload_id}, None) and not changed and not draft.dirty:
            entries.count_save(draft.app)         # only a page's entries named it: not a change of answers
            draft.dirty = True
        self.save(draft)
        return removed

    @_under_draft_definitions
    def complete_verification(self, draft: Draft, token: str) -> StepResult:
        result = identity.complete(self, draft, token)
        self.save(draft)
        return result

    @_under_draft_definitions
    def send_code(self, draft: Draft, page_id: str, field_name: str, phone: str | None,
                  client: str | None = None, per_client: int | None = None) -> StepResult:
        return identity.send_code(self, draft, page_id, field_name, phone, client, per_client)
