"""The simulated world is shared by worker processes and survives a restart (issue 9).

Two `build_services` (or two apps) on one simulator database act as two gunicorn workers:
each has its own engine and connections, exactly what a second process has; a third one
built later is a restarted worker. Threads, each with its own services, race like workers.
"""
from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

from apptools import make_app, registry_record
from govflow import cli
from govflow.connectors.loader import load_connectors
from govflow.services import ServiceError, build_services
from govflow.services.simstate import MEMORY_URL, url_beside
from walkers import ApiWalker

DEMO = Path(__file__).resolve().parents[1] / "demo"


@pytest.fixture
def worker(tmp_path):
    """worker() -> a new Services on the shared simulator database (another process)."""
    config = {"SIMULATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'simulators.db'}"}
    return lambda **kw: build_services(config, DEMO, **kw)


def race(n, work):
    """Run work(i) in n threads released at once; the results in thread order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:      # reported by the test, not lost in the thread
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def ssn_of(services, persona):
    return services.people.person(persona).ssn


# ---- face verification --------------------------------------------------------------------

def test_face_token_started_in_one_worker_is_completed_and_consumed_in_another(worker):
    a, b = worker(), worker()
    handoff = a.face.start("applicant", "/flows/sscard_adult/guide")
    assert b.face.result(handoff.token).status == "pending"
    b.face.complete(handoff.token, "mainland_adult", True)
    with pytest.raises(ServiceError) as err:
        a.face.complete(handoff.token, "mainland_adult", False)
    assert err.value.code == "face.already_completed"
    restarted = worker()
    assert restarted.face.result(handoff.token).person_id == "mainland_adult"
    result = a.face.consume(handoff.token)
    assert (result.status, result.person_id, result.role) == ("passed", "mainland_adult", "applicant")
    assert b.face.consume(handoff.token).status == "unknown"          # single use across workers
    assert restarted.face.result(handoff.token).status == "unknown"


def test_two_workers_consuming_one_token_one_wins(worker):
    first = worker()
    handoff = first.face.start("applicant", "/x")
    first.face.complete(handoff.token, "mainland_adult", True)
    workers = [worker() for _ in range(4)]
    statuses = race(4, lambda i: workers[i].face.consume(handoff.token).status)
    assert sorted(statuses) == ["passed", "unknown", "unknown", "unknown"]


def test_two_workers_completing_one_token_one_wins(worker):
    handoff = worker().face.start("applicant", "/x")
    workers = [worker() for _ in range(4)]

    def complete(i):
        try:
            workers[i].face.complete(handoff.token, "mainland_adult", i % 2 == 0)
            return "done"
        except ServiceError as exc:
            return exc.code
    assert sorted(race(4, complete)) == ["done"] + ["face.already_completed"] * 3


def test_face_expiry_uses_wall_clock_time_shared_by_workers(worker):
    now = [1_000_000.0]
    a, b = worker(clock=lambda: now[0]), worker(clock=lambda: now[0] + 601)   # b's clock is 601 s later
    handoff = a.face.start("guardian", "/y")
    assert a.face.result(handoff.token).status == "pending"
    assert b.face.result(handoff.token).status == "unknown"                  # expired for b's time
    with pytest.raises(ServiceError) as err:
        b.face.complete(handoff.token, "mainland_adult", True)
    assert err.value.code == "face.unknown_token"
    now[0] += 601
    assert a.face.consume(handoff.token).status == "unknown"


# ---- SMS ----------------------------------------------------------------------------------

def test_an_sms_sent_by_one_worker_is_in_the_others_outbox(worker):
    a, b = worker(), worker()
    a.sms_gateway.send("138 0013 8001", "验证码 123456")
    b.sms_gateway.send("13912345678", "验证码 654321")
    expected = [("13800138001", "验证码 123456"), ("13912345678", "验证码 654321")]
    assert [(m.phone, m.text) for m in a.sms_gateway.outbox()] == expected
    assert [(m.phone, m.text) for m in b.sms_gateway.outbox()] == expected
    assert [(m.phone, m.text) for m in worker().sms_gateway.outbox()] == expected     # after a restart


# ---- the connectors' world (the rest in test_connector_simulator.py) -------------------------

CATALOG = load_connectors(DEMO.parent)[0]


def call(services, operation: str, application_id: str, request: dict, key: str):
    return services.connector_implementation.call(CATALOG.operations[operation], application_id, request, key)


def live_cards(services, ssn: str) -> list[str]:
    return [c["card_number"] for c in registry_record(services, ssn).get("cards", []) if c["status"] != "注销"]


def test_a_cleanup_in_one_worker_is_seen_by_the_others_and_after_a_restart(worker):
    a, b = worker(), worker()
    ssn = ssn_of(a, "two_cards")
    cleanable = [c["card_number"] for c in registry_record(b, ssn)["cards"] if c["cleanable"]]
    first = call(a, "card_cleanup", "app-1", {"ssn": ssn, "cards": cleanable[:1]}, "app-1:cleanup")
    assert first.kind == "accepted" and first.response["reference"] == "QL00000001"
    assert len(live_cards(b, ssn)) == len(cleanable) - 1
    again = call(b, "card_cleanup", "app-2", {"ssn": ssn, "cards": cleanable[:1]}, "app-2:cleanup")
    assert again.code == "registry.unknown_card"                         # already cancelled by a
    assert call(worker(), "card_cleanup", "app-1", {"ssn": ssn, "cards": cleanable[:1]},
                "app-1:cleanup").response == first.response              # a retry under its key, after a restart


def _submit_in_a_process(url: str, worker_no: int) -> list:
    services = build_services({"SIMULATOR_DATABASE_URL": url}, DEMO)
    ssn = services.people.person("mainland_adult").ssn
    shared = [call(services, "card_application", "shared-app", {"ssn": ssn}, f"shared:{worker_no}")]
    apps = [f"p{worker_no}-{n}" for n in range(10)]         # application id = key = ssn, for brevity
    own = [call(services, "card_application", app, {"ssn": app}, app) for app in apps]
    return [answer.response.get("reference") for answer in shared + own]


def test_worker_processes_share_references(tmp_path):
    """Real processes (as under gunicorn), not threads: one acceptance, no reference twice."""
    url = f"sqlite:///{tmp_path / 'simulators.db'}"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        first, second = pool.starmap(_submit_in_a_process, [(url, 1), (url, 2)])
    assert first[0] == second[0]                                  # the shared application: one reference
    references = first + second[1:]
    assert all(references) and len(set(references)) == 21


def test_without_a_url_each_services_has_a_world_of_its_own():
    a, b = build_services({}, DEMO), build_services({}, DEMO)
    a.sms_gateway.send("13800138001", "x")
    assert b.sms_gateway.outbox() == [] and len(a.sms_gateway.outbox()) == 1


# ---- HTTP: every request to the other app -------------------------------------------------

class Alternating:
    """A test client that sends each request to the next app in turn (two workers behind a proxy)."""

    def __init__(self, *apps):
        self.clients = [app.test_client() for app in apps]
        self.served: list[tuple[int, str, str]] = []     # (app, method, path)

    def _next(self, method, path):
        n = len(self.served) % len(self.clients)
        self.served.append((n, method, path))
        return self.clients[n]

    def get(self, path, *args, **kwargs):
        return self._next("GET", path).get(path, *args, **kwargs)

    def post(self, path, *args, **kwargs):
        return self._next("POST", path).post(path, *args, **kwargs)


def test_whole_adult_walk_alternating_between_two_apps(tmp_path, definitions):
    first, second = make_app(tmp_path, definitions), make_app(tmp_path, definitions)   # same files
    client = Alternating(first, second)
    api = ApiWalker(client, first)
    api.walk_to_confirm("mainland_adult")
    result = api.act("confirm", "submit", expect=200)
    assert result["status"] == "submitted"
    state = api.state()
    assert state["status"] == "submitted" and state["reference"].startswith("SQ")
    api.act("confirm", "submit")                                        # a double click, other app
    assert api.state()["reference"] == state["reference"]

    # guide start (the token is made), the simulator page (completed), back (consumed): never one app twice
    face = [n for n, _, path in client.served
            if path.startswith("/sim/face/") or path.endswith(("/guide/actions/start", "/verification"))]
    assert face in ([0, 1, 0], [1, 0, 1]), client.served

    restarted = make_app(tmp_path, definitions)
    services = restarted.extensions["govflow"].env.services
    ssn = services.people.person("mainland_adult").ssn
    assert registry_record(services, ssn)["pending_applications"] == 1
    assert any(m.phone == "13800138001" for m in services.sms_gateway.outbox())


def test_the_outbox_worker_process_delivers_into_the_world_the_web_workers_see(tmp_path, definitions):
    web = make_app(tmp_path, definitions, OUTBOX_INLINE=False)          # web workers only queue
    outbox_worker = make_app(tmp_path, definitions)                    # `govflow outbox-worker`: another process
    api = ApiWalker(web.test_client(), web)
    api.walk_to_confirm("mainland_adult")
    api.act("confirm", "submit")
    assert api.state()["status"] != "submitted"
    assert outbox_worker.extensions["govflow"].deliverer.run_due() == 1
    state = api.state()
    assert state["status"] == "submitted" and state["reference"].startswith("SQ")
    services = web.extensions["govflow"].env.services
    assert registry_record(services, services.people.person("mainland_adult").ssn)["pending_applications"] == 1


# ---- configuration and reset --------------------------------------------------------------

def test_default_simulator_database_is_beside_the_main_one(tmp_path):
    assert url_beside(f"sqlite:///{tmp_path / 'govflow.db'}", tmp_path / "var") == \
        f"sqlite:///{tmp_path / 'govflow-simulators.db'}"
    assert url_beside("sqlite://", tmp_path) == MEMORY_URL
    assert url_beside("postgresql+psycopg://u:p@db/govflow", tmp_path / "var") == \
        f"sqlite:///{tmp_path / 'var' / 'simulators.db'}"


def test_app_without_the_key_puts_the_simulators_beside_its_database(tmp_path, definitions, monkeypatch):
    monkeypatch.delenv("SIMULATOR_DATABASE_URL", raising=False)
    app = make_app(tmp_path, definitions, SIMULATOR_DATABASE_URL="")
    assert app.config["SIMULATOR_DATABASE_URL"] == f"sqlite:///{tmp_path / 'test-simulators.db'}"
    assert (tmp_path / "test-simulators.db").exists()


def test_sim_reset_empties_the_simulated_world(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SIMULATOR_DATABASE_URL", raising=False)
    monkeypatch.setenv("GOVFLOW_VAR", str(tmp_path / "elsewhere"))      # the server's working directory
    config = {"SIMULATOR_DATABASE_URL": url_beside(f"sqlite:///{tmp_path / 'elsewhere' / 'govflow.db'}", tmp_path)}
    services = build_services(config, DEMO)
    ssn = ssn_of(services, "two_cards")
    cleanable = [c["card_number"] for c in registry_record(services, ssn)["cards"] if c["cleanable"]]
    assert call(services, "card_cleanup", "app-1", {"ssn": ssn, "cards": cleanable}, "k").kind == "accepted"
    assert live_cards(services, ssn) == []
    services.sms_gateway.send("13800138001", "x")
    assert cli.main(["--root", str(tmp_path), "sim-reset"]) == 0
    assert "elsewhere/govflow-simulators.db" in capsys.readouterr().out
    assert len(live_cards(services, ssn)) == 2
    assert services.sms_gateway.outbox() == []
