"""Staff pages: the case list (GET /staff/applications) and its exports (/staff/applications.csv, .xlsx).

Search (`q`: 受理编号, application id, ID number or full name, found through the keyed hashes:
store/cases.py), filters (`flow`, `status`, `from`/`to` Beijing dates, `rule`, `outcome`), sorting
(`sort`) and paging (`page`, `per_page` 20/50/100), all in the URL. The form is a plain GET form;
with htmx it asks for the results only (hx-get, hx-target, hx-push-url), and the answer to a
request with `HX-Request` is that partial. A bad value is an error on the page (400) that names
it in Chinese, every field keeping what was typed: never a 500.

A search is an audit event (`search`: the kind of text, e.g. {"by": "id_number", "hits": 1},
never the text), and so is every export (`export`: what, format, rows, the filters without `q`).
An export has the current filters and every row they find (at most EXPORT_MAX); the subject's
name and ID number are masked unless the staff member has `cases.export_personal` and gives a
reason (REASON_MIN–REASON_MAX characters), which the event records.
"""
from __future__ import annotations

import re
from datetime import date

from flask import Response, render_template, request, url_for

from ..cases.export import table_csv, table_xlsx
from ..catalog import text as msg
from ..formats import mask_id, mask_name
from ..store.cases import OUTCOMES, PER_PAGE, RULE_ID, SORTS, CaseQuery, all_cases, find_cases, query_kind
from ..store.records import STATUSES
from .common import journey
from .staff import _event, blueprint
from .staff_roles import REASON_MAX, REASON_MIN, can, reason_ok, refuse, require, stated_reason

EXPORT_MAX = 10_000
FIELDS = ("q", "flow", "status", "from", "to", "rule", "outcome", "sort", "page", "per_page")
TYPED_MAX = 100
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d{1,6}")
MIMETYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@blueprint.context_processor
def _can():
    return {"can": can}


def typed(names) -> dict[str, str]:
    """The query's values as typed (trimmed, cut to TYPED_MAX characters, control characters gone)."""
    out = {}
    for name in names:
        value = request.args.get(name, "")
        out[name] = "".join(ch for ch in value if ch.isprintable()).strip()[:TYPED_MAX]
    return out


def error(field: str, key: str, **values) -> dict:
    """An error as data: the code, the parameter and the Chinese message."""
    return {"code": key, "field": field, "message": msg(key, **values)}


def parse_date(values: dict, field: str, errors: list) -> date | None:
    text = values.get(field, "")
    if not text:
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        errors.append(error(field, "staff.list.bad_date", which=msg(f"staff.dash.{field}"), value=text))
        return None


def parse_range(values: dict, errors: list) -> tuple[date | None, date | None]:
    start, end = parse_date(values, "from", errors), parse_date(values, "to", errors)
    if start and end and start > end:
        errors.append(error("to", "staff.dash.bad_range"))
    return start, end


def parse_page(values: dict, errors: list) -> int:
    text = values.get("page", "")
    if not text:
        return 1
    if not _NUMBER.fullmatch(text) or int(text) < 1:
        errors.append(error("page", "staff.list.bad_page", value=text))
        return 1
    return int(text)


def parse_cases(values: dict, flows) -> tuple[CaseQuery | None, list[dict]]:
    """The case query of the typed values, or None and the errors."""
    errors: list[dict] = []
    flow, status, rule, outcome = (values[n] or None for n in ("flow", "status", "rule", "outcome"))
    if flow and flow not in flows:
        errors.append(error("flow", "staff.dash.unknown_flow", value=flow))
    if status and status not in STATUSES:
        errors.append(error("status", "staff.cases.bad_status", value=status))
    if rule and not RULE_ID.fullmatch(rule):
        errors.append(error("rule", "staff.cases.bad_rule", value=rule))
    if outcome and outcome not in OUTCOMES:
        errors.append(error("outcome", "staff.cases.bad_outcome", value=outcome))
    sort = values["sort"] or "created_desc"
    if sort not in SORTS:
        errors.append(error("sort", "staff.cases.bad_sort", value=sort))
    per_page = values["per_page"] or str(PER_PAGE[0])
    if per_page not in {str(n) for n in PER_PAGE}:
        errors.append(error("per_page", "staff.list.bad_per_page", value=per_page,
                            allowed="、".join(map(str, PER_PAGE))))
    start, end = parse_range(values, errors)
    page = parse_page(values, errors)
    if errors:
        return None, errors
    return CaseQuery(q=values["q"], flow=flow, status=status, start=start, end=end, rule=rule, outcome=outcome,
                     sort=sort, page=page, per_page=int(per_page)), []


def filters_of(values: dict, without=("q", "page")) -> dict:
    """The filters given (for links and the audit event), without `q` and the page."""
    return {k: v for k, v in values.items() if v and k not in without}


