"""Load and fault benchmark: N concurrent clients doing whole adult applications over HTTP
against the server `make run` starts (gunicorn workers + the outbox worker), on SQLite or
PostgreSQL. Prints requests/s, whole applications/s, p50/p95/p99 of step requests, errors.

    .venv/bin/python bench/bench_load.py                       # SQLite, 32 clients, 60 s
    .venv/bin/python bench/bench_load.py --database postgresql+psycopg://...   # PostgreSQL
    .venv/bin/python bench/bench_load.py --faults              # kill workers at random meanwhile

Every client is a thread of this process talking to 127.0.0.1 only; the run is bounded by
--seconds and --clients. With --faults a web worker (SIGKILL) and the outbox worker are
killed at random during the run; afterwards every acknowledged step is checked against the
database (the page and revision the server answered are what is stored, or later) and every
submitted application must have been accepted by the card back end exactly once.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT / "tests")]

from gunicorn_server import GunicornServer  # noqa: E402
from httpclient import HttpClient  # noqa: E402
from walkers import ApiWalker  # noqa: E402

STEP_PREFIX = "POST /api/v1/applications/"


def population(var: Path, size: int) -> Path:
    """demo/ plus `size` synthetic mainland adults like 陈志明 (valid ID numbers, own phones):
    each whole application needs a citizen without a pending application and a phone that has
    not had a code this minute, as in real life."""
    import shutil
    from datetime import date, timedelta

    import yaml

    from govflow.formats import make_resident_id
    demo = var / "demo"
    shutil.copytree(ROOT / "demo", demo)
    data = yaml.safe_load((demo / "personas.yaml").read_text(encoding="utf-8"))
    template = next(p for p in data["personas"] if p["id"] == "mainland_adult")
    for n in range(size):
        birth = date(1980, 1, 1) + timedelta(days=n // 900)
        number = make_resident_id("440106", birth, n % 900 + 100)
        person = {**template["person"], "id_number": number, "ssn": number, "birth_date": birth,
                  "name": "压测" + "甲乙丙丁戊己庚辛壬癸"[n % 10] + "一二三四五六七八九十"[(n // 10) % 10],
                  "phone": f"139{n:08d}"}
        data["personas"].append({**template, "id": f"load_{n:05d}", "title": "压测用户", "person": person})
    (demo / "personas.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return demo


def walk(base_url: str, local, stats: dict, lock: threading.Lock, persona: str, think: float) -> None:
    client = AckingClient(base_url, keep_alive=True, think=think)
    walker = ApiWalker(client, local.app)
    ok = False
    try:
        walker.walk_to_confirm(persona)
        body = walker.act("confirm", "submit")
        ok = walker.last.status_code in (200, 202) and body.get("status") in ("submitted", "processing")
    except (AssertionError, OSError, KeyError, TypeError, http.client.HTTPException) as exc:
        with lock:
            stats["failures"].append(f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        with lock:
            stats["latencies"].extend(client.latencies)
            if walker.id and client.acked is not None:
                stats["acknowledged"].append((walker.id, client.acked))
            if ok:
                stats["applications"].append(walker.id)


class AckingClient(HttpClient):
    """Remembers the newest revision the server acknowledged (a 2xx step answer carries it)."""

    acked: int | None = None

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        body = response.get_json() if 200 <= response.status_code < 300 else None
        if isinstance(body, dict) and isinstance(body.get("revision"), int):
            self.acked = max(self.acked or 0, body["revision"])
        return response


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def faults(server: GunicornServer, stop: threading.Event, killed: list, rng: random.Random) -> None:
    while not stop.wait(rng.uniform(3, 8)):
        kids = server.children()
        kind = rng.choice(["web", "outbox"])
        if kids[kind]:
            pid = rng.choice(kids[kind])
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append((kind, pid))
            except ProcessLookupError:
                pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--database", help="DATABASE_URL (default: a SQLite file in a temporary directory)")
    parser.add_argument("--faults", action="store_true", help="kill web and outbox workers at random")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each client waits before a request (0: as fast as it can, saturation)")
    parser.add_argument("--postgres", action="store_true",
                        help="start a throw-away PostgreSQL cluster (tests/pgcluster.py) and use it")
    parser.add_argument("--people", type=int, default=1500, help="synthetic citizens (one application each)")
    args = parser.parse_args()
    clients = max(1, min(args.clients, 64))            # bounded: this is a 2-core machine
    var = Path(tempfile.mkdtemp(prefix="bench-load-"))
    cluster = None
    if args.postgres:
        from pgcluster import Cluster
        cluster = Cluster()
        args.database = cluster.url(cluster.create_database())
    demo = population(var, args.people)
    server = GunicornServer(var, args.database, args.workers, extra_env={"GOVFLOW_DEMO": str(demo)})
    os.environ["GOVFLOW_DEMO"] = str(demo)
    local = type("Local", (), {"app": server.local_app()})()
    stats: dict = {"latencies": [], "failures": [], "applications": [], "acknowledged": []}
    lock = threading.Lock()
    stop = threading.Event()
    killed: list = []
    began = time.perf_counter()

    people = iter([f"load_{n:05d}" for n in range(args.people)])

    def client_loop():
        while not stop.is_set():
            with lock:
                persona = next(people, None)
            if persona is None:
                return
            walk(server.url, local, stats, lock, persona, args.think)

    threads = [threading.Thread(target=client_loop, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    chaos = threading.Thread(target=faults, args=(server, stop, killed, random.Random(7)), daemon=True)
    if args.faults:
        chaos.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.perf_counter() - began
    time.sleep(5 if args.faults else 1)                 # let the outbox finish what was acknowledged
    try:
        report(stats, elapsed, clients, args, killed, local, server)
    finally:
        server.stop()
        if cluster is not None:
            cluster.stop()


def report(stats, elapsed, clients, args, killed, local, server) -> None:
    lat = stats["latencies"]
    steps = [s for name, s, status in lat if name.startswith(STEP_PREFIX) and "/actions/" in name]
    errors = [x for x in lat if x[2] >= 500]
    log = server.log()
    locked = log.count("database is locked")
    print(f"\nbench_load: {clients} clients (think time {args.think} s), {elapsed:.0f} s, {args.workers} web workers, "
          f"database {'PostgreSQL' if args.database and args.database.startswith('postgres') else 'SQLite'}"
          f"{', faults' if args.faults else ''}")
    print(f"  requests                 {len(lat):7d}   {len(lat) / elapsed:8.1f} /s")
    done = len(stats["applications"])
    print(f"  whole applications       {done:7d}   {done / elapsed:8.2f} /s")
    print(f"  step requests (POST actions) p50 {percentile(steps, 50) * 1000:6.1f} ms   "
          f"p95 {percentile(steps, 95) * 1000:6.1f} ms   p99 {percentile(steps, 99) * 1000:6.1f} ms")
    print(f"  all requests                 p50 {percentile([s for _, s, _ in lat], 50) * 1000:6.1f} ms   "
          f"p95 {percentile([s for _, s, _ in lat], 95) * 1000:6.1f} ms")
    print(f"  5xx answers {len(errors)}   walks that failed {len(stats['failures'])}   "
          f"'database is locked' in the server log {locked}")
    for f in stats["failures"][:5]:
        print(f"    {f}")
    if args.faults:
        print(f"  killed: {sum(1 for k, _ in killed if k == 'web')} web workers, "
              f"{sum(1 for k, _ in killed if k == 'outbox')} outbox workers")
    check_steps(stats, local)
    check_submissions(stats, local)


def check_steps(stats, local) -> None:
    """Every step the server acknowledged is in the database (its revision, or a later one)."""
    store = local.app.extensions["govflow"].env.store
    lost = []
    for app_id, revision in stats["acknowledged"]:
        app = store.applications.get(app_id)
        if app is None or app.revision < revision:
            lost.append((app_id, revision, app.revision if app else None))
    print(f"  acknowledged steps checked on {len(stats['acknowledged'])} applications: lost {len(lost)}"
          + (f" (e.g. {lost[0]})" if lost else ""))


def check_submissions(stats, local) -> None:
    """Every application whose submit was acknowledged ends submitted, accepted once."""
    journey = local.app.extensions["govflow"]
    store = journey.env.store
    deadline = time.time() + 60
    pending = list(stats["applications"])
    while pending and time.time() < deadline:
        pending = [a for a in pending if getattr(store.applications.get(a), "status", None) == "processing"]
        if pending:
            time.sleep(1)
    calls = journey.env.connectors.implementation.calls_by_application("card_application")
    states = {a: store.applications.get(a) for a in stats["applications"]}
    submitted = [a for a, app in states.items() if app is not None and app.status == "submitted"]
    print(f"  submissions acknowledged {len(states)}: submitted {len(submitted)}, still processing "
          f"{len(pending)}, other {len(states) - len(submitted) - len(pending)}")
    not_one = [a for a in submitted if calls.get(a, 0) != 1]
    print(f"  back-end calls per submitted application: exactly one for {len(submitted) - len(not_one)}, "
          f"more for {len(not_one)}" + (f" (e.g. {calls.get(not_one[0])} for {not_one[0]})" if not_one else ""))


if __name__ == "__main__":
    main()
