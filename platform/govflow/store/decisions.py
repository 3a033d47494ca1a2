"""Decision log: which rules decided what, for auditors; and the rule inputs, for replay.

Append-only. The caller masks personal data in a decision's `facts` before recording; the
store keeps exactly what it is given. Rule inputs (every rule set evaluated, fired or not, with
the facts it read in clear) are sealed at rest and read to replay a draft's rules on past
decisions (publishing/impact.py) and, masked, for the staff case view (cases/document.py).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from .models import DecisionRow, RuleInputRow
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


@dataclass(frozen=True)
class RuleInput:
    application_id: str
    ruleset: str
    ruleset_version: str
    step: str
    fired: list
    inputs: dict
    at: datetime


_INSERT_INPUTS = insert(RuleInputRow.__table__)     # type: ignore[arg-type]
SCAN = 20_000             # steps looked at, newest first, for a replay


class RuleInputs:
    def __init__(self, store):
        self._store = store

    def record(self, application_id: str, step: str, entries: list[tuple[str, str, list, dict]]) -> None:
        """(ruleset, version, fired rule ids, inputs) of each rule set a step evaluated: one sealed row."""
        if not entries:
            return
        row = {"application_id": application_id, "step": step[:200], "at": self._store.now(),
               "evaluations": [[name, version, list(fired), inputs] for name, version, fired, inputs in entries]}
        with self._store.session() as db:       # Core on the unit's connection: no ORM session for it
            db.connection().execute(_INSERT_INPUTS, row)

    def for_application(self, app_id: str) -> list[RuleInput]:
        """Every rule set evaluated for the application, fired or not, in time order (the staff
        case view; the inputs are in clear: the caller masks them before showing them)."""
        stmt = (select(RuleInputRow).where(RuleInputRow.application_id == app_id)
                .order_by(RuleInputRow.at, RuleInputRow.id))
        with self._store.reading() as db:
            return [RuleInput(row.application_id, name, version, row.step, list(fired), inputs or {}, row.at)
                    for row in db.scalars(stmt) for name, version, fired, inputs in row.evaluations or ()]

    def recent(self, rulesets, limit: int = 500, scan: int = SCAN) -> list[RuleInput]:
        """The newest `limit` evaluations of the given rule sets (looking at the last `scan` steps), newest first."""
        wanted, out = set(rulesets), []
        stmt = select(RuleInputRow).order_by(RuleInputRow.id.desc()).limit(scan)
        with self._store.reading() as db:
            for row in db.scalars(stmt):
                for name, version, fired, inputs in row.evaluations or ():
                    if name in wanted:
                        out.append(RuleInput(row.application_id, name, version, row.step, list(fired), inputs or {},
                                             row.at))
                        if len(out) >= limit:
                            return out
        return out