def linker(endpoint: str, filters: dict):
    """url(**changes): the URL of `endpoint` with the current filters, changed (None or "" removes one)."""
    def url(**changes) -> str:
        merged = {**filters, **changes}
        return url_for(endpoint, **{k: v for k, v in merged.items() if v not in (None, "")})
    return url


def wants_partial() -> bool:
    """An htmx request for the results only (a history restore wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _page(values: dict, errors: list[dict], found, partial: bool = False) -> Response:
    env = journey().env
    template = "staff/_applications_results.html" if partial else "staff/applications.html"
    filters = filters_of(values, without=("page",))
    body = render_template(template, values=values, errors=errors, found=found, flows=env.flows, statuses=STATUSES,
                           outcomes=OUTCOMES, sorts=list(SORTS), per_pages=PER_PAGE, filters=filters,
                           link=linker("staff.applications", filters), reason_limits=(REASON_MIN, REASON_MAX),
                           rule_ids=sorted({(r.id, r.title) for rs in env.rulebook.rulesets.values()
                                            for r in rs.rules}))
    response = Response(body, status=400 if errors else 200, mimetype="text/html")
    response.headers["Vary"] = "HX-Request"
    return response


@blueprint.get("/applications")
@require("cases.view")
def applications():
    env = journey().env
    values = typed(FIELDS)
    query, errors = parse_cases(values, env.flows)
    found = find_cases(env.store, query) if query is not None else None
    if query is not None and query.text and found is not None:
        _event("search", what="applications", by=search_kind(query.text, found.rows), hits=found.total)
    return _page(values, errors, found, partial=wants_partial())


def search_kind(text: str, rows) -> str | None:
    """What the search text was, for the audit event: what it matched on the page, else its shape."""
    text = text.strip()
    if any(a.reference == text for a in rows):
        return "reference"
    if any(a.id == text for a in rows):
        return "id"
    return query_kind(text)


def _subject(app) -> tuple[str, str]:
    """The subject's name and ID number (the child of a minor's application, else the verified person)."""
    context = app.context or {}
    person = context.get("subject_person") or context.get("identity") or {}
    return str(person.get("name") or ""), str(person.get("id_number") or context.get("subject") or "")


def _columns(personal: bool) -> list[tuple[str, str]]:
    keys = ["reference", "id", "flow", "flow_title", "status", "created_at", "updated_at", "flow_version",
            "bundle", "submit_attempts", "subject_name", "subject_id_number"]
    return [(k, msg(f"staff.cases.col.{k}") + ("" if personal or not k.startswith("subject_")
                                                 else msg("staff.cases.col.masked"))) for k in keys]


def _rows(apps, flows, personal: bool) -> list[dict]:
    out = []
    for a in apps:
        name, number = _subject(a)
        flow = flows.get(a.flow_id)
        out.append({"reference": a.reference or "", "id": a.id, "flow": a.flow_id,
                    "flow_title": flow.title if flow is not None else "", "status": msg(f"staff.status.{a.status}"),
                    "created_at": a.created_at, "updated_at": a.updated_at, "flow_version": a.flow_version,
                    "bundle": (a.context or {}).get("bundle") or "", "submit_attempts": a.submit_attempts,
                    "subject_name": name if personal else mask_name(name) if name else "",
                    "subject_id_number": number if personal else mask_id(number) if number else ""})
    return out


def export_reason(errors: list) -> tuple[bool, str]:
    """(personal data asked for, the reason): the reason checked when it is."""
    personal = request.values.get("personal", "") in ("1", "on", "true")
    reason = stated_reason()
    if personal and not reason_ok(reason):
        errors.append(error("reason", "staff.cases.export_reason", min=REASON_MIN, max=REASON_MAX))
    return personal, reason


def download(body: bytes, fmt: str, name: str) -> Response:
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename={name}.{fmt}"
    return response


@blueprint.route("/applications.<any(csv, xlsx):fmt>", methods=["GET", "POST"])
@require("cases.export")
def export_applications(fmt):
    """The list with the current filters as CSV or XLSX (every page, at most EXPORT_MAX rows)."""
    env = journey().env
    values = typed(FIELDS)
    query, errors = parse_cases(values, env.flows)
    personal, reason = export_reason(errors)
    if personal and not can("cases.export_personal"):
        return refuse("cases.export_personal")
    if errors or query is None:
        return _page(values, errors, None)
    apps, more = all_cases(env.store, query, EXPORT_MAX)
    if more:
        return _page(values, [error("q", "staff.cases.export_too_many", max=EXPORT_MAX)], None)
    columns, rows = _columns(personal), _rows(apps, env.flows, personal)
    body = table_csv(columns, rows) if fmt == "csv" else table_xlsx(columns, rows, msg("staff.apps.title"))
    detail = {"what": "applications", "format": fmt, "rows": len(rows), "filters": filters_of(values),
              "personal": personal}
    if query.text:
        detail["by"] = search_kind(query.text, apps)
    if personal:
        detail["reason"] = reason
    _event("export", **detail)
    return download(body, fmt, "applications")
