"""The generic simulator of the connector declarations (govflow.connectors.simulator), on the real
connectors/*.yaml and demo personas."""
import random
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govflow.connectors.loader import load_connectors
from govflow.connectors.model import (
    ACCEPTED,
    REFUSED,
    RETRY,
    Operation,
)
from govflow.connectors.simulator import SimulatorImplementation, build_simulator
from govflow.connectors.simulator_rules import holds
from govflow.services.personas import load_personas
from govflow.services.simstate import SimState

ROOT = Path(__file__).resolve().parents[1]


CATALOG = load_connectors(ROOT)[0]
OPS = CATALOG.operations
RECORD = CATALOG.connectors["registry"].lookups["record"]
PERSONAS = {p.id: p for p in load_personas(ROOT / "demo")[0]}


def ssn(persona_id: str) -> str:
    return PERSONAS[persona_id].person.ssn


def make(state=None, **config):
    return build_simulator(CATALOG, PERSONAS.values(), state or SimState.open(), config,
                           rng=config.pop("rng", None))


@pytest.fixture
def sim():
    return make()


def cards(sim, persona_id):
    return {c["card_number"]: c for c in sim.lookup(RECORD, {"ssn": ssn(persona_id)})["cards"]}


def cleanup(sim, persona_id, numbers, key="k1", app="a1"):
    return sim.call(OPS["card_cleanup"], app, {"ssn": ssn(persona_id), "cards": numbers}, key)


def apply_card(sim, persona_id, app="a1", key="k1", op="card_application", **more):
    return sim.call(OPS[op], app, {"ssn": ssn(persona_id), "flow": "f", **more}, key)


# ---- look-ups ------------------------------------------------------------------------------

def test_the_record_answers_the_personas_cards_and_only_the_declared_fields(sim):
    record = sim.lookup(RECORD, {"ssn": ssn("two_cards")})
    assert set(record) == set(RECORD.returns)          # no guardians, no photo: not declared
    assert record["pending_applications"] == 0
    assert record["cards"][0] == {"card_number": "A40127356", "issuing_city_code": "440100",
                                  "issuing_city_name": "广州市", "bank_name": "工商银行", "status": "正常",
                                  "progress": "已领卡", "cleanable": True}
    assert sim.lookup(RECORD, {"ssn": ssn("pending_application")})["pending_applications"] == 1


def test_an_unknown_person_has_the_empty_record_and_the_key_is_normalised(sim):
    assert sim.lookup(RECORD, {"ssn": "000000000000000000"}) == {
        "pending_applications": 0, "insurance_types": [], "cards": []}
    assert len(sim.lookup(RECORD, {"ssn": " " + ssn("two_cards").lower() + " "})["cards"]) == 2


# ---- card_cleanup --------------------------------------------------------------------------

def test_cleanup_cancels_exactly_the_cleanable_cards_and_a_retry_gets_its_reference(sim):
    answer = cleanup(sim, "two_cards", ["A40127356"])
    assert answer.kind == ACCEPTED and answer.response == {"reference": "QL00000001"}
    left = cards(sim, "two_cards")
    assert (left["A40127356"]["status"], left["A40127356"]["cleanable"]) == ("注销", False)
    assert left["A60288941"]["status"] == "正常"
    assert cleanup(sim, "two_cards", ["A40127356"]) == answer
    assert cleanup(sim, "two_cards", ["A40127356"], key="k2").code == "registry.unknown_card"
    assert cards(sim, "child_with_two_cards")["B51203377"]["status"] == "正常"


@pytest.mark.parametrize("persona, numbers, code", [
    ("two_cards", [], "registry.no_cards_selected"),
    ("two_cards", ["A40127356", "X1"], "registry.unknown_card"),
    ("guardian_parent", ["A30155720"], "registry.card_not_cleanable"),
])
def test_cleanup_refusals_change_nothing(sim, persona, numbers, code):
    before = cards(sim, persona)
    answer = cleanup(sim, persona, numbers)
    assert (answer.kind, answer.code) == (REFUSED, code)
    assert answer.reason == OPS["card_cleanup"].failures[code].title
    assert cards(sim, persona) == before


