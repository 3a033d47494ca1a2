"""The dashboards' figures, from the applications and the decision trail (no tables of their own).

Over a period of days (Beijing dates, both ends included: `Period`) and optionally one flow:

- `applications`: per flow and flow version, the applications created in the period: started,
  finished (submitted), abandoned (drafts not changed for `abandoned_after`) and in progress
  (the rest: drafts changed since, and those in the outbox). Counted in SQL (portable CASE sums).
- `refusals`: per rule set, rule set version and rule, how often a rule whose `then:` refuses
  fired in the period (decision rows) and for how many applications. The outcomes are in a JSON
  column, so the rows of the period are read (newest first, at most `SCAN`) and counted here.
- `submission_failures`: per operation and the back end's reason code, the delivery attempts
  recorded in the period that were rejected (final, the citizen may resubmit), failed (given up
  after the last try) or pending (tried again later), with the reason text of the newest.

A draft deleted by the retention period (store/retention.py) is in none of the figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select

from ..formats import SHANGHAI
from .models import ApplicationRow, DecisionRow
from .outbox import FAILED, PENDING, REJECTED
from .records import as_utc

SCAN = 50_000                       # decision rows read per figure (newest first)
SUBMIT = "submit:"                  # the rule set name of a submission's trail rows (journey/submission.py)
REFUSE = "refuse"                   # the outcome kind that refuses (rules/outcomes.py)
FAILURES = (REJECTED, FAILED, PENDING)


@dataclass(frozen=True)
class Period:
    """Beijing dates, both included; None: open on that side."""

    start: date | None = None
    end: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[from, until) in aware UTC."""
        first = as_utc(datetime.combine(self.start, time(), SHANGHAI)) if self.start else None
        after = as_utc(datetime.combine(self.end + timedelta(days=1), time(), SHANGHAI)) if self.end else None
        return first, after

    def where(self, column) -> list:
        first, after = self.bounds()
        return ([column >= first] if first else []) + ([column < after] if after else [])


@dataclass
class FlowFigures:
    flow_id: str
    flow_version: str
    started: int = 0
    finished: int = 0
    abandoned: int = 0

    @property
    def in_progress(self) -> int:
        return self.started - self.finished - self.abandoned


@dataclass
class RefusalFigures:
    ruleset: str
    ruleset_version: str
    rule_id: str
    refusals: int = 0
    applications: set[str] = field(default_factory=set)


@dataclass
class FailureFigures:
    operation: str
    reason_code: str
    reason: str = ""
    last_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAILURES, 0))
    applications: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Figures:
    applications: list[FlowFigures]
    refusals: list[RefusalFigures]
    failures: list[FailureFigures]
    truncated: bool                 # more than SCAN decision rows in the period: the newest were counted


def applications(store, period: Period, flow_id: str | None, abandoned_after: timedelta,
                 now: datetime | None = None) -> list[FlowFigures]:
    a = ApplicationRow
    cutoff = as_utc(now or store.now()) - abandoned_after
    stmt = (select(a.flow_id, a.flow_version, func.count().label("started"),
                   func.sum(case((a.status == "submitted", 1), else_=0)).label("finished"),
                   func.sum(case((and_(a.status == "draft", a.updated_at < cutoff), 1), else_=0)).label("abandoned"))
            .where(*period.where(a.created_at), *([a.flow_id == flow_id] if flow_id else []))
            .group_by(a.flow_id, a.flow_version).order_by(a.flow_id, a.flow_version))
    with store.reading() as db:
        return [FlowFigures(r.flow_id, r.flow_version, int(r.started), int(r.finished or 0), int(r.abandoned or 0))
                for r in db.execute(stmt)]


def _decisions(store, period: Period, flow_id: str | None, submissions: bool, scan: int):
    d = DecisionRow
    kind = d.ruleset.startswith(SUBMIT, autoescape=True)
    stmt = (select(d.application_id, d.ruleset, d.ruleset_version, d.outcome, d.at)
            .where(kind if submissions else ~kind, *period.where(d.at), *([d.flow_id == flow_id] if flow_id else []))
            .order_by(d.at.desc(), d.id.desc()).limit(scan + 1))
    with store.reading() as db:
        rows = db.execute(stmt).all()
    return rows[:scan], len(rows) > scan


def refusals(store, period: Period, flow_id: str | None = None, scan: int = SCAN) -> tuple[list[RefusalFigures], bool]:
    found: dict[tuple, RefusalFigures] = {}
    rows, truncated = _decisions(store, period, flow_id, False, scan)
    for row in rows:
        outcomes = (row.outcome or {}).get("outcomes") if isinstance(row.outcome, dict) else None
        for rule_id, then in (outcomes or {}).items() if isinstance(outcomes, dict) else ():
            if isinstance(then, dict) and REFUSE in then:
                key = (row.ruleset, row.ruleset_version, rule_id)
                fig = found.setdefault(key, RefusalFigures(*key))
                fig.refusals += 1
                fig.applications.add(row.application_id)
    return sorted(found.values(), key=lambda f: (-f.refusals, f.ruleset, f.ruleset_version, f.rule_id)), truncated


def submission_failures(store, period: Period, flow_id: str | None = None,
                        scan: int = SCAN) -> tuple[list[FailureFigures], bool]:
    found: dict[tuple, FailureFigures] = {}
    rows, truncated = _decisions(store, period, flow_id, True, scan)
    for row in rows:                                    # newest first: the first reason seen is the latest
        outcome = row.outcome if isinstance(row.outcome, dict) else {}
        status = outcome.get("status")
        if status not in FAILURES:
            continue
        key = (row.ruleset[len(SUBMIT):], str(outcome.get("reason_code") or "-"))
        fig = found.get(key)
        if fig is None:
            fig = found[key] = FailureFigures(*key, reason=str(outcome.get("reason") or ""), last_at=row.at)
        fig.counts[status] += 1
        fig.applications.add(row.application_id)
    return sorted(found.values(), key=lambda f: (-sum(f.counts.values()), f.operation, f.reason_code)), truncated


def figures(store, period: Period, flow_id: str | None, abandoned_after: timedelta, now=None,
            scan: int = SCAN) -> Figures:
    """Every figure of the dashboard, read in one snapshot where the store has one."""
    with store.snapshot():
        apps = applications(store, period, flow_id, abandoned_after, now)
        refused, cut_a = refusals(store, period, flow_id, scan)
        failed, cut_b = submission_failures(store, period, flow_id, scan)
    return Figures(apps, refused, failed, cut_a or cut_b)
