"""The staff dashboards: figures from the applications and the decision trail (store/dashboard.py),
and the page that shows them as charts and tables (web/staff_dashboard.py)."""
from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govflow.store.dashboard import Period, applications, figures, refusals, submission_failures
from govflow.store.staff import StaffAccounts
from test_staff_pages import login, text
from walkers import ApiWalker, HtmlWalker

both = pytest.mark.both_databases          # [sqlite] and [postgresql] (conftest.py)
UTC = timezone.utc


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026, given in UTC (Beijing is eight hours later)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def _app(store, flow, version, created, status="draft", changed=None):
    app = store.applications.create(flow, "owner", version, {"rs": "1"}, now=created)
    if status != "draft" or changed is not None:
        app.status = status
        store.applications.save(app, now=changed or created)
    return app


@both
def test_applications_per_flow_version_in_beijing_days(store):
    now = at(30, 2)
    _app(store, "flow_a", "v1", at(19, 16, 30), "submitted", at(19, 17))   # 11-20 00:30 in Beijing
    _app(store, "flow_a", "v1", at(20, 3), changed=at(29, 3))              # a draft changed yesterday
    _app(store, "flow_a", "v1", at(20, 4))                                 # untouched for ten days
    _app(store, "flow_a", "v2", at(20, 15, 59), "processing", at(20, 16))  # 11-20 23:59 in Beijing
    _app(store, "flow_a", "v2", at(20, 16))                                # 11-21 00:00: outside
    _app(store, "flow_b", "v1", at(19, 15), "submitted", at(19, 15, 5))    # 11-19 23:00: outside
    nov20 = Period(date(2026, 11, 20), date(2026, 11, 20))
    found = {(f.flow_id, f.flow_version): f for f in applications(store, nov20, None, timedelta(days=7), now)}
    assert set(found) == {("flow_a", "v1"), ("flow_a", "v2")}
    v1, v2 = found["flow_a", "v1"], found["flow_a", "v2"]
    assert (v1.started, v1.finished, v1.in_progress, v1.abandoned) == (3, 1, 1, 1)
    assert (v2.started, v2.finished, v2.in_progress, v2.abandoned) == (1, 0, 1, 0)
    # the threshold: after 12 days nothing is abandoned yet; no period: every day; one flow only
    longer = applications(store, nov20, None, timedelta(days=12), now)
    assert sum(f.abandoned for f in longer) == 0
    everything = applications(store, Period(), None, timedelta(days=7), now)
    assert sum(f.started for f in everything) == 6 and sum(f.abandoned for f in everything) == 2
    only_b = applications(store, Period(end=date(2026, 11, 19)), "flow_b", timedelta(days=7), now)
    assert [(f.flow_id, f.started, f.finished) for f in only_b] == [("flow_b", 1, 1)]
    assert applications(store, Period(start=date(2026, 11, 21)), "flow_b", timedelta(days=7), now) == []


def _decide(store, app, ruleset, outcome, moment, version="3", flow="flow_a"):
    store.decisions.record(app.id, ruleset, version, flow, "v1", list(outcome.get("outcomes") or []), outcome, {},
                           at=moment)


