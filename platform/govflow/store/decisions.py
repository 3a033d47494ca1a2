"""Decision log: which rules decided what, for auditors; and the rule inputs, for replay.

Append-only. The caller masks personal data in a decision's `facts` before recording; the
store keeps exactly what it is given. Rule inputs (every rule set evaluated, fired or not, with
the facts it read in clear) are sealed at rest and read only to replay a draft's rules on past
decisions (publishing/impact.py).
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


class RuleInputs:
    def __init__(self, store):
        self._store = store

    def record(self, application_id: str, step: str, entries: list[tuple[str, str, list, dict]]) -> None:
        """(ruleset, version, fired rule ids, inputs) of each rule set a step evaluated: one statement."""
        if not entries:
            return
        moment = self._store.now()
        rows = [{"application_id": application_id, "ruleset": name, "ruleset_version": version, "step": step[:200],
                 "fired": list(fired), "inputs": inputs, "at": moment} for name, version, fired, inputs in entries]
        with self._store.session() as db:
            db.execute(insert(RuleInputRow), rows)

    def recent(self, rulesets, limit: int = 500) -> list[RuleInput]:
        """The newest `limit` evaluations of the given rule sets, newest first."""
        stmt = (select(RuleInputRow).where(RuleInputRow.ruleset.in_(list(rulesets)))
                .order_by(RuleInputRow.at.desc(), RuleInputRow.id.desc()).limit(limit))
        with self._store.reading() as db:
            return [RuleInput(r.application_id, r.ruleset, r.ruleset_version, r.step, list(r.fired), r.inputs or {},
                              r.at) for r in db.scalars(stmt)]
