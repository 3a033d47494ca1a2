"""The audit log (/staff/events, web/staff_audit.py): every login, search, reveal and export is in
it and in its CSV/XLSX; filters by actor, action, application and date; paging; only for auditors."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from test_staff_pages import login, text

pytestmark = pytest.mark.both_databases


def signed_in(app, user="staff", password="staff-demo"):
    client = app.test_client()
    assert login(client, user, password).status_code == 302
    return client


def csrf_of(client) -> str:
    return re.search(r'name="_csrf" value="([^"]+)"', client.get("/staff/").get_data(as_text=True)).group(1)


def events_csv(client, **query) -> list[dict]:
    r = client.get("/staff/events.csv", query_string=query)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(r.get_data().decode("utf-8-sig"))))


def listed(response) -> list[str]:
    return re.findall(r'<tr data-action="([a-z_]+)"', response.get_data(as_text=True))


def test_every_login_search_reveal_and_export_is_in_the_log_and_its_csv(app, api):
    api.create()
    api.verify("mainland_adult")                                # a case with a name to reveal
    store = app.extensions["govflow"].env.store
    identity = store.applications.get(api.id).context["identity"]
    worker = signed_in(app, "caseworker", "caseworker-demo")
    assert worker.get("/staff/applications", query_string={"q": identity["id_number"]}).status_code == 200
    assert worker.get("/staff/applications", query_string={"q": identity["name"]}).status_code == 200
    shown = worker.post(f"/staff/applications/{api.id}/reveal",
                        data={"_csrf": csrf_of(worker), "field": "identity.name", "reason": "本人来电核对"})
    assert shown.status_code == 200
    assert worker.get("/staff/applications.xlsx", query_string={"status": "draft"}).status_code == 200
    auditor = signed_in(app)
    page = auditor.get("/staff/events")
    assert page.status_code == 200
    actions = listed(page)
    assert actions[:6] == ["login", "export", "reveal", "search", "search", "login"]    # newest first
    body = text(page)
    assert "查找申请" in body and "查看明文" in body and "导出" in body and "登录" in body
    assert "by=id_number" in body and "by=name" in body and "本人来电核对" in body
    for personal in (identity["id_number"], identity["name"]):
        assert personal not in page.get_data(as_text=True)
    rows = events_csv(auditor)
    assert [r["操作"] for r in rows[:6]] == ["登录", "导出", "查看明文", "查找申请", "查找申请", "登录"]
    assert rows[2]["申请"] == api.id and "本人来电核对" in rows[2]["说明"] and rows[2]["账号"] == "caseworker"
    assert '"by": "id_number"' in rows[4]["说明"] and '"hits": 1' in rows[4]["说明"]
    assert '"format": "xlsx"' in rows[1]["说明"] and '"filters": {"status": "draft"}' in rows[1]["说明"]
    raw = auditor.get("/staff/events.csv").get_data().decode("utf-8-sig")
    for personal in (identity["id_number"], identity["name"]):
        assert personal not in raw
    # the log's exports are events too, and show in the next export
    newest = events_csv(auditor)[0]
    assert newest["操作"] == "导出" and '"what": "events"' in newest["说明"] and '"format": "csv"' in newest["说明"]
    book = load_workbook(io.BytesIO(auditor.get("/staff/events.xlsx", query_string={"action": "reveal"}).get_data()))
    head, *xrows = list(book.active.iter_rows(values_only=True))
    assert [r[head.index("操作")] for r in xrows] == ["查看明文"] and isinstance(xrows[0][0], datetime)
    [last] = store.staff_events.list(limit=1)
    assert last.action == "export" and last.detail == {"what": "events", "format": "xlsx", "rows": 1,
                                                       "filters": {"action": "reveal"}, "truncated": False}


def test_filters_and_paging(app):
    store = app.extensions["govflow"].env.store
    day = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)         # Beijing 12:00
    app_id = "a" * 32
    for n in range(60):
        store.staff_events.record("alice", "search", detail={"by": "reference", "hits": n},
                                  now=day + timedelta(minutes=n))
    store.staff_events.record("bob", "reveal", application_id=app_id, detail={"field": "x", "reason": "核对"},
                              now=day + timedelta(days=2))
    store.staff_events.record("bob", "export", detail={"what": "applications"}, now=day + timedelta(days=3))
    auditor = signed_in(app)
    assert listed(auditor.get("/staff/events", query_string={"actor": "bob"})) == ["export", "reveal"]
    assert listed(auditor.get("/staff/events", query_string={"application": app_id})) == ["reveal"]
    assert listed(auditor.get("/staff/events", query_string={"from": "2026-11-22", "to": "2026-11-22"})) == ["reveal"]
    first = auditor.get("/staff/events", query_string={"action": "search"})
    assert len(listed(first)) == 50 and "共 60 条" in text(first) and "第 1 页，共 2 页" in text(first)
    nxt = re.search(r'<a href="([^"]+)"[^>]*rel="next"', first.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert "action=search" in nxt
    assert len(listed(auditor.get(nxt))) == 10
    rows = events_csv(auditor, actor="alice", to="2026-11-20")
    assert len(rows) == 60 and {r["账号"] for r in rows} == {"alice"}
    for query, words in (({"from": "2026-02-30"}, "不是有效的日期"), ({"application": "x"}, "不是申请编号"),
                         ({"page": "0"}, "页码"), ({"actor": "<script>"}, "不是工作人员账号"),
                         ({"from": "2026-11-23", "to": "2026-11-22"}, "开始日期不能晚于结束日期")):
        r = auditor.get("/staff/events", query_string=query)
        assert r.status_code == 400 and words in text(r), query
        assert auditor.get("/staff/events.csv", query_string=query).status_code == 400


def test_only_auditors_read_and_export_the_log(app):
    worker = signed_in(app, "caseworker", "caseworker-demo")
    for url in ("/staff/events", "/staff/events.csv", "/staff/events.xlsx"):
        r = worker.get(url)
        assert r.status_code == 403 and "审计人员" in text(r), url
    nav = worker.get("/staff/applications").get_data(as_text=True)
    assert 'href="/staff/events"' not in nav and 'href="/staff/dashboard"' in nav
    assert 'href="/staff/events"' in signed_in(app, "reviewer", "reviewer-demo").get("/staff/").get_data(as_text=True)
    store = app.extensions["govflow"].env.store
    refusals = [(e.actor, e.detail) for e in store.staff_events.list() if e.action == "forbidden"]
    assert refusals == [("caseworker", {"permission": "audit.export"})] * 2 + [
        ("caseworker", {"permission": "audit.view"})]


def test_opening_a_case_is_in_the_log_and_a_reference_search_says_so(app, api):
    """Who looked at which case (even masked) is recorded; a search that found a case by its
    受理编号 says `by=reference`, whatever the number looks like (never the text itself)."""
    api.create()
    api.verify("mainland_adult")
    store = app.extensions["govflow"].env.store
    case = store.applications.get(api.id)
    case.reference = "SQ0000000042"            # looks like an ID number (two letters and digits)
    store.applications.save(case)
    worker = signed_in(app, "caseworker", "caseworker-demo")
    assert worker.get(f"/staff/applications/{api.id}").status_code == 200
    assert worker.get("/staff/applications", query_string={"q": "SQ0000000042"}).status_code == 200
    [search, view] = store.staff_events.list(limit=2)
    assert (view.action, view.actor, view.application_id) == ("view", "caseworker", api.id)
    assert search.action == "search" and search.detail == {"what": "applications", "by": "reference", "hits": 1}
    assert "查看申请（脱敏）" in text(signed_in(app).get("/staff/events", query_string={"action": "view"}))

