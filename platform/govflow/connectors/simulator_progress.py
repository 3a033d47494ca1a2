"""The simulator of a status operation (docs/connectors.md "Status operations"): the outside
system moves an application on over time, as its `simulator: progress:` block says.

    progress:
      - {status: submitted, after_minutes: 0}
      - {status: making, after_minutes: 240}
      - {status: mailed, after_minutes: 1440, if: {request: method, eq: mail},
         report: {parcel_number: {prefix: SF, digits: 12}}}

The clock of a reference starts when the simulated system is first asked about it (one row per
operation and key in the simulators' database, so every worker sees the same start); the answer
is the last step whose minutes have passed and whose `if` (simulator_rules.holds, over the
request) holds. `report` adds response fields: `{request: R}` is a request field, `{prefix,
digits}` a number made from the key (the same in every worker, e.g. a parcel number).
`SIMULATOR_CLOCK` (a function giving epoch seconds; tests pass one they move on) is the time.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from sqlalchemy import Connection, select

from ..services.simstate import SimState, progress_started
from .model import ACCEPTED, REFUSED, Answer, Operation
from .simulator_rules import holds

Clock = Callable[[], float]


def progress_answer(state: SimState, operation: Operation, request: dict, key: str, clock: Clock) -> Answer:
    block = operation.simulator
    if not key:
        code = str(block.get("invalid") or next(iter(operation.failures), "simulator.no_key"))
        return Answer(REFUSED, code=code)
    now = float(clock())
    started = _started(state, operation.name, key, now)
    minutes = max(0.0, (now - started) / 60.0)
    reached = [step for step in block.get("progress") or []
               if float(step["after_minutes"]) <= minutes and holds(step.get("if") or {"all": []}, {}, request)]
    if not reached:
        return Answer(ACCEPTED, {"status": None})
    step = reached[-1]
    response = {"status": step["status"]}
    for name, spec in (step.get("report") or {}).items():
        response[name] = request.get(spec["request"]) if "request" in spec else _number(spec, key, name)
    return Answer(ACCEPTED, response)


def _started(state: SimState, operation: str, key: str, now: float) -> float:
    t = progress_started.c
    with state.read() as conn:
        known = conn.execute(select(t.started).where(t.operation == operation, t.key == key)).scalar()
    if known is not None:
        return float(known)

    def first(conn: Connection) -> float:
        again = conn.execute(select(t.started).where(t.operation == operation, t.key == key)).scalar()
        if again is not None:
            return float(again)
        conn.execute(progress_started.insert().values(operation=operation, key=key, started=now))
        return now
    return state.write(first)


def _number(spec: dict, key: str, name: str) -> str:
    digits = int(spec.get("digits", 10))
    value = int(hashlib.sha256(f"{name}:{key}".encode()).hexdigest(), 16) % (10 ** digits)
    return f"{spec.get('prefix', '')}{value:0{digits}d}"
