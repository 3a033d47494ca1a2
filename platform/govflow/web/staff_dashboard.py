"""Staff pages: the dashboards (GET /staff/dashboard), figures an auditor reads at a glance.

Per flow and flow version the applications started, finished, in progress and abandoned; the
refusals by rule (the rule's title from the current rule book, linked to the catalogue); the
submissions that failed, by the back end's reason (store/dashboard.py counts them). Each figure
is a bar chart (Chart.js, drawn by static/staff_charts.js from the JSON in its canvas's data-chart) and a
table, which is what a screen reader or a browser without JavaScript reads.

Filters (a GET form): `flow`, `from`, `to` (Beijing dates, both included). A date that is not one,
a period that ends before it starts or an unknown flow is a Chinese error on the page (400), the
fields keeping what was typed. A draft counts as abandoned after DASHBOARD_ABANDONED_DAYS (default
7) without a change, never more than the retention period for drafts (RETAIN_DRAFT_DAYS), after
which the draft is deleted and no longer counted at all.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from flask import current_app, render_template, request

from ..catalog import text as msg
from ..store.dashboard import FAILURES, Figures, Period, figures
from .common import journey
from .staff import blueprint
from .staff_roles import require

ABANDONED_DAYS = 7
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(typed: str, which: str) -> tuple[date | None, str | None]:
    if not typed:
        return None, None
    try:
        if not _DATE.fullmatch(typed):
            raise ValueError(typed)
        return date.fromisoformat(typed), None
    except ValueError:
        return None, msg("staff.dash.bad_date", which=msg(f"staff.dash.{which}"), value=typed)


def abandoned_days() -> tuple[int, int]:
    """(the days after which a draft counts as abandoned, the retention period for drafts)."""
    kept = journey().retention.draft_days
    wanted = int(current_app.config.get("DASHBOARD_ABANDONED_DAYS", ABANDONED_DAYS))
    return max(0, min(wanted, kept)), kept


def _charts(found: Figures) -> dict:
    """What each chart draws: labels (short: the tables name them in full) and data sets."""
    apps = found.applications
    parts = ("finished", "in_progress", "abandoned")
    return {
        "applications": {"stacked": True, "labels": [[f.flow_id, f.flow_version] for f in apps],
                         "datasets": [{"label": msg(f"staff.dash.{p}"), "data": [getattr(f, p) for f in apps]}
                                      for p in parts]},
        "refusals": {"stacked": False, "labels": [[r.rule_id, r.ruleset_version] for r in found.refusals],
                     "datasets": [{"label": msg("staff.dash.refusals"), "data": [r.refusals for r in found.refusals]},
                                  {"label": msg("staff.dash.applications"),
                                   "data": [len(r.applications) for r in found.refusals]}]},
        "failures": {"stacked": True, "labels": [[f.operation, f.reason_code] for f in found.failures],
                     "datasets": [{"label": msg(f"staff.dash.{s}"), "data": [f.counts[s] for f in found.failures]}
                                  for s in FAILURES]},
    }


@blueprint.get("/dashboard")
@require("dashboard.view")
def dashboard():
    env = journey().env
    typed = {name: request.args.get(name, "").strip()[:40] for name in ("flow", "from", "to")}
    start, bad_start = _date(typed["from"], "from")
    end, bad_end = _date(typed["to"], "to")
    errors = [e for e in (bad_start, bad_end) if e]
    if start and end and start > end:
        errors.append(msg("staff.dash.bad_range"))
    if typed["flow"] and typed["flow"] not in env.flows:
        errors.append(msg("staff.dash.unknown_flow", value=typed["flow"]))
    days, kept = abandoned_days()
    page = {"typed": typed, "flows": env.flows, "errors": errors, "days": days, "kept": kept}
    if errors:
        return render_template("staff/dashboard.html", found=None, **page), 400
    found = figures(env.store, Period(start, end), typed["flow"] or None, timedelta(days=days))
    titles = {(name, rule.id): rule.title for name, rs in env.rulebook.rulesets.items() for rule in rs.rules}
    return render_template("staff/dashboard.html", found=found, titles=titles, charts=_charts(found),
                           failures=FAILURES, period=(start, end), **page)