# ---- card_loss_report and card_replacement -------------------------------------------------

def test_a_loss_report_turns_a_normal_card_lost_once(sim):
    report = {"ssn": ssn("guardian_parent"), "card_number": "A30155720"}
    answer = sim.call(OPS["card_loss_report"], "a1", report, "k1")
    assert answer.kind == ACCEPTED and answer.response["reference"] == "GS00000001"
    assert cards(sim, "guardian_parent")["A30155720"]["status"] == "临时挂失"
    assert sim.call(OPS["card_loss_report"], "a2", report, "k2").code == "registry.card_not_normal"
    assert sim.call(OPS["card_loss_report"], "a3", {**report, "card_number": "NOPE"}, "k3").code \
        == "registry.unknown_card"


def test_a_lost_card_is_replaced_only_after_its_loss_report(sim):
    lost = {"card_number": "A30155720", "kind": "lost"}
    assert apply_card(sim, "guardian_parent", op="card_replacement", **lost).code == "backend.card_not_reported_lost"
    assert apply_card(sim, "guardian_parent", op="card_replacement", key="k9", card_number="NOPE",
                      kind="lost").code == "backend.unknown_card"
    sim.call(OPS["card_loss_report"], "r1", {"ssn": ssn("guardian_parent"), "card_number": "A30155720"}, "r1")
    answer = apply_card(sim, "guardian_parent", app="a2", key="k2", op="card_replacement", **lost)
    assert answer.kind == ACCEPTED and answer.response["reference"] == "BH0000000001"
    assert sim.lookup(RECORD, {"ssn": ssn("guardian_parent")})["pending_applications"] == 1


# ---- card_application ----------------------------------------------------------------------

def test_an_application_is_accepted_once_per_application(sim):
    first = apply_card(sim, "mainland_adult")
    assert first.kind == ACCEPTED and first.response == {"reference": "SQ0000000001"}
    assert apply_card(sim, "mainland_adult", key="k2") == first          # a second key: the first acceptance
    assert apply_card(sim, "mainland_adult", key="k1") == first
    assert sim.lookup(RECORD, {"ssn": ssn("mainland_adult")})["pending_applications"] == 1
    second = apply_card(sim, "mainland_adult", app="a2", key="k3")
    assert (second.kind, second.code) == (REFUSED, "backend.duplicate_application")
    assert sim.calls_by_application() == {"a1": 3, "a2": 1}


def test_a_person_with_a_pending_application_is_refused(sim):
    assert apply_card(sim, "pending_application").code == "backend.duplicate_application"


def test_refuse_first_refuses_the_first_call_only(sim):
    first = apply_card(sim, "rejected_once")
    assert (first.kind, first.code) == (REFUSED, "backend.rejected")
    assert apply_card(sim, "rejected_once").kind == ACCEPTED                 # the same key, asked again
    assert apply_card(sim, "mainland_adult", app="a2", key="k2").kind == ACCEPTED


def test_an_outage_is_a_retry_and_an_invalid_call_is_refused():
    sim = make(SIMULATOR_FAILURE_RATE=1.0, rng=random.Random(1))
    answer = apply_card(sim, "mainland_adult")
    assert (answer.kind, answer.code) == (RETRY, "backend.unavailable")
    assert sim.lookup(RECORD, {"ssn": ssn("mainland_adult")})["pending_applications"] == 0
    assert make().call(OPS["card_application"], "a1", {"flow": "f"}, "k").code == "backend.invalid_payload"
    with pytest.raises(ValueError):
        make(SIMULATOR_FAILURE_RATE=2)


def test_a_refuse_first_of_an_unknown_operation_is_refused():
    persona = PERSONAS["rejected_once"]
    odd = type(persona)(**{**persona.__dict__, "refuse_first": ("no_such_operation",)})
    with pytest.raises(ValueError, match="no_such_operation"):
        build_simulator(CATALOG, [odd], SimState.open(), {})