@both
def test_refusals_by_rule_and_failed_submissions_by_reason(store):
    one, two = _app(store, "flow_a", "v1", at(20, 3)), _app(store, "flow_a", "v1", at(20, 3))
    other = _app(store, "flow_b", "v1", at(20, 3))
    refuse = {"refuse": {"message": "不符合条件"}}
    _decide(store, one, "elig", {"when": "p.a", "outcomes": {"R-1": refuse, "R-2": {"redirect": {"flow": "x"}}}},
            at(20, 4))
    _decide(store, one, "elig", {"when": "p.a", "outcomes": {"R-1": refuse}}, at(20, 5))
    _decide(store, two, "elig", {"when": "p.a", "outcomes": {"R-1": refuse}}, at(20, 6), version="4")
    _decide(store, other, "elig", {"when": "p.a", "outcomes": {"R-3": refuse}}, at(20, 6), flow="flow_b")
    _decide(store, one, "elig", {"when": "p.a", "outcomes": {"R-1": refuse}}, at(22, 4))      # another day
    submit = "submit:send_it"
    for moment, outcome in [(at(20, 7), {"queued": "k", "attempt": 1}),
                            (at(20, 7, 1), {"attempt": 1, "status": "pending", "reason_code": "down", "reason": "忙"}),
                            (at(20, 7, 2), {"attempt": 2, "status": "rejected", "reason_code": "no", "reason": "旧"}),
                            (at(20, 8), {"attempt": 3, "status": "rejected", "reason_code": "no", "reason": "新"}),
                            (at(20, 9), {"attempt": 4, "status": "delivered", "reference": "R1"})]:
        _decide(store, one, submit, outcome, moment, version="-")
    _decide(store, other, submit, {"attempt": 5, "status": "failed", "reason_code": "down", "reason": "超时"},
            at(20, 9), version="-", flow="flow_b")
    nov20 = Period(date(2026, 11, 20), date(2026, 11, 20))
    refused, cut = refusals(store, nov20)
    assert not cut
    assert [(r.ruleset, r.ruleset_version, r.rule_id, r.refusals, len(r.applications)) for r in refused] == [
        ("elig", "3", "R-1", 2, 1), ("elig", "3", "R-3", 1, 1), ("elig", "4", "R-1", 1, 1)]
    assert [(r.rule_id, r.refusals) for r in refusals(store, nov20, "flow_b")[0]] == [("R-3", 1)]
    assert sum(r.refusals for r in refusals(store, Period())[0]) == 5
    failed = {(f.operation, f.reason_code): f for f in submission_failures(store, nov20)[0]}
    assert set(failed) == {("send_it", "no"), ("send_it", "down")}
    assert failed["send_it", "no"].counts == {"rejected": 2, "failed": 0, "pending": 0}
    assert failed["send_it", "no"].reason == "新" and failed["send_it", "no"].last_at == at(20, 8)
    assert failed["send_it", "down"].counts == {"rejected": 0, "failed": 1, "pending": 1}
    assert len(failed["send_it", "down"].applications) == 2
    assert submission_failures(store, Period(start=date(2026, 11, 21)))[0] == []
    # at most `scan` rows are read, newest first, and the figures say so
    few = figures(store, nov20, None, timedelta(days=7), now=at(30, 2), scan=2)
    assert few.truncated and sum(r.refusals for r in few.refusals) == 2


def test_a_period_is_beijing_days_both_included():
    first, after = Period(date(2026, 11, 20), date(2026, 11, 21)).bounds()
    assert first == at(19, 16) and after == at(21, 16)
    assert Period().bounds() == (None, None)


# -- from real walks ------------------------------------------------------------------------------
@pytest.fixture
def staff(app):
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def test_a_rule_that_refuses_a_walk_is_counted_and_named(app, staff):
    api = ApiWalker(app.test_client(), app)
    api.walk_to_info("mainland_adult")                            # 31 when the ID card was issued
    api.info_page(long_term=True, expect=422)                     # refused: no long-term card under 46
    env = app.extensions["govflow"].env
    refused, _ = refusals(env.store, Period())
    assert [(r.ruleset, r.rule_id, r.refusals, r.applications) for r in refused] == \
        [("id_card_validity", "ID-004", 1, {api.id})]
    title = next(rule.title for rule in env.rulebook.rulesets["id_card_validity"].rules if rule.id == "ID-004")
    page = staff.get("/staff/dashboard")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'href="/staff/rules/id_card_validity#ID-004"' in body and f"ID-004 {title}" in text(page)
    started = re.search(r'data-figure="applications".*?</table>', body, re.S).group(0)
    assert "sscard_adult" in started
    chart = re.search(r"<canvas id=\"chart-refusals\" data-chart='([^']*)'", body)
    data = json.loads(html.unescape(chart.group(1)))             # the numbers in an attribute: no inline script
    version = env.rulebook.rulesets["id_card_validity"].version
    assert data["labels"] == [["ID-004", version]] and data["datasets"][0]["data"] == [1]


