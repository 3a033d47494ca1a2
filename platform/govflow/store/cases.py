"""The back office's case list: find applications by 受理编号, id, ID number or name, filter, sort, page.

A search text `q` (trimmed) finds an application when it is its reference or its id, or when its
keyed hash (Store.person_key / Store.name_key, migration 0006) is the application's verified
person's or subject's number, or the verified person's or the subject's name (the full name:
hashes cannot match a part). ID numbers and names are never stored in clear, so this is the only
way to find them; the text itself is never written anywhere.

Filters: flow, status, creation date (Beijing dates, both included), a rule that fired (a
decision of the application whose rule_ids hold it) and an outcome kind (a decision of the
application with that outcome, see OUTCOMES). Both decision filters are EXISTS subqueries with a
LIKE on the JSON text of the column, which reads alike on SQLite and PostgreSQL (`json`, not
`jsonb`: the text is kept as written); they are exact because the rule id and the kinds are plain
tokens (RULE_ID) and a JSON string inside a value has its quotes escaped (`\\"`), so `"<rule id>"`
or `"refuse":` only match a whole element or key.

The counts per status are for the current filters without the status filter (they are the
choices of that filter).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Text, cast, exists, func, or_, select

from .dashboard import Period
from .models import ApplicationRow, DecisionRow
from .records import STATUSES, Application

SUBMIT = "submit:"
RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
RULE_OUTCOMES = ("refuse", "redirect", "restrict")            # a fired rule's `then:` (rules/outcomes.py)
SUBMISSION_OUTCOMES = ("rejected", "failed", "delivered")     # a delivery attempt's answer (store/outbox.py)
OUTCOMES = RULE_OUTCOMES + SUBMISSION_OUTCOMES
SORTS = {"created_desc": (ApplicationRow.created_at, True), "created_asc": (ApplicationRow.created_at, False),
         "updated_desc": (ApplicationRow.updated_at, True), "updated_asc": (ApplicationRow.updated_at, False)}
PER_PAGE = (20, 50, 100)
_APP_ID = re.compile(r"[0-9a-f]{32}")
_ID_NUMBER = re.compile(r"\d{15}|\d{17}[\dXx]|[A-Za-z]{1,2}\d{6,10}[A-Za-z0-9()（）]{0,3}")


@dataclass(frozen=True)
class CaseQuery:
    q: str = ""
    flow: str | None = None
    status: str | None = None
    start: date | None = None          # Beijing dates, both included
    end: date | None = None
    rule: str | None = None
    outcome: str | None = None
    sort: str = "created_desc"
    page: int = 1
    per_page: int = PER_PAGE[0]

    def __post_init__(self):
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")
        if self.rule is not None and not RULE_ID.fullmatch(self.rule):
            raise ValueError(f"not a rule id: {self.rule!r}")
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}")
        if self.page < 1 or self.per_page not in PER_PAGE:
            raise ValueError("page from 1, per_page one of 20, 50, 100")

    @property
    def text(self) -> str:
        return self.q.strip()


@dataclass
class CasePage:
    rows: list[Application]
    total: int
    by_status: dict[str, int] = field(default_factory=dict)
    page: int = 1
    per_page: int = PER_PAGE[0]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def query_kind(text: str) -> str | None:
    """What a search text looks like, for the audit event (never the text itself): 'id' (an
    application id), 'id_number', 'name' (no digits) or 'reference'; None for no search."""
    text = text.strip()
    if not text:
        return None
    if _APP_ID.fullmatch(text.lower()):
        return "id"
    if _ID_NUMBER.fullmatch(text):
        return "id_number"
    if not any(ch.isdigit() for ch in text):
        return "name"
    return "reference"


def _json_has(column, *needles: str):
    """The JSON text of `column` contains one of the needles (plain tokens, see the module docstring)."""
    text = cast(column, Text)
    return or_(*(text.contains(n, autoescape=True) for n in needles))


def _conditions(store, query: CaseQuery, with_status: bool = True) -> list:
    a, d = ApplicationRow, DecisionRow
    where: list[Any] = []
    text = query.text
    if text:
        person, name = store.person_key(text), store.name_key(text)
        where.append(or_(a.reference == text, a.id == text, a.person_key == person, a.subject_key == person,
                         a.name_key == name, a.subject_name_key == name))
    if query.flow:
        where.append(a.flow_id == query.flow)
    if with_status and query.status:
        where.append(a.status == query.status)
    where += Period(query.start, query.end).where(a.created_at)
    if query.rule:
        where.append(exists().where(d.application_id == a.id, ~d.ruleset.startswith(SUBMIT, autoescape=True),
                                    _json_has(d.rule_ids, f'"{query.rule}"')))
    if query.outcome in RULE_OUTCOMES:
        where.append(exists().where(d.application_id == a.id, ~d.ruleset.startswith(SUBMIT, autoescape=True),
                                    _json_has(d.outcome, f'"{query.outcome}":')))
    elif query.outcome in SUBMISSION_OUTCOMES:
        where.append(exists().where(d.application_id == a.id, d.ruleset.startswith(SUBMIT, autoescape=True),
                                    _json_has(d.outcome, f'"status": "{query.outcome}"',
                                              f'"status":"{query.outcome}"')))
    return where


def _ordered(stmt, sort: str):
    column, descending = SORTS[sort]
    return stmt.order_by(column.desc() if descending else column.asc(),
                         ApplicationRow.id.desc() if descending else ApplicationRow.id.asc())


def find_cases(store, query: CaseQuery) -> CasePage:
    """One page of the applications the query finds, their number and the counts per status."""
    from .applications import to_record
    where = _conditions(store, query)
    rows_stmt = _ordered(select(ApplicationRow).where(*where), query.sort)
    rows_stmt = rows_stmt.offset((query.page - 1) * query.per_page).limit(query.per_page)
    by_status_stmt = (select(ApplicationRow.status, func.count())
                      .where(*_conditions(store, query, with_status=False))
                      .group_by(ApplicationRow.status))
    with store.snapshot(), store.reading() as db:
        total = db.scalar(select(func.count()).select_from(ApplicationRow).where(*where)) or 0
        by_status = {status: int(n) for status, n in db.execute(by_status_stmt).all()}
        rows = [to_record(row) for row in db.scalars(rows_stmt)]
    return CasePage(rows, int(total), {s: by_status.get(s, 0) for s in STATUSES}, query.page, query.per_page)


def all_cases(store, query: CaseQuery, limit: int) -> tuple[list[Application], bool]:
    """Every application the query finds (for an export), at most `limit`; and whether there were more."""
    from .applications import to_record
    stmt = _ordered(select(ApplicationRow).where(*_conditions(store, query)), query.sort).limit(limit + 1)
    with store.reading() as db:
        rows = [to_record(row) for row in db.scalars(stmt)]
    return rows[:limit], len(rows) > limit
