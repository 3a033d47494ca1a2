"""The back office's case list (store/cases.py, web/staff_cases.py): search by 受理编号, id, ID number
(keyed hash) and name; filters, sorting and paging; counts; errors as data; the CSV and XLSX exports
with the current filters, masked unless the exporter has the right and gives a reason."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from govflow.store.cases import CaseQuery, find_cases, query_kind
from test_staff_pages import login, text

pytestmark = pytest.mark.both_databases

# Beijing 2026-11-20 10:00 and the following days
DAY0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
CHILD_ID, ADULT_ID = "440106201503071234", "44010619800101123X"


def make_case(store, n: int, flow="sscard_adult", status="draft", reference=None, name=None, id_number=None,
              child=None, days=0, decisions=()):
    """An application as the journey leaves it: identity and subject in its context, decisions recorded."""
    context = {"bundle": "b1"}
    if name:
        context["identity"] = {"name": name, "id_number": id_number}
    if child:
        context["subject"] = child[1]
        context["subject_person"] = {"name": child[0], "id_number": child[1]}
    at = DAY0 + timedelta(days=days, minutes=n)
    app = store.applications.create(flow, f"owner-{n}", "1.0", {"pickup": "1"}, context=context, now=at,
                                    person_key=store.person_key(id_number) if id_number else None)
    if status != "draft" or reference:
        app.status, app.reference = status, reference
        store.applications.save(app, now=at + timedelta(hours=1))
    for ruleset, rule_ids, outcome in decisions:
        store.decisions.record(app.id, ruleset, "1", flow, "1.0", rule_ids, outcome, {}, at=at)
    return app


REFUSE_ID4 = ("identity", ["ID-004"], {"when": "eligibility", "outcomes": {"ID-004": {"refuse": {"message": "x"}}}})
RESTRICT = ("pickup", ["PICK-001"], {"when": "pickup", "outcomes": {"PICK-001": {"restrict": {"field": "f"}}}})
REJECTED = ("submit:card_application", [], {"attempt": 1, "status": "rejected", "reason": "\"status\": \"failed\""})
DELIVERED = ("submit:card_application", [], {"attempt": 2, "status": "delivered", "reference": "SB1"})


@pytest.fixture
def cases(store):
    made = {
        "huang": make_case(store, 1, status="submitted", reference="SB-2026-0001", name="黄丽华",
                           id_number=ADULT_ID, days=0, decisions=[REFUSE_ID4, REJECTED, DELIVERED]),
        "chen": make_case(store, 2, status="processing", name="陈志明", id_number="440106198805123510", days=1,
                          decisions=[RESTRICT]),
        "minor": make_case(store, 3, flow="sscard_minor", name="王建国", id_number="440106198001011234",
                           child=("王小明", CHILD_ID), days=2),
        "draft": make_case(store, 4, days=3, decisions=[("identity", ["ID-0041"], {"outcomes": {}})]),
    }
    return made


def ids(page) -> set[str]:
    return {a.id for a in page.rows}


def test_search_by_reference_id_id_number_and_name_finds_exactly_that_case(store, cases):
    huang, minor = cases["huang"], cases["minor"]
    for q in ("SB-2026-0001", f"  {huang.id} ", ADULT_ID, ADULT_ID.lower(), "黄丽华", " 黄 丽华 "):
        found = find_cases(store, CaseQuery(q=q))
        assert ids(found) == {huang.id} and found.total == 1, q
    assert ids(find_cases(store, CaseQuery(q=CHILD_ID))) == {minor.id}            # the subject's number
    assert ids(find_cases(store, CaseQuery(q="王小明"))) == {minor.id}             # the subject's name
    assert ids(find_cases(store, CaseQuery(q="440106198001011234"))) == {minor.id}  # the guardian's
    for q in ("黄", "SB-2026", ADULT_ID[:-1], "nobody"):                            # no part matches
        assert find_cases(store, CaseQuery(q=q)).total == 0, q
    assert find_cases(store, CaseQuery()).total == 4


def test_each_filter(store, cases):
    c = cases

    def found(**kw):
        return ids(find_cases(store, CaseQuery(**kw)))
    assert found(flow="sscard_minor") == {c["minor"].id}
    assert found(status="submitted") == {c["huang"].id}
    assert found(status="processing") == {c["chen"].id}
    from datetime import date
    assert found(start=date(2026, 11, 21), end=date(2026, 11, 22)) == {c["chen"].id, c["minor"].id}
    assert found(start=date(2026, 11, 23)) == {c["draft"].id}
    assert found(end=date(2026, 11, 20)) == {c["huang"].id}
    assert found(rule="ID-004") == {c["huang"].id}                  # not ID-0041
    assert found(rule="PICK-001") == {c["chen"].id}
    assert found(rule="ID-00") == set()
    assert found(outcome="refuse") == {c["huang"].id}
    assert found(outcome="restrict") == {c["chen"].id}
    assert found(outcome="rejected") == {c["huang"].id}
    assert found(outcome="failed") == set()                         # only in a reason text
    assert found(outcome="delivered", q="黄丽华") == {c["huang"].id}
    assert found(outcome="redirect") == set()
    page = find_cases(store, CaseQuery(status="draft"))
    assert page.total == 2 and page.by_status == {"draft": 2, "processing": 1, "submitted": 1}
    assert find_cases(store, CaseQuery(flow="sscard_adult")).by_status == {"draft": 1, "processing": 1,
                                                                            "submitted": 1}


def test_paging_and_sorting(store):
    made = [make_case(store, n, days=n) for n in range(25)]
    first = find_cases(store, CaseQuery(per_page=20))
    second = find_cases(store, CaseQuery(per_page=20, page=2))
    assert first.total == second.total == 25 and first.pages == 2
    assert len(first.rows) == 20 and len(second.rows) == 5 and not ids(first) & ids(second)
    assert [a.id for a in first.rows + second.rows] == [a.id for a in reversed(made)]
    oldest = find_cases(store, CaseQuery(sort="created_asc", per_page=50))
    assert [a.id for a in oldest.rows] == [a.id for a in made]
    assert find_cases(store, CaseQuery(page=3)).rows == []
    with pytest.raises(ValueError):
        CaseQuery(per_page=30)
    with pytest.raises(ValueError):
        CaseQuery(sort="id; drop table")


def test_query_kind_never_is_the_text():
    assert query_kind("") is None
    assert query_kind("a" * 32) == "id"
    assert query_kind(ADULT_ID) == "id_number" and query_kind("440106198805123510") == "id_number"
    assert query_kind("黄丽华") == "name"
    assert query_kind("SB-2026-0001") == "reference"


# --- the pages ---------------------------------------------------------------------------------

@pytest.fixture
def store_of(app):
    return app.extensions["govflow"].env.store


def client_for(app, user="staff", password="staff-demo"):
    client = app.test_client()
    assert login(client, user, password).status_code == 302
    return client


def rows_of(response) -> list[str]:
    return re.findall(r'<tr data-id="([0-9a-f]{32})"', response.get_data(as_text=True))


def test_the_list_page_searches_filters_pages_and_records_the_search(app, store_of):
    huang = make_case(store_of, 1, status="submitted", reference="SB-2026-0001", name="黄丽华", id_number=ADULT_ID)
    others = [make_case(store_of, n, days=1) for n in range(2, 24)]
    staff = client_for(app)
    r = staff.get("/staff/applications", query_string={"q": ADULT_ID})
    assert r.status_code == 200 and rows_of(r) == [huang.id]
    assert "黄丽华" not in r.get_data(as_text=True)                    # no personal data in the list
    [event] = [e for e in store_of.staff_events.list() if e.action == "search"]
    assert event.detail == {"what": "applications", "by": "id_number", "hits": 1}
    assert ADULT_ID not in repr(event)
    first = staff.get("/staff/applications", query_string={"status": "draft"})
    assert len(rows_of(first)) == 20 and "共 22 条" in text(first) and "草稿 22" in text(first)
    assert "已提交 1" in text(first)
    nxt = re.search(r'<a href="([^"]+)"[^>]*rel="next"', first.get_data(as_text=True)).group(1)
    assert "status=draft" in nxt and "page=2" in nxt
    second = staff.get(nxt.replace("&amp;", "&"))
    assert len(rows_of(second)) == 2 and not set(rows_of(first)) & set(rows_of(second))
    assert set(rows_of(first) + rows_of(second)) == {a.id for a in others}
    assert not [e for e in store_of.staff_events.list() if e.action == "search" and e.detail["hits"] == 22]


def test_htmx_gets_the_results_only(app, store_of):
    make_case(store_of, 1)
    staff = client_for(app)
    full = staff.get("/staff/applications").get_data(as_text=True)
    assert 'hx-get="/staff/applications"' in full and 'hx-target="#case-results"' in full and "hx-push-url" in full
    part = staff.get("/staff/applications?status=draft", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<form method=\"get\"" not in part and "<html" not in part and "data-id=" in part
    restore = staff.get("/staff/applications", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


@pytest.mark.parametrize("query, words", [
    ({"from": "2026-13-01"}, "不是有效的日期"), ({"to": "yesterday"}, "不是有效的日期"),
    ({"from": "2026-11-28", "to": "2026-11-27"}, "开始日期不能晚于结束日期"),
    ({"status": "closed"}, "没有“closed”这种状态"), ({"page": "0"}, "页码“0”无效"), ({"page": "-1"}, "页码"),
    ({"per_page": "1000"}, "每页条数"), ({"sort": "reference"}, "不能按"), ({"flow": "nope"}, "没有编号为“nope”的流程"),
    ({"rule": "x' OR 1=1"}, "不是规则编号"), ({"outcome": "won"}, "没有“won”这种结果"),
])
def test_bad_filters_are_chinese_errors_keeping_the_other_filters(app, query, words):
    staff = client_for(app)
    r = staff.get("/staff/applications", query_string={**query, "q": "SB-1", "flow": query.get("flow", "sscard_adult")})
    assert r.status_code == 400 and words in text(r)
    body = r.get_data(as_text=True)
    assert 'value="SB-1"' in body
    if "flow" not in query:
        assert '<option value="sscard_adult" selected>' in body


def read_csv(response) -> list[dict]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def read_xlsx(response) -> list[dict]:
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    head, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(head, row, strict=True)) for row in rows]


def _csrf_of(client) -> str:
    page = client.get("/staff/").get_data(as_text=True)
    return re.search(r'name="_csrf" value="([^"]+)"', page).group(1)


def test_exports_have_the_filters_and_are_masked_by_default(app, store_of):
    huang = make_case(store_of, 1, status="submitted", reference="SB-2026-0001", name="黄丽华", id_number=ADULT_ID)
    make_case(store_of, 2, name="陈志明", id_number="440106198805123510")
    minor = make_case(store_of, 3, flow="sscard_minor", status="submitted", name="王建国",
                      id_number="440106198001011234", child=("王小明", CHILD_ID))
    staff = client_for(app, "caseworker", "caseworker-demo")
    r = staff.get("/staff/applications.csv", query_string={"status": "submitted"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = read_csv(r)
    assert {row["申请编号"] for row in rows} == {huang.id, minor.id}
    by_id = {row["申请编号"]: row for row in rows}
    assert by_id[huang.id]["受理编号"] == "SB-2026-0001" and by_id[huang.id]["状态"] == "已提交"
    assert by_id[huang.id]["办理对象姓名（已遮蔽）"] == "黄**"
    assert by_id[minor.id]["办理对象姓名（已遮蔽）"] == "王**"
    assert by_id[minor.id]["办理对象证件号码（已遮蔽）"] == "4401**********1234"
    raw = r.get_data(as_text=True)
    for secret in ("黄丽华", ADULT_ID, CHILD_ID, "王小明", "陈志明"):
        assert secret not in raw
    x = staff.get("/staff/applications.xlsx", query_string={"flow": "sscard_minor"})
    assert x.status_code == 200 and x.mimetype.endswith("spreadsheetml.sheet")
    [row] = read_xlsx(x)
    assert row["申请编号"] == minor.id and row["办理对象姓名（已遮蔽）"] == "王**"
    assert isinstance(row["创建时间"], datetime)
    events = [e for e in store_of.staff_events.list() if e.action == "export"]
    assert [e.detail for e in reversed(events)] == [
        {"what": "applications", "format": "csv", "rows": 2, "filters": {"status": "submitted"}, "personal": False},
        {"what": "applications", "format": "xlsx", "rows": 1, "filters": {"flow": "sscard_minor"}, "personal": False}]
    # a case worker cannot export personal data, with or without a reason
    token = _csrf_of(staff)
    refused = staff.post("/staff/applications.csv", data={"_csrf": token, "personal": "1", "reason": "核对档案需要"})
    assert refused.status_code == 403 and "审计人员" in text(refused)
    assert [e.detail for e in store_of.staff_events.list(limit=1)] == [{"permission": "cases.export_personal"}]


def test_personal_export_needs_the_right_and_a_reason(app, store_of):
    huang = make_case(store_of, 1, status="submitted", reference="SB-2026-0001", name="黄丽华", id_number=ADULT_ID)
    auditor = client_for(app, "reviewer", "reviewer-demo")                   # auditor
    token = _csrf_of(auditor)
    no_reason = auditor.post("/staff/applications.csv?q=SB-2026-0001", data={"_csrf": token, "personal": "1",
                                                                             "reason": " ab "})
    assert no_reason.status_code == 400 and "导出理由" in text(no_reason)
    r = auditor.post("/staff/applications.xlsx?q=SB-2026-0001", data={"_csrf": token, "personal": "1",
                                                                      "reason": "法院调取档案"})
    assert r.status_code == 200
    [row] = read_xlsx(r)
    assert row["申请编号"] == huang.id and row["办理对象姓名"] == "黄丽华" and row["办理对象证件号码"] == ADULT_ID
    [event] = [e for e in store_of.staff_events.list() if e.action == "export"]
    assert event.detail == {"what": "applications", "format": "xlsx", "rows": 1, "filters": {}, "personal": True,
                            "by": "reference", "reason": "法院调取档案"}
    viewer_only = client_for(app, "caseworker", "caseworker-demo")
    assert viewer_only.get("/staff/events").status_code == 403
    assert viewer_only.get("/staff/events.csv").status_code == 403


def test_a_walked_demo_case_is_found_by_its_id_number_and_name(app, api):
    api.create()
    api.verify("mainland_adult")
    record = app.extensions["govflow"].env.store.applications.get(api.id)
    identity = record.context["identity"]
    staff = client_for(app)
    for q in (identity["id_number"], identity["name"], api.id):
        assert rows_of(staff.get("/staff/applications", query_string={"q": q})) == [api.id], q


@pytest.fixture
def signed_in(app):
    return client_for(app)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["q", "flow", "status", "from", "to", "rule", "outcome", "sort", "page",
                                        "per_page"]), st.text(max_size=60)))
def test_no_text_in_the_query_gives_a_500(signed_in, query):
    for url in ("/staff/applications", "/staff/applications.csv", "/staff/events"):
        r = signed_in.get(url, query_string=query)
        assert r.status_code in (200, 400), (url, query, r.status_code)