def test_a_rejected_then_delivered_submission_shows_the_back_ends_reason(app, staff):
    api = ApiWalker(app.test_client(), app)
    api.walk_to_confirm("rejected_once")                           # the card back end refuses the first
    api.act("confirm", "submit", expect=502)
    api.act("failure", "resubmit")
    assert api.act("confirm", "submit", expect=200)["status"] == "submitted"
    env = app.extensions["govflow"].env
    failed, _ = submission_failures(env.store, Period())
    assert len(failed) == 1
    (one,) = failed
    assert one.counts == {"rejected": 1, "failed": 0, "pending": 0} and one.applications == {api.id}
    last = next(d for d in env.store.decisions.for_application(api.id) if d.outcome.get("status") == "rejected")
    assert one.reason_code == last.outcome["reason_code"] and one.reason == last.outcome["reason"]
    assert one.operation == last.ruleset.split(":", 1)[1]
    found = figures(env.store, Period(), "sscard_adult", timedelta(days=7))
    assert [(f.started, f.finished, f.in_progress, f.abandoned) for f in found.applications] == [(1, 1, 0, 0)]
    shown = text(staff.get("/staff/dashboard?flow=sscard_adult"))
    assert one.reason_code in shown and one.reason in shown


# -- the page -------------------------------------------------------------------------------------
def _account(app, name, roles):
    StaffAccounts(app.extensions["govflow"].env.store).add(name, f"{name}-password", roles=roles)
    client = app.test_client()
    assert login(client, name, f"{name}-password").status_code == 302
    return client


def test_an_auditor_reads_the_dashboard_and_an_editor_is_refused(app):
    auditor = _account(app, "audrey", ["auditor"])
    page = auditor.get("/staff/dashboard")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    shown = text(page)
    assert "统计看板" in shown and "申请情况（按流程版本）" in shown and "规则拒绝（按规则）" in shown
    assert "草稿超过7天没有改动" in shown and "30天没有改动即按保留期限删除" in shown
    body = page.get_data(as_text=True)
    assert 'src="/static/vendor/chart.umd.min.js"' in body and 'src="/static/staff_charts.js"' in body
    editor = _account(app, "eve", ["editor"])
    refused = editor.get("/staff/dashboard")
    assert refused.status_code == 403 and "没有权限" in text(refused)


@pytest.mark.parametrize("query, says", [
    ("from=2026-13-01", "开始日期“2026-13-01”不是有效的日期"),
    ("to=yesterday", "结束日期“yesterday”不是有效的日期"),
    ("from=2026-11-27&to=2026-11-01", "开始日期不能晚于结束日期"),
    ("flow=nope", "没有编号为“nope”的流程"),
])
def test_bad_filters_are_a_chinese_error_and_keep_what_was_typed(staff, query, says):
    page = staff.get(f"/staff/dashboard?{query}")
    assert page.status_code == 400 and says in text(page)
    body = page.get_data(as_text=True)
    for name, value in (part.split("=") for part in query.split("&")):
        if name != "flow":
            assert f'name="{name}" value="{value}"' in body
    assert 'id="chart-' not in body


def test_good_dates_narrow_the_figures(app, staff):
    web = HtmlWalker(app.test_client(), app)
    web.start()
    today = app.extensions["govflow"].env.store.now().astimezone(timezone(timedelta(hours=8))).date()
    shown = staff.get(f"/staff/dashboard?from={today}&to={today}").get_data(as_text=True)
    assert "sscard_adult" in re.search(r'data-figure="applications".*?</table>', shown, re.S).group(0)
    earlier = staff.get(f"/staff/dashboard?to={today - timedelta(days=1)}").get_data(as_text=True)
    assert 'data-figure="applications"' not in earlier and "这段时间没有记录" in earlier


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.text(max_size=30), end=st.text(max_size=30), flow=st.text(max_size=20))
def test_any_filter_input_is_a_page_never_a_500(staff, start, end, flow):
    page = staff.get("/staff/dashboard", query_string={"from": start, "to": end, "flow": flow})
    assert page.status_code in (200, 400)


def test_the_chart_library_is_served_from_the_app(client):
    r = client.get("/static/vendor/chart.umd.min.js")
    assert r.status_code == 200 and b"Chart.js v4" in r.data
    assert client.get("/static/staff_charts.js").status_code == 200
