"""Moving open drafts of citizens onto the live bundle, when a publisher asks for it.

A draft stays on the bundle it started under; after a publication, a publisher may move the open
drafts whose answers still hold under the new one: every page the citizen completed must exist in
the new flow and pass its checks and rule sets again with the saved answers (an SMS code already
used is not asked again), and the page the citizen stands on must exist. Those that pass get the
live bundle's versions (flow, rule sets) and go on under it; the others are left as they were,
with the reason counted. Each draft is moved in its own transaction, under the row's lock.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..journey.draft import Draft
from ..journey.validation import validate_page


@dataclass
class Migration:
    version: str
    moved: int = 0
    already: int = 0
    kept: Counter = field(default_factory=Counter)     # reason code -> drafts left on their version


def _why_not(journey, app) -> str | None:
    """None when the draft's answers hold under the journey's (live) definitions, else a reason code."""
    env = journey.env
    flow = env.flows.get(app.flow_id)
    if flow is None:
        return "migrate.flow_removed"
    if app.context.get("page") and app.context["page"] not in flow.pages:
        return "migrate.page_removed"
    draft = Draft(journey, app)
    for page_id in app.done:
        page = flow.pages.get(page_id)
        if page is None:
            return "migrate.page_removed"
        if page.final or not (page.input_fields() or page.checks):
            continue
        check = validate_page(env, flow, page, app.answers.get(page_id, {}), draft, verify_sms=False)
        if not check.ok:
            return "migrate.answers_invalid"
    return None


def migrate(journey) -> Migration:
    """Move every open draft that still validates onto the journey's current (live) bundle."""
    env, store = journey.env, journey.env.store
    result = Migration(env.bundle)
    for app_id in store.applications.open_ids():
        with store.transaction():
            app = store.applications.get(app_id, lock=True)
            if app is None or app.status != "draft":
                continue
            if app.context.get("bundle") == env.bundle:
                result.already += 1
                continue
            reason = _why_not(journey, app)
            if reason is not None:
                result.kept[reason] += 1
                continue
            app.context = {**app.context, "bundle": env.bundle}
            app.flow_version = env.flows[app.flow_id].version
            app.rule_versions = env.rulebook.versions()
            store.applications.save(app)        # under the row's lock: no step can come in between
        result.moved += 1
    return result
