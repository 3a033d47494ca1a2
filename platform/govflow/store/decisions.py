"""Decision log: which rules decided what, for auditors.

Append-only. The caller masks personal data in `facts` before recording; the
store keeps exactly what it is given so the log can be replayed.
"""
from __future__ import annotations

import copy

from sqlalchemy import select

from .models import DecisionRow
from .records import Decision, as_utc


class DecisionLog:
    def __init__(self, store):
        self._store = store

    def record(self, application_id: str, ruleset: str, ruleset_version: str, flow_id: str,
               flow_version: str, rule_ids: list[str], outcome: dict, facts: dict,
               at=None) -> Decision:
        row = DecisionRow(application_id=application_id, ruleset=ruleset,
                          ruleset_version=ruleset_version, flow_id=flow_id,
                          flow_version=flow_version, rule_ids=list(rule_ids),
                          outcome=copy.deepcopy(outcome), facts=copy.deepcopy(facts),
                          at=as_utc(at or self._store.now()))
        with self._store.session() as db:
            db.add(row)
            db.flush()
            return _to_record(row)

    def for_application(self, app_id: str) -> list[Decision]:
        """In time order (ties in insertion order)."""
        stmt = (select(DecisionRow).where(DecisionRow.application_id == app_id)
                .order_by(DecisionRow.at, DecisionRow.id))
        with self._store.reading() as db:
            return [_to_record(row) for row in db.scalars(stmt)]


def _to_record(row: DecisionRow) -> Decision:
    return Decision(id=row.id, application_id=row.application_id, ruleset=row.ruleset,
                    ruleset_version=row.ruleset_version, flow_id=row.flow_id,
                    flow_version=row.flow_version, rule_ids=list(row.rule_ids),
                    outcome=copy.deepcopy(row.outcome), facts=copy.deepcopy(row.facts), at=row.at)
