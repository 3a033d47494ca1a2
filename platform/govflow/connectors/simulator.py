"""The simulator of every connector: one implementation that behaves as the declarations say.

The world: a connector with `world: W` keeps its records of people in the demo personas'
blocks `W:` (demo/personas.yaml), keyed by the persona's social security number. A look-up
answers that record (only the declared `returns`, a missing field or an unknown person with the
type's empty value). An operation follows its `simulator:` block (docs/connectors.md):

- `key: <request field>` names the record; `reference: {prefix, digits}` makes the reference;
- an idempotency key already accepted gets the same answer; `once_per_application: true`: an
  application already accepted gets its first acceptance (nothing changes a second time);
- `invalid: <code>` refuses a call without an application or without the key;
- `refuse_first: <code>` refuses the first call for a persona whose `simulate: {refuse_first:}`
  lists the operation (once, for every worker);
- `outage: <code>` refuses at random, at the rate SIMULATOR_FAILURE_RATE (rng injectable);
- `refuse: [{code, if: CONDITION}]`: the first that holds refuses; else the call is accepted
  and `change: [CHANGE ...]` is applied to the record (simulator_rules.py).

A refusal with a transient failure is RETRY, any other REFUSED; a refusal is not remembered.
Only the changes are stored, in the simulators' database (services/simstate.py): the whole
changed record (copy-on-write), the accepted answers, the counters of the references and every
call (the proof of exactly-once delivery). Each call is one write transaction, so every worker
process sees the same world and a restart keeps it.
"""
from __future__ import annotations

import copy
import json
import random
import time
from typing import Callable, Iterable

from sqlalchemy import Connection, bindparam, func, select

from ..rules.model import FactType
from ..services.personas import Persona
from ..services.simstate import (
    SimState,
    operation_accepted,
    operation_answers,
    operation_calls,
    progress_started,
    reference_numbers,
    refused_once,
    world_records,
)
from ..store.prepared import PreparedRead
from .model import ACCEPTED, REFUSED, RETRY, Answer, Catalog, Lookup, Operation
from .simulator_progress import progress_answer
from .simulator_rules import apply, empty_value, holds

FAILURE_RATE_SETTING = "SIMULATOR_FAILURE_RATE"
CLOCK_SETTING = "SIMULATOR_CLOCK"         # a function giving epoch seconds: the simulated systems' time

_records = world_records.c
_RECORD = PreparedRead(select(_records.record).where(_records.world == bindparam("world"),
                                                     _records.key == bindparam("key")))
_TABLES = (world_records, operation_answers, operation_accepted, reference_numbers, refused_once, operation_calls,
           progress_started)


def normal_key(value) -> str:
    """How a record is named: the key's text, stripped and in capitals (an ID number's x is X)."""
    return "" if value is None else str(value).strip().upper()


