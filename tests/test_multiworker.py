"""The service as `make run` starts it: gunicorn with two web workers and the outbox worker.
Whole walks whose requests land on both workers, a worker restarted in the middle of a walk,
and ten concurrent submits spread over the workers (one reference, one back-end call)."""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from apptools import connector_calls
from gunicorn_server import GunicornServer
from httpclient import HttpClient
from walkers import ApiWalker, HtmlWalker


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = GunicornServer(tmp_path_factory.mktemp("multiworker"), workers=2)
    yield running
    running.stop()
    assert "Traceback" not in running.log(), running.log()[-4000:]


@pytest.fixture(scope="module")
def local(server):
    return server.local_app()


@pytest.fixture(autouse=True)
def fresh_world(local):
    """Each walk by 陈志明 starts with no pending application in the (shared) simulated registry."""
    local.extensions["govflow"].env.services.simulator_state.reset()


PHONES = iter(f"1390013{n:04d}" for n in range(10000))      # one per walk: a phone gets one code a minute


def _to_confirm(walker) -> None:
    walker.walk_to_info()
    assert walker.info_page(phone=next(PHONES))["page"] == "pickup", walker.last.get_json()
    assert walker.pickup_branch()["page"] == "confirm", walker.last.get_json()


def _served_by(client) -> set[str]:
    return {pid for pid in client.served_by if pid}


def test_the_server_is_gunicorn_with_two_workers_and_the_outbox_worker(server):
    r = HttpClient(server.url).get("/")
    assert r.status_code == 200 and "werkzeug" not in r.headers.get("Server", "").lower()
    children = server.children()
    assert len(children["web"]) == 2 and len(children["outbox"]) == 1, children


def test_api_walks_alternate_between_workers_and_lose_nothing(server, local):
    workers = set()
    for _ in range(3):
        local.extensions["govflow"].env.services.simulator_state.reset()
        client = HttpClient(server.url)                       # a new connection per request
        walker = ApiWalker(client, local)
        _to_confirm(walker)
        body = walker.act("confirm", "submit", expect=200)
        assert body["status"] == "submitted" and walker.state()["reference"]
        workers |= _served_by(client)
    assert len(workers) == 2, workers                         # both workers answered parts of the walks


def test_html_walk_across_workers(server, local):
    from test_html_walks import _to_confirm as html_to_confirm
    client = HttpClient(server.url)
    web = HtmlWalker(client, local)
    html_to_confirm(web, phone=next(PHONES))
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/success")
    page = web.get("success").get_data(as_text=True)
    assert 'class="reference"' in page and "正在办理" not in page
    assert len(_served_by(client)) == 2


def test_a_worker_restarted_mid_walk_loses_nothing(server, local):
    walker = ApiWalker(HttpClient(server.url), local)
    walker.walk_to_info()
    before = server.children()["web"]
    for pid in before:                                        # every web worker, one after the other
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 30
        while pid in server.children()["web"] or len(server.children()["web"]) < 2:
            assert time.time() < deadline, "gunicorn did not replace the worker"
            time.sleep(0.2)
    assert not set(before) & set(server.children()["web"])
    assert walker.state()["page"] == "info"                  # the draft, the face check, the session: all there
    assert walker.info_page(phone=next(PHONES))["page"] == "pickup"
    assert walker.pickup_branch()["page"] == "confirm"
    assert walker.act("confirm", "submit", expect=200)["status"] == "submitted"


def test_ten_concurrent_submits_across_workers_one_reference_one_back_end_call(server, local):
    walker = ApiWalker(HttpClient(server.url), local)
    _to_confirm(walker)
    clients = [HttpClient(server.url) for _ in range(10)]

    def submit(i):
        r = clients[i].post(f"/api/v1/applications/{walker.id}/pages/confirm/actions/submit",
                            json={}, headers=walker.headers)
        return r.status_code, r.get_json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(submit, range(10)))
    assert all(status in (200, 202) for status, _ in results), results
    assert len(set().union(*(_served_by(c) for c in clients))) == 2
    deadline = time.time() + 20
    while walker.state()["status"] != "submitted":
        assert time.time() < deadline, walker.state()
        time.sleep(0.2)
    references = {body.get("reference") for _, body in results if body.get("status") == "submitted"}
    assert references <= {walker.state()["reference"], None}
    assert connector_calls(local.extensions["govflow"], "card_application")[walker.id] == 1


def test_a_publication_switches_every_worker_at_its_time_without_a_restart(server, local):
    """Published in another process for 5 seconds ahead: both gunicorn workers serve the old flow
    title until then and the new one after (each looks at most once a second), with no restart."""
    from datetime import timedelta

    from apptools import publish_edits
    client = HttpClient(server.url)

    def titles() -> dict[str, set[str]]:
        seen: dict[str, set[str]] = {}
        for _ in range(12):
            flows = client.get("/api/v1/flows").get_json()["flows"]
            title = next(f["title"] for f in flows if f["id"] == "sscard_adult")
            seen.setdefault(client.served_by[-1], set()).add(title)
        return seen

    before = titles()
    assert len(before) == 2 and all(t == {"社保卡申领"} for t in before.values()), before
    store = local.extensions["govflow"].env.store
    publish_edits(local, {"flows/sscard_adult.yaml": [("title: 社保卡申领\n", "title: 社会保障卡申领\n")]},
                  at=store.now() + timedelta(seconds=5))
    assert all(t == {"社保卡申领"} for t in titles().values())            # not yet: its time has not come
    pids = set(children := server.children()["web"])
    deadline = time.monotonic() + 30
    while True:
        seen = titles()
        if set(seen) == {str(p) for p in pids} and all(t == {"社会保障卡申领"} for t in seen.values()):
            break
        assert time.monotonic() < deadline, seen
        time.sleep(0.5)
    assert set(server.children()["web"]) == set(children)                 # the same workers: no restart
