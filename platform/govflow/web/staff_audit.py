"""Staff pages: the audit log (GET /staff/events) and its exports (/staff/events.csv, .xlsx).

Who did what, when, from where: logins, searches, reveals, exports, publishing steps, refusals
(store/events.py; never a citizen's personal data). Filters in the URL: `actor`, `action`,
`application` (an application id), `from`/`to` (Beijing dates, both included), `page`; a bad
value is a Chinese error on the page (400). Reading needs `audit.view`; an export (`audit.export`)
has every event the filters find (at most EXPORT_MAX) and is itself an `export` event
(what=events, with the format, the rows and the filters).
"""
from __future__ import annotations

import json
import re

from flask import Response, render_template

from ..cases.export import table_csv, table_xlsx
from ..catalog import has as has_msg
from ..catalog import text as msg
from ..store.events import EventQuery
from .common import journey
from .staff import _event, blueprint
from .staff_cases import download, error, filters_of, linker, parse_page, parse_range, typed, wants_partial
from .staff_roles import require

PER_PAGE = 50
EXPORT_MAX = 50_000
FIELDS = ("actor", "action", "application", "from", "to", "page")
_ACTOR = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_ACTION = re.compile(r"[a-z_.:-]{1,40}")
_APP_ID = re.compile(r"[0-9a-f]{32}")


def parse_events(values: dict) -> tuple[EventQuery | None, int, list[dict]]:
    errors: list[dict] = []
    actor, action, app_id = values["actor"] or None, values["action"] or None, values["application"] or None
    if actor and not _ACTOR.fullmatch(actor):
        errors.append(error("actor", "staff.audit.bad_actor", value=actor))
    if action and not _ACTION.fullmatch(action):
        errors.append(error("action", "staff.audit.bad_action", value=action))
    if app_id and not _APP_ID.fullmatch(app_id):
        errors.append(error("application", "staff.audit.bad_application", value=app_id))
    start, end = parse_range(values, errors)
    page = parse_page(values, errors)
    if errors:
        return None, page, errors
    return EventQuery(actor, action, app_id, start, end), page, []


def action_title(action: str) -> str:
    return msg(f"staff.action.{action}") if has_msg(f"staff.action.{action}") else action


@blueprint.get("/events")
@require("audit.view")
def events():
    store = journey().env.store
    values = typed(FIELDS)
    query, page, errors = parse_events(values)
    found, total = store.staff_events.find(query, (page - 1) * PER_PAGE, PER_PAGE) if query else ([], 0)
    template = "staff/_events_results.html" if wants_partial() else "staff/events.html"
    body = render_template(template, events=found, total=total, page=page, pages=max(1, -(-total // PER_PAGE)),
                           values=values, errors=errors, actions=store.staff_events.actions(),
                           link=linker("staff.events", filters_of(values, without=("page",))),
                           filters=filters_of(values, without=("page",)), has_msg=has_msg, action_title=action_title)
    response = Response(body, status=400 if errors else 200, mimetype="text/html")
    response.headers["Vary"] = "HX-Request"
    return response


COLUMNS = ("at", "actor", "action", "application", "detail", "client")


@blueprint.get("/events.<any(csv, xlsx):fmt>")
@require("audit.export")
def export_events(fmt):
    store = journey().env.store
    values = typed(FIELDS)
    query, _page, errors = parse_events(values)
    if query is None:
        return events.__wrapped__()      # the page with the errors (400)
    found, total = store.staff_events.find(query, 0, EXPORT_MAX)
    columns = [(key, msg(f"staff.events.{key}")) for key in COLUMNS]
    rows = [{"at": e.at, "actor": e.actor, "action": action_title(e.action), "application": e.application_id or "",
             "detail": json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else "",
             "client": e.client or ""} for e in found]
    body = table_csv(columns, rows) if fmt == "csv" else table_xlsx(columns, rows, msg("staff.events.title"))
    _event("export", what="events", format=fmt, rows=len(rows), filters=filters_of(values),
           truncated=total > len(rows))
    return download(body, fmt, "events")