class SimulatorImplementation:
    """The connectors' `Implementation` (connectors/model.py) that simulates them."""

    def __init__(self, catalog: Catalog, worlds: dict[str, dict[str, dict]],
                 refuse_first: dict[str, frozenset[str]] | None = None, state: SimState | None = None,
                 failure_rate: float = 0.0, rng: random.Random | None = None,
                 clock: Callable[[], float] | None = None):
        """`worlds`: world -> record key -> the record as the demo data write it;
        `refuse_first`: operation -> the record keys whose first call it refuses."""
        if not 0.0 <= float(failure_rate) <= 1.0:
            raise ValueError(f"{FAILURE_RATE_SETTING} must be between 0 and 1")
        self.catalog = catalog
        self._worlds = {w: {normal_key(k): _plain(r) for k, r in records.items()} for w, records in worlds.items()}
        self._refuse_first = {op: frozenset(normal_key(k) for k in keys) for op, keys in (refuse_first or {}).items()}
        self.state = state or SimState.open()
        self._failure_rate = float(failure_rate)
        self._rng = rng or random.Random()
        self.clock = clock or time.time

    # ---- look-ups ------------------------------------------------------------------------

    def lookup(self, lookup: Lookup, inputs: dict) -> dict:
        values = [inputs.get(name) for name in lookup.inputs] or list(inputs.values())
        key = normal_key(values[0] if values else None)
        world = self._world_of(lookup.connector)
        if world is None:
            record: dict = {}
        else:
            with self.state.read() as conn:
                record = self._record_in(conn, world, key)
        return {name: _typed(record.get(name), t) for name, t in lookup.returns.items()}

    def record(self, world: str, key: str) -> dict:
        """The whole record `key` of `world`, with its changes (for the developer page and tests)."""
        with self.state.read() as conn:
            return self._record_in(conn, world, normal_key(key))

    # ---- operations ----------------------------------------------------------------------

    def call(self, operation: Operation, application_id: str, request: dict, idempotency_key: str) -> Answer:
        request = dict(request or {})
        if operation.simulator.get("progress"):          # a status query: read-only, never an answer kept
            key = normal_key(request.get(operation.simulator.get("key", ""))) if operation.simulator.get("key") else ""
            return progress_answer(self.state, operation, request, key, self.clock)

        def work(conn: Connection) -> Answer:
            answer = self._answer_in(conn, operation, str(application_id or ""), request, str(idempotency_key))
            conn.execute(operation_calls.insert().values(
                operation=operation.name, application_id=str(application_id or ""),
                idempotency_key=str(idempotency_key), accepted=answer.kind == ACCEPTED))
            return answer
        return self.state.write(work)

    def calls_by_application(self, operation: str | None = None) -> dict[str, int]:
        """How many calls each application got, from every worker (for tests and bench_load)."""
        calls = operation_calls.c
        query = select(calls.application_id, func.count()).group_by(calls.application_id)
        if operation is not None:
            query = query.where(calls.operation == operation)
        with self.state.read() as conn:
            return {app: n for app, n in conn.execute(query).all()}

    def reset(self) -> None:
        """Forget every change, answer and call: the world as the demo data describe it."""
        def empty(conn: Connection) -> None:
            for table in _TABLES:
                conn.execute(table.delete())
        self.state.write(empty)

    # ---- inside one write transaction ------------------------------------------------------

    def _answer_in(self, conn: Connection, operation: Operation, application_id: str, request: dict,
                   key: str) -> Answer:
        known = conn.execute(select(operation_answers.c.response)
                             .where(operation_answers.c.idempotency_key == key)).first()
        if known is not None:
            return Answer(ACCEPTED, json.loads(known.response))
        once = bool(operation.simulator.get("once_per_application"))
        first = None
        if once:
            acc = operation_accepted.c
            first = conn.execute(select(acc.response).where(acc.operation == operation.name,
                                                            acc.application_id == application_id)).first()
        answer = Answer(ACCEPTED, json.loads(first.response)) if first is not None \
            else self._decide(conn, operation, application_id, request)
        if answer.kind == ACCEPTED:
            text = json.dumps(answer.response, ensure_ascii=False)
            conn.execute(operation_answers.insert().values(idempotency_key=key, operation=operation.name,
                                                           application_id=application_id, response=text))
            if once and first is None:
                conn.execute(operation_accepted.insert().values(operation=operation.name,
                                                                application_id=application_id, response=text))
        return answer

    def _decide(self, conn: Connection, operation: Operation, application_id: str, request: dict) -> Answer:
        block = operation.simulator
        key = normal_key(request.get(block["key"])) if block.get("key") else ""
        refused = self._refused_first(conn, operation, application_id, key)
        if refused is not None:
            return _refusal(operation, refused)
        world = self._world_of(operation.connector)
        record = self._record_in(conn, world, key, for_update=True) if world is not None else {}
        for rule in block.get("refuse") or []:
            if holds(rule["if"], record, request):
                return _refusal(operation, rule["code"])
        response = {name: request.get(name) for name in operation.response}
        if block.get("reference"):
            response["reference"] = _reference(conn, block["reference"])
        if block.get("change") and world is not None:
            apply(block["change"], record, request)
            self._store_in(conn, world, key, record)
        return Answer(ACCEPTED, response)

    def _refused_first(self, conn: Connection, operation: Operation, application_id: str, key: str) -> str | None:
        """The code of a refusal before the record is looked at: invalid, refuse_first, outage."""
        block = operation.simulator
        if block.get("invalid") and (not application_id or not key):
            return str(block["invalid"])
        if block.get("refuse_first") and key in self._refuse_first.get(operation.name, ()):
            once = refused_once.c
            used = conn.execute(select(once.key).where(once.operation == operation.name, once.key == key)).first()
            if used is None:
                conn.execute(refused_once.insert().values(operation=operation.name, key=key))
                return str(block["refuse_first"])
        if block.get("outage") and self._failure_rate and self._rng.random() < self._failure_rate:
            return str(block["outage"])
        return None

    def _world_of(self, connector_id: str) -> str | None:
        connector = self.catalog.connectors.get(connector_id)
        return connector.world if connector is not None else None

    def _record_in(self, conn: Connection, world: str, key: str, for_update: bool = False) -> dict:
        """The record with its changes; `for_update`: locked until the commit (PostgreSQL: two
        workers changing one record queue; SQLite's write transactions queue anyway)."""
        if for_update and conn.dialect.name != "sqlite":
            changed = conn.execute(select(_records.record).where(_records.world == world, _records.key == key)
                                   .with_for_update()).first()
        else:
            changed = _RECORD.first(conn, {"world": world, "key": key})
        if changed is not None:
            return json.loads(changed.record)
        return copy.deepcopy(self._worlds.get(world, {}).get(key, {}))

    def _store_in(self, conn: Connection, world: str, key: str, record: dict) -> None:
        text = json.dumps(record, ensure_ascii=False)
        where = (_records.world == world) & (_records.key == key)
        if conn.execute(select(_records.key).where(where)).first() is None:
            conn.execute(world_records.insert().values(world=world, key=key, record=text))
        else:
            conn.execute(world_records.update().where(where).values(record=text))


