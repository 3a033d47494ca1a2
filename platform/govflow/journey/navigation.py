"""Which pages a citizen may open, and where an action leads.

The trail is recomputed from the answers: start at the flow's start page, follow the action
each completed page was left by, stop at the first page not done. Pages cannot be skipped
because only pages on the trail can be opened or posted.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..definitions.model import ActionDef, FlowDef, Target
from ..rules import holds


@dataclass(frozen=True)
class Destination:
    page: str | None = None     # a page of the same flow
    flow: str | None = None     # another flow (a new linked application)
    parent: str | None = None   # a page of the application this one was launched from


def resolve(target: Target, facts) -> Destination | None:
    if target.flow:
        return Destination(flow=target.flow, page=target.page)
    if target.parent:
        return Destination(parent=target.parent)
    if target.branches:
        for branch in target.branches:
            if holds(branch.condition, facts):
                return Destination(page=branch.page)
        return None
    return Destination(page=target.page)


def leaving_action(flow: FlowDef, page_id: str, app) -> ActionDef | None:
    page = flow.pages[page_id]
    via = (app.context.get("via") or {}).get(page_id)
    action = page.action(via) if via else None
    return action or next((a for a in page.actions if a.next is not None), None)


def trail(draft) -> list[str]:
    """Pages open to the citizen, in order; the last one is where they are expected to continue."""
    flow, app = draft.flow, draft.app
    pages: list[str] = []
    page_id: str | None = flow.start
    done = set(app.done)
    while page_id and page_id not in pages and page_id in flow.pages:
        pages.append(page_id)
        if page_id not in done:
            break
        action = leaving_action(flow, page_id, app)
        dest = resolve(action.next, draft.facts) if action and action.next else None
        if dest is None or dest.page is None or dest.flow or dest.parent:
            break
        if flow.pages[dest.page].final:
            break
        page_id = dest.page
    return pages


def frontier(draft) -> str:
    """The first page on the trail that is not done yet (or the last page of the trail)."""
    pages = draft.trail
    for page_id in pages:
        if page_id not in draft.app.done:
            return page_id
    return pages[-1]