# ---- shared world, restart, reset ----------------------------------------------------------

def test_two_workers_on_one_file_share_the_world_and_never_one_reference(tmp_path):
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    one, two = make(SimState.open(url)), make(SimState.open(url))
    assert cleanup(one, "two_cards", ["A40127356"]).kind == ACCEPTED
    assert cards(two, "two_cards")["A40127356"]["status"] == "注销"
    assert cleanup(two, "two_cards", ["A40127356"]).response == {"reference": "QL00000001"}
    references, errors = [], []

    def worker(sim, n):
        try:
            for i in range(10):
                app = f"{n}-{i}"
                references.append(sim.call(OPS["card_loss_report"], app, {"ssn": "x"}, app).kind)
                references.append(apply_card(sim, "mainland_adult", app=app, key=app).response.get("reference"))
        except Exception as exc:           # pragma: no cover - shown by the assert
            errors.append(exc)
    threads = [threading.Thread(target=worker, args=(sim, n)) for n, sim in enumerate((one, two, one, two))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    accepted = [r for r in references if r and r.startswith("SQ")]
    assert len(accepted) == 1                      # one person: one pending application
    restarted = make(SimState.open(url))
    assert restarted.lookup(RECORD, {"ssn": ssn("mainland_adult")})["pending_applications"] == 1
    assert sum(restarted.calls_by_application(operation="card_application").values()) == 40


def test_concurrent_workers_hand_out_distinct_references(tmp_path):
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    sims = [make(SimState.open(url)) for _ in range(2)]
    replacement = _without_refusals(OPS["card_replacement"])     # every replacement is accepted
    got: list = []

    def worker(sim, n):
        for i in range(15):
            app = f"{n}-{i}"
            got.append(sim.call(replacement, app, {"ssn": f"P{n}-{i}", "card_number": "n"}, app).kind)
    threads = [threading.Thread(target=worker, args=(sims[n % 2], n)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    one = sims[0]
    with one.state.read() as conn:
        numbers = conn.exec_driver_sql("select prefix, number from sim_reference_numbers").all()
    assert set(got) == {ACCEPTED}
    assert len(numbers) == 60 and len(set(numbers)) == 60
    assert sorted(n for p, n in numbers if p == "BH") == list(range(1, 61))


def _without_refusals(op: Operation) -> Operation:
    block = {k: v for k, v in op.simulator.items() if k not in ("refuse", "refuse_first", "outage")}
    return Operation(op.connector, op.name, op.title, op.request, op.response, op.failures, simulator=block)


def test_reset_forgets_every_change(sim):
    cleanup(sim, "two_cards", ["A40127356", "A60288941"])
    apply_card(sim, "rejected_once")
    sim.reset()
    assert all(c["status"] == "正常" for c in cards(sim, "two_cards").values())
    assert apply_card(sim, "rejected_once").code == "backend.rejected"
    assert cleanup(sim, "two_cards", ["A40127356"], key="new").response == {"reference": "QL00000001"}


def test_a_simulator_without_demo_data_knows_nobody():
    sim = SimulatorImplementation(CATALOG, {})
    assert sim.lookup(RECORD, {"ssn": ssn("two_cards")})["cards"] == []
    assert sim.call(OPS["card_cleanup"], "a", {"ssn": "x", "cards": ["c"]}, "k").code == "registry.unknown_card"


# ---- the personas' worlds -------------------------------------------------------------------

def test_a_persona_carries_each_systems_record_and_what_it_refuses_first():
    persona = PERSONAS["rejected_once"]
    assert set(persona.worlds) == {"registry"}
    assert persona.worlds["registry"]["pending_applications"] == 0 and persona.system_photo
    assert persona.refuse_first == ("card_application", "card_replacement")
    assert PERSONAS["mainland_adult"].refuse_first == ()


@pytest.mark.parametrize("simulate", ["refuse_first: card_application", "refuse_first: [1]", "later: []", "[]"])
def test_a_bad_simulate_block_is_refused_with_its_line(tmp_path, simulate):
    text = (ROOT / "demo" / "personas.yaml").read_text("utf-8")
    text = text.replace("    simulate:\n      refuse_first: [card_application, card_replacement]",
                        f"    simulate: {{{simulate}}}" if ":" in simulate else f"    simulate: {simulate}")
    (tmp_path / "personas.yaml").write_text(text, "utf-8")
    personas, problems = load_personas(tmp_path)
    assert [p.code for p in problems] == ["persona.simulate"]
    assert problems[0].line == text[:text.index("    simulate:")].count("\n") + 1
    assert "rejected_once" not in {p.id for p in personas}


# ---- the condition language against a plain Python oracle ----------------------------------

STATUSES = ["正常", "临时挂失", "注销"]
numbers = st.sampled_from(["A1", "A2", "A3", "A4"])
card_items = st.fixed_dictionaries({"card_number": numbers, "status": st.sampled_from(STATUSES),
                                    "cleanable": st.booleans()})
records = st.fixed_dictionaries({"pending": st.integers(-2, 3), "cards": st.lists(card_items, max_size=4)})
requests = st.fixed_dictionaries({"n": st.integers(-2, 3), "card": numbers,
                                  "cards": st.lists(numbers, max_size=3)})
OPERATORS = {"eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b,
             "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def _leaf():
    scalar = st.tuples(st.sampled_from(["field", "request", "count"]), st.sampled_from(sorted(OPERATORS)),
                       st.integers(-2, 3), st.sampled_from(STATUSES))
    lists = st.tuples(st.sampled_from(["empty", "not_all_in", "not_in", "in"]), st.booleans(),
                      st.sampled_from(STATUSES))
    return scalar | lists


def _condition(leaf):
    """(condition in the language, oracle(record, request) -> bool)."""
    kind = leaf[0]
    if kind in ("field", "request", "count"):
        _, op, n, status = leaf
        check = OPERATORS[op]
        if kind == "field":
            return {"field": "pending", op: n}, lambda r, q: check(r["pending"], n)
        if kind == "request":
            return {"request": "n", op: n}, lambda r, q: check(q["n"], n)
        cond = {"count": {"list": "cards", "where": {"card_number": {"request": "card"}, "status": {"ne": status}}},
                op: n}
        return cond, lambda r, q: check(sum(c["card_number"] == q["card"] and c["status"] != status
                                            for c in r["cards"]), n)
    _, flag, status = leaf
    projection = {"list": "cards", "where": {"status": status, "cleanable": flag}, "pick": "card_number"}

    def picked(r):
        return [c["card_number"] for c in r["cards"] if c["status"] == status and c["cleanable"] == flag]
    if kind == "empty":
        return {"request": "cards", "empty": flag}, lambda r, q: (len(q["cards"]) == 0) == flag
    if kind == "not_all_in":
        return {"request": "cards", "not_all_in": projection}, lambda r, q: any(c not in picked(r) for c in q["cards"])
    if kind == "not_in":
        return {"request": "card", "not_in": projection}, lambda r, q: q["card"] not in picked(r)
    allowed = ["A1", "A2"] if flag else []
    return {"request": "card", "in": allowed}, lambda r, q: q["card"] in allowed


def _tree(depth):
    leaf = _leaf().map(_condition)
    if depth == 0:
        return leaf
    sub = st.lists(_tree(depth - 1), min_size=0, max_size=3)
    return leaf | st.tuples(st.sampled_from(["all", "any"]), sub).map(_compound)


def _compound(pair):
    kind, parts = pair
    combine = all if kind == "all" else any
    return {kind: [c for c, _ in parts]}, lambda r, q: combine(o(r, q) for _, o in parts)


@settings(max_examples=300, deadline=None)
@given(_tree(2), records, requests)
def test_the_condition_language_agrees_with_a_plain_oracle(condition, record, request):
    cond, oracle = condition
    assert holds(cond, record, request) == oracle(record, request)