def _refusal(operation: Operation, code: str) -> Answer:
    failure = operation.failures.get(code)
    kind = RETRY if failure is not None and failure.transient else REFUSED
    return Answer(kind, code=code, reason=failure.title if failure is not None else code)


def _reference(conn: Connection, spec: dict) -> str:
    """The next number of the prefix; the primary key (prefix, number) makes a worker that raced
    to the same number fail and run again (SimState.write), so no number is handed out twice."""
    prefix, numbers = str(spec.get("prefix", "")), reference_numbers.c
    last = conn.execute(select(func.max(numbers.number)).where(numbers.prefix == prefix)).scalar()
    number = int(last or 0) + 1
    conn.execute(reference_numbers.insert().values(prefix=prefix, number=number))
    return f"{prefix}{number:0{int(spec.get('digits', 8))}d}"


def _plain(record) -> dict:
    """A record as JSON would give it back (dates as text), so base and changed records agree."""
    return json.loads(json.dumps(record if isinstance(record, dict) else {}, ensure_ascii=False, default=str))


def _typed(value, fact_type: FactType):
    """A returned value: the type's empty value when missing; the declared fields of each record."""
    if value is None:
        return empty_value(fact_type)
    item = fact_type.items
    if fact_type.type == "array" and item is not None and item.type == "object" and item.fields:
        return [{name: _typed(v.get(name), t) for name, t in item.fields} if isinstance(v, dict) else v
                for v in value]
    return value


def build_simulator(catalog: Catalog, personas: Iterable[Persona], state: SimState, config: dict,
                    rng: random.Random | None = None) -> SimulatorImplementation:
    """The simulator of `catalog`'s connectors over the demo personas' worlds; raises ValueError
    for a persona's refuse_first naming an operation no connector declares, or a bad failure rate."""
    worlds: dict[str, dict[str, dict]] = {}
    refuse_first: dict[str, set[str]] = {}
    operations = catalog.operations
    for persona in personas:
        key = normal_key(persona.person.ssn)
        for world, block in persona.worlds.items():
            worlds.setdefault(world, {})[key] = block
        for name in persona.refuse_first:
            if name not in operations:
                raise ValueError(f"persona {persona.id}: refuse_first names unknown operation '{name}'")
            refuse_first.setdefault(name, set()).add(key)
    clock = config.get(CLOCK_SETTING)
    return SimulatorImplementation(catalog, worlds, {op: frozenset(keys) for op, keys in refuse_first.items()},
                                   state, float(config.get(FAILURE_RATE_SETTING, 0.0) or 0.0), rng,
                                   clock if callable(clock) else None)
