"""One step is one unit of work: one commit, concurrent saves of one draft end in one saved
state with clear messages, and errors become Chinese pages or problem+json, never a 500."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event

from govflow import catalog
from walkers import HtmlWalker

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)

BRANCH_PICKUP = {"pickup_method": "branch"}


class Commits:
    """Counts COMMITs the database receives (a SQLAlchemy engine event)."""

    def __init__(self, engine):
        self.count = 0
        self._lock = threading.Lock()
        event.listen(engine, "commit", self._seen)
        self.engine = engine

    def _seen(self, _conn):
        with self._lock:
            self.count += 1

    def close(self):
        event.remove(self.engine, "commit", self._seen)


@pytest.fixture
def commits(app):
    counter = Commits(app.extensions["govflow"].env.store.engine)
    yield counter
    counter.close()


def test_an_api_step_post_commits_once(api, commits):
    api.walk_to_confirm()
    pickup = {**BRANCH_PICKUP, "branch_id": api.branch()}
    commits.count = 0
    assert api.act("pickup", "next", pickup, expect=200)["page"] == "confirm"
    assert commits.count == 1
    commits.count = 0
    api.act("pickup", "next", {"pickup_method": "nonsense"}, expect=422)   # refused answers: decisions kept
    assert commits.count == 1
    commits.count = 0
    api.page("pickup")                                # a read commits nothing
    assert commits.count == 0


def test_an_html_step_post_commits_once(client, app, commits):
    web = HtmlWalker(client, app)
    web.start()
    web.get("guide")
    commits.count = 0
    web.post("guide", "start", {"consent": "true"}, expect=302)     # → face verification hand-off
    assert commits.count == 1


def test_ten_concurrent_api_saves_of_one_page_end_in_one_state(api, app):
    api.walk_to_confirm()
    branches = [b["id"] for b in api.client.get("/api/v1/branches", query_string={"q": "广州"}).get_json()["branches"]]
    assert len(branches) >= 2
    clients = [app.test_client() for _ in range(10)]

    def save(i):
        r = clients[i].post(f"/api/v1/applications/{api.id}/pages/pickup/actions/next", headers=api.headers,
                            json={**BRANCH_PICKUP, "branch_id": branches[i % len(branches)]})
        return r.status_code, r.get_json()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(save, range(10)))
    assert [status for status, _ in results] == [200] * 10, results
    state = api.state()
    revisions = sorted(body["revision"] for _, body in results)
    assert revisions == list(range(revisions[0], revisions[0] + 10))     # one after the other, none lost
    assert state["page"] == "confirm" and state["revision"] == revisions[-1]
    last = results[[body["revision"] for _, body in results].index(revisions[-1])]
    saved = app.extensions["govflow"].env.store.applications.get(api.id).answers["pickup"]["branch_id"]
    assert saved == branches[results.index(last) % len(branches)]      # the last save is the state


def test_concurrent_saves_with_if_match_give_one_winner_and_409s(api, app):
    api.walk_to_confirm()
    revision = api.client.get(f"/api/v1/applications/{api.id}", headers=api.headers).headers["ETag"]
    branch = api.branch()
    clients = [app.test_client() for _ in range(10)]

    def save(i):
        r = clients[i].post(f"/api/v1/applications/{api.id}/pages/pickup/actions/next",
                            headers={**api.headers, "If-Match": revision},
                            json={**BRANCH_PICKUP, "branch_id": branch})
        return r.status_code, r.get_json(), r.mimetype

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(save, range(10)))
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] + [409] * 9, statuses
    for status, body, mimetype in results:
        if status == 409:
            assert mimetype == "application/problem+json"
            assert body["errors"][0]["code"] == "application.stale"
            assert body["errors"][0]["message"] == "该申请已在其他页面更新，请核对后继续"


def test_two_tabs_saving_one_draft_the_second_is_told_and_keeps_its_input(client, app):
    from test_html_walks import _to_confirm
    web = HtmlWalker(client, app)
    _to_confirm(web)
    tab_a = web.get("pickup").get_data(as_text=True)
    revision = int(__import__("re").search(r'name="_revision" value="(\d+)"', tab_a).group(1))
    branch = web.journey.env.services.branches.search(None, "天河")[0].id
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": branch}, _revision=str(revision), expect=302)
    other = web.journey.env.services.branches.search(None, "南山")[0].id
    r = web.post("pickup", "next", {"pickup_method": "branch", "branch_id": other}, _revision=str(revision))
    assert r.status_code == 409
    page = web.text()
    assert "该申请已在其他页面更新，请核对后继续" in page
    assert f'value="{other}"' in page                               # what the second tab entered is still there
    assert web.journey.env.store.applications.get(web.id).answers["pickup"]["branch_id"] == branch
    fresh = int(__import__("re").search(r'name="_revision" value="(\d+)"', page).group(1))
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": other}, _revision=str(fresh), expect=302)
    assert web.journey.env.store.applications.get(web.id).answers["pickup"]["branch_id"] == other


@pytest.mark.parametrize("path,method,status,text", [
    ("/no/such/page", "get", 404, "没有找到该页面"),
    ("/", "post", 405, "不支持该操作方式"),
])
def test_http_errors_are_chinese_pages_in_the_layout(client, path, method, status, text):
    r = getattr(client, method)(path)
    assert r.status_code == status
    body = r.get_data(as_text=True)
    assert text in body and 'lang="zh-CN"' in body and "Werkzeug" not in body and "Not Found" not in body


def test_too_large_body_is_a_chinese_page(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    web = HtmlWalker(client, app)
    web.start()
    r = client.post(f"/a/{web.id}/upload", data={"_csrf": web._csrf(), "x": "y" * 4096})
    assert r.status_code == 413
    body = r.get_data(as_text=True)
    assert catalog.text("request.too_large", limit="0.0MB") in body and 'lang="zh-CN"' in body


def test_api_errors_are_problem_json(client, api):
    r = client.get("/api/v1/flows/nope")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert r.get_json()["errors"][0]["code"] == "flow.unknown"
    api.create()
    r = client.post(f"/api/v1/applications/{api.id}/pages/guide/actions/start", data="[1]",
                    content_type="application/json", headers=api.headers)
    assert r.status_code == 400 and r.get_json()["errors"][0]["code"] == "request.not_json"


@pytest.mark.server_error_expected
def test_unexpected_error_is_logged_and_answered_in_chinese(app, client, api, caplog, monkeypatch):
    api.create()
    journey = app.extensions["govflow"]

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(type(journey), "act", broken)
    r = client.post(f"/api/v1/applications/{api.id}/pages/guide/actions/start", json={"consent": True},
                    headers=api.headers)
    assert r.status_code == 500 and r.get_json()["errors"][0]["code"] == "http.500"
    assert "系统繁忙" in r.get_json()["title"]
    assert any("boom" in (rec.exc_text or "") or rec.exc_info for rec in caplog.records)


def test_archived_bundle_that_cannot_be_read_is_a_503_not_a_500(app, client, api, monkeypatch):
    api.create()
    journey = app.extensions["govflow"]
    store = journey.env.store
    app_record = store.applications.get(api.id)
    app_record.context["bundle"] = "000000000000"          # a version the archive does not have
    with store.transaction():
        store.applications.save(app_record)
    r = client.get(f"/api/v1/applications/{api.id}", headers=api.headers)
    assert r.status_code == 503 and r.get_json()["errors"][0]["code"] == "definitions.unavailable"


@pytest.mark.server_error_expected       # the deliverer logs the adapter's exception with its traceback
def test_an_adapter_that_raises_on_cleanup_is_a_failed_submission_not_a_500(api, monkeypatch):
    api.create()
    api.verify("two_cards")
    assert api.eligibility(expect=409)["step"] == "redirect"
    cleanup = api.client.post(f"/api/v1/applications/{api.id}/redirect", headers=api.headers).get_json()
    api.id = cleanup["application"]

    def broken(*args, **kwargs):
        raise ConnectionResetError("the outside system hung up")
    monkeypatch.setattr(api.journey.env.connectors.implementation, "call", broken)
    api.journey.deliverer.policy.max_tries = 1
    api.act("guide", "start", {"consent": True}, expect=200)
    api.act("cards", "next", expect=200)
    body = api.act("confirm", "clean", expect=502)
    assert body["step"] == "failed" and body["page"] == "failure"


def test_a_look_up_that_cannot_be_answered_is_a_chinese_message_and_keeps_the_answers(api, monkeypatch):
    from govflow.connectors.model import LookupFailed
    api.create()
    api.verify("mainland_adult")

    def down(*args, **kwargs):
        raise LookupFailed("connector.unavailable", "timed out")
    monkeypatch.setattr(api.journey.env.connectors.implementation, "lookup", down)
    api.journey.env.store.applications.get(api.id)
    body = api.eligibility(expect=422)
    assert [e["code"] for e in body["errors"]] == ["lookup.unavailable"]
    assert "暂时无法查询" in body["errors"][0]["message"] and "已保留" in body["errors"][0]["message"]
    monkeypatch.undo()
    assert api.eligibility()["page"] == "upload"          # the system is back: the same answers go on


def test_message_catalogue_has_no_key_twice():
    """YAML keeps the last of two equal keys silently: a second entry would replace the first."""
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / "platform/govflow/messages/zh_CN.yaml").read_text("utf-8")
    keys = re.findall(r"^([A-Za-z0-9_.]+):", text, re.M)
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_ten_tabs_posting_one_html_page_at_once_one_saves_the_others_are_told(client, app, caplog):
    """Ten browser tabs rendered at the same revision post the same page together (threads):
    one is saved, nine get the page again with their input and the message; nothing is logged
    as an error and no answer is a 5xx."""
    import re

    from test_html_walks import _to_confirm
    web = HtmlWalker(client, app)
    _to_confirm(web)
    page = web.get("pickup").get_data(as_text=True)
    revision = re.search(r'name="_revision" value="(\d+)"', page).group(1)
    branches = [b.id for b in web.journey.env.services.branches.search(None, "广州")][:10]
    cookie = client.get_cookie("session")
    tabs = []
    for _ in range(10):
        tab = app.test_client()
        tab.set_cookie(cookie.key, cookie.value)
        tabs.append(tab)

    def post(i):
        r = tabs[i].post(f"/a/{web.id}/pickup", content_type="multipart/form-data",
                         data={"_csrf": web._csrf(), "_action": "next", "_revision": revision,
                               "pickup_method": "branch", "branch_id": branches[i % len(branches)]})
        return r.status_code, r.get_data(as_text=True), branches[i % len(branches)]

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(post, range(10)))
    assert sorted(status for status, _, _ in results) == [302] + [409] * 9
    for status, body, branch in results:
        if status == 409:
            assert "该申请已在其他页面更新，请核对后继续" in body and f'value="{branch}"' in body
    winner = next(branch for status, _, branch in results if status == 302)
    assert web.journey.env.store.applications.get(web.id).answers["pickup"]["branch_id"] == winner
    assert [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []


def test_each_verify_kind_says_what_it_reads():
    from govflow.definitions.model import VERIFY_READS
    from govflow.journey.verifiers import VERIFIERS
    assert VERIFIERS.keys() == VERIFY_READS.keys()


def test_a_step_asks_the_registry_only_where_the_page_reads_it(api, app, monkeypatch):
    """领卡方式 (a branch is looked up in the branch list) does not ask the registry again; the
    eligibility page (its rule reads the cards the registry holds) does."""
    api.walk_to_confirm()
    implementation = app.extensions["govflow"].env.connectors.implementation
    asked = []
    original = implementation.lookup
    monkeypatch.setattr(implementation, "lookup",
                        lambda lookup, inputs: asked.append(inputs) or original(lookup, inputs))
    api.act("pickup", "next", {**BRANCH_PICKUP, "branch_id": api.branch()}, expect=200)
    assert asked == []
    api.act("eligibility", "check", {"issuing_city": "440100"}, expect=200)
    assert len(asked) == 1
