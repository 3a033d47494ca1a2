"""The journey engine: applications move through a flow's pages, one validated step at a time.

Every step is saved in its own transaction (store.applications.save). The engine knows
nothing about HTTP: the HTML and API renderers both call these methods.
"""
from __future__ import annotations

from ..definitions.model import FlowDef
from ..errors import Problem
from . import audit, identity, invalidation, messages, submission
from .facts import build_facts, flat_answers
from .navigation import Destination, frontier, resolve, trail
from .results import StepResult
from .validation import check_entry, validate_page


class FlowError(Exception):
    """A request the flow does not allow (unknown page or action); `code` is stable."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        super().__init__(detail or code)


class Engine:
    """Bound to one bundle of definitions; `bound(app)` gives the engine of the bundle an
    application started under (pinned versions), `adopt()` switches new applications over."""

    def __init__(self, env, bundles=None):
        self.env = env
        self.bundles = bundles
        self._bound: dict[str, "Engine"] = {}

    def bound(self, app) -> "Engine":
        version = app.context.get("bundle")
        if self.bundles is None or not version or version == self.env.bundle:
            return self
        if version not in self._bound:
            env = self.env.with_definitions(self.bundles.get(version), version)
            self._bound[version] = Engine(env, self.bundles)
        return self._bound[version]

    def adopt(self, definitions, version: str) -> None:
        """New applications start under these definitions; drafts keep theirs."""
        old = self.env
        self._bound[old.bundle] = Engine(old, self.bundles)
        self.env = old.with_definitions(definitions, version)

    # -- lookups -------------------------------------------------------------------------
    def flow(self, flow_id: str) -> FlowDef:
        flow = self.env.flows.get(flow_id)
        if flow is None:
            raise FlowError("flow.unknown", flow_id)
        return flow

    def flow_of(self, app) -> FlowDef:
        return self.flow(app.flow_id)

    def facts(self, app, flow: FlowDef | None = None) -> dict:
        flow = flow or self.flow_of(app)
        return build_facts(flow, app.context, flat_answers(app.answers), self.env.today())

    def trail(self, app) -> list[str]:
        return trail(self.flow_of(app), app, self.facts(app))

    def current(self, app) -> str:
        return app.context.get("page") or self.flow_of(app).start

    def can_open(self, app, page_id: str) -> bool:
        flow = self.flow_of(app)
        page = flow.page(page_id)
        if page is None:
            return False
        if page.final:
            return self.current(app) == page_id
        if app.status != "draft":
            return False
        return page_id in self.trail(app)

    # -- applications ----------------------------------------------------------------------
    def create(self, flow_id: str, owner: str, parent=None):
        flow = self.flow(flow_id)
        context = {"page": flow.start, "bundle": self.env.bundle}
        if parent is not None:
            for key in ("identity", "registry", "subject"):
                if key in parent.context:
                    context[key] = parent.context[key]
        return self.env.store.applications.create(
            flow_id=flow.id, owner=owner, flow_version=flow.version,
            rule_versions=self.env.rulebook.versions(), parent_id=parent.id if parent else None, context=context)

    def save(self, app):
        return self.env.store.applications.save(app)

    def open(self, app, page_id: str) -> StepResult:
        """Where to show the citizen who asks for `page_id` (a locked page sends them onward)."""
        flow = self.flow_of(app)
        if flow.page(page_id) is None:
            raise FlowError("flow.unknown_page", page_id)
        if self.can_open(app, page_id):
            return StepResult("ok", app, page_id)
        if app.status != "draft":
            return StepResult("locked", app, self.current(app),
                              [Problem("flow.not_draft", "", messages.text("flow.not_draft"))])
        return StepResult("locked", app, frontier(flow, app, self.facts(app, flow)),
                          [Problem("flow.page_locked", "", messages.text("flow.page_locked"))])

    # -- actions ---------------------------------------------------------------------------
    def act(self, app, page_id: str, action_id: str, data: dict, from_form: bool = False,
            return_to: str | None = None) -> StepResult:
        flow = self.flow_of(app)
        page = flow.page(page_id)
        action = page.action(action_id) if page else None
        if action is None:
            raise FlowError("flow.unknown_action", f"{page_id}/{action_id}")
        opened = self.open(app, page_id)
        if opened.status != "ok":
            return opened
        if action.navigate is not None:
            return self.go(app, flow, resolve(action.navigate, self.facts(app, flow)))
        if action.submit:
            return submission.submit(self, app, flow, page, action)
        if not action.skip_validation:
            identity.refresh_registry(self.env, app, data)
            check = validate_page(self.env, flow, page, data, app, from_form)
            audit.record(self.env, app, flow, check.evaluations, f"{page.id}.{action.id}")
            if check.problems:
                return StepResult("invalid", app, page.id, check.problems, values=data)
            if check.popup:
                # refused or sent elsewhere, but the answers were valid: keep them (not done)
                invalidation.store_answers(self.env, app, flow, page, check)
                if check.popup["kind"] == "redirect":
                    app.context["redirect"] = check.popup
                self.save(app)
                status = "redirect" if check.popup["kind"] == "redirect" else "refused"
                return StepResult(status, app, page.id, popup=check.popup, values=data)
            invalidation.store_answers(self.env, app, flow, page, check)
        if action.verify_identity:
            return identity.start(self, app, flow, page, action)
        return self.complete_step(app, flow, page, action, return_to)

    def complete_step(self, app, flow, page, action, return_to=None) -> StepResult:
        if page.id not in app.done:
            app.done.append(page.id)
        app.context.setdefault("via", {})[page.id] = action.id
        invalidation.recheck_later_pages(self, app, flow, page.id)
        facts = self.facts(app, flow)
        if return_to and return_to in trail(flow, app, facts):
            dest = Destination(page=return_to)
        else:
            dest = resolve(action.next, facts)
        result = self.go(app, flow, dest)
        if result.status == "refused" and result.application is app:
            app.done.remove(page.id)     # kept out by the next page's entry check: not done
            self.save(app)
        return result

    def go(self, app, flow, dest: Destination | None) -> StepResult:
        """Move to `dest`, running the destination's entry checks (a refusal keeps the citizen here)."""
        if dest is None:
            return StepResult("ok", app, self.current(app))
        if dest.parent:
            parent = self.env.store.applications.get(app.parent_id) if app.parent_id else None
            if parent is None:
                raise FlowError("flow.no_parent", app.id)
            owner = self.bound(parent)
            identity.refresh_registry(owner.env, parent)
            return owner.go(parent, owner.flow_of(parent), Destination(page=dest.parent))
        if dest.flow:
            child = self.create(dest.flow, app.owner, parent=app)
            child_flow = self.flow(dest.flow)
            target = dest.page or child_flow.start
            self._carry_answers(app, child, child_flow, target)
            return self.go(child, child_flow, Destination(page=target))
        page = flow.page(dest.page)
        if app.status != "draft" and not page.final:
            fresh = self.create(flow.id, app.owner)
            return StepResult("ok", fresh, fresh.context["page"])
        if page.on_enter:
            identity.refresh_registry(self.env, app)
            popup, evaluations = check_entry(self.env, flow, page, app)
            audit.record(self.env, app, flow, evaluations, f"{page.id}.on_enter")
            if popup:
                self.save(app)
                return StepResult("refused", app, self.current(app), popup=popup)
        if not page.final and not self.can_open(app, page.id):
            page = flow.page(frontier(flow, app, self.facts(app, flow)))
        app.context["page"] = page.id
        self.save(app)
        return StepResult("ok", app, page.id)

    def _carry_answers(self, source, app, flow, target: str) -> None:
        """Entering another flow part-way (本人申领 -> 申领资格校验): the pages before `target` are
        completed with the answers already given under the same field names, if they pass."""
        given = flat_answers(source.answers)
        while True:
            pages = trail(flow, app, self.facts(app, flow))
            page = flow.page(pages[-1])
            if page.id == target or page.id in app.done:
                break
            data = {f.name: given[f.name] for f in page.input_fields() if f.name in given}
            check = validate_page(self.env, flow, page, data, app)
            action = next((a for a in page.actions if a.next is not None), None)
            if not check.ok or action is None:
                break
            invalidation.store_answers(self.env, app, flow, page, check)
            app.done.append(page.id)
            app.context.setdefault("via", {})[page.id] = action.id
        self.save(app)

    def follow_redirect(self, app) -> StepResult:
        """The popup's 【确认】: open (or reopen) the linked flow the rule pointed to."""
        popup = app.context.get("redirect")
        if not popup:
            raise FlowError("flow.no_redirect", app.id)
        for other in self.env.store.applications.list_for_owner(app.owner):
            if other.parent_id == app.id and other.flow_id == popup["flow"] and other.status == "draft":
                return StepResult("ok", other, self.current(other))
        return self.go(app, self.flow_of(app), Destination(flow=popup["flow"], page=popup.get("page")))

    def remove_upload(self, app, upload_id: str) -> bool:
        """The X on an uploaded image: the file goes, and so does every answer that pointed at it."""
        removed = self.env.store.uploads.delete(app.id, upload_id)
        for page_id, answers in app.answers.items():
            for name in [n for n, v in answers.items() if v == upload_id]:
                del answers[name]
                if page_id in app.done:
                    app.done.remove(page_id)
        self.save(app)
        return removed

    def complete_verification(self, app, token: str) -> StepResult:
        return identity.complete(self, app, token)

    def send_code(self, app, page_id: str, field_name: str, phone: str | None):
        return identity.send_code(self, app, page_id, field_name, phone)
