"""Policy staff change the definitions on the staff pages: a draft, its checks and diff, review by a
second person, publication at an effective time (every request after it, in every worker, gets the
new bundle; drafts under way keep theirs), the history, roll-back; refusals in Chinese."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from apptools import BRANCH_ONLY_UNDER_60, follow
from govflow import catalog
from govflow.formats import SHANGHAI
from govflow.store.staff import StaffAccounts
from test_staff_pages import login, text
from walkers import ApiWalker

CLOCKED = True
RULE = "rules/pickup.yaml"
TITLE = ("title: 社保卡申领\n", "title: 社会保障卡申领\n")
MAIL = {"pickup_method": "mail", "mail_notice_ack": True, "recipient_region": "440106",
        "recipient_address": "天河路100号3栋501房"}


def _edited_rule(app) -> str:
    engine = app.extensions["govflow"]
    rule = engine.bundles.files(engine.env.bundle)[RULE]
    for before, after in BRANCH_ONLY_UNDER_60:
        rule = rule.replace(before, after, 1)
    return rule


def _macau_left_out(app) -> str:
    """PICK-001 no longer for Macau residents: reads only the fact the recorded inputs hold."""
    engine = app.extensions["govflow"]
    rule = engine.bundles.files(engine.env.bundle)[RULE]
    return rule.replace("in: [hk, macau, taiwan]", "in: [hk, taiwan]", 1)


def _form(client, url: str) -> dict:
    page = client.get(url).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', page)
    return {"_csrf": re.search(r'name="_csrf" value="([^"]+)"', page).group(1),
            **({"revision": revision.group(1)} if revision else {})}


def _step(client, draft: int, step: str, **fields):
    return client.post(f"/staff/drafts/{draft}/{step}", data={**_form(client, f"/staff/drafts/{draft}"), **fields})


def _save(client, draft: int, name: str, content: str, **extra):
    url = f"/staff/drafts/{draft}/files/{name}"
    return client.post(url, data={**_form(client, url), "text": content, **extra})


def _title(app) -> str:
    flows = app.test_client().get("/api/v1/flows").get_json()["flows"]
    return next(f["title"] for f in flows if f["id"] == "sscard_adult")


@pytest.fixture
def staff_pair(app):
    app.extensions["govflow"].bundles.min_interval = 0       # follow a publication on the next request
    editor, reviewer = app.test_client(), app.test_client()
    assert login(editor).status_code == 302
    assert login(reviewer, "reviewer", "reviewer-demo").status_code == 302
    return editor, reviewer


def _new_draft(editor, reason="2027年起内地居民也只能网点领卡") -> int:
    r = editor.post("/staff/drafts", data={"_csrf": _form(editor, "/staff/drafts")["_csrf"], "reason": reason})
    assert r.status_code == 302, text(r)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def test_edit_review_publish_at_a_time_and_roll_back(app, clock, staff_pair):
    editor, reviewer = staff_pair
    seed = app.extensions["govflow"].env.bundle
    started = ApiWalker(app.test_client(), app)
    started.walk_to_confirm()                      # under way before anything changes

    draft = _new_draft(editor)
    page = editor.get(f"/staff/drafts/{draft}/files/{RULE}").get_data(as_text=True)
    assert "data-yaml-editor" in page and "PICK-001" in page
    assert _save(editor, draft, RULE, _edited_rule(app)).status_code == 302
    flow = app.extensions["govflow"].bundles.files(seed)["flows/sscard_adult.yaml"].replace(*TITLE)
    assert _save(editor, draft, "flows/sscard_adult.yaml", flow).status_code == 302
    page = editor.get(f"/staff/drafts/{draft}")
    shown = text(page)
    assert 'data-errors="0"' in page.get_data(as_text=True) and "0 个错误" in shown
    assert "rules/pickup.yaml" in shown and "PICK-001" in shown
    assert _title(app) == "社保卡申领"                 # a draft changes nothing that is served

    assert _step(editor, draft, "submit", comment="请审核").status_code == 302
    own = _step(editor, draft, "approve")
    assert own.status_code == 403 and "不能审核自己起草或修改过的草稿" in text(own)
    assert "退回原因" in text(_step(reviewer, draft, "return"))        # a comment is required
    assert _step(reviewer, draft, "approve", comment="同意").status_code == 302

    past = (clock.now - timedelta(minutes=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    refused = _step(reviewer, draft, "publish", publish_at=past)
    assert refused.status_code == 422 and "生效时间不能早于现在" in text(refused)
    at = (clock.now + timedelta(minutes=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    assert _step(reviewer, draft, "publish", publish_at=at, comment="按通知生效").status_code == 302
    assert "已发布，待生效" in text(editor.get(f"/staff/drafts/{draft}"))

    assert _title(app) == "社保卡申领"                 # before the effective time: the old version
    before = ApiWalker(app.test_client(), app)
    before.walk_to_confirm("rejected_once")
    assert before.act("pickup", "next", {**MAIL, "branch_id": before.branch()})["page"] == "confirm"

    clock.advance(minutes=3)
    assert _title(app) == "社会保障卡申领"
    after = ApiWalker(app.test_client(), app)
    after.walk_to_confirm()                        # (the SMS limit per phone allows a code again)
    assert app.extensions["govflow"].env.store.applications.get(after.id).context["bundle"] != seed
    refused = after.act("pickup", "next", {**MAIL, "branch_id": after.branch()}, expect=422)
    assert "PICK-001" in [e["code"] for e in refused["errors"]]
    # the application under way since before the change finishes under its own rules
    assert started.act("pickup", "next", {**MAIL, "branch_id": started.branch()})["page"] == "confirm"

    history = editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)
    actions = re.findall(r'data-action="(\w+)"', history)
    assert actions == ["created", "edited", "edited", "submitted", "approved", "published"]
    shown = text(editor.get(f"/staff/drafts/{draft}"))
    assert "staff" in shown and "reviewer" in shown and "同意" in shown and "按通知生效" in shown
    assert "2027年起内地居民也只能网点领卡" in shown

    versions = reviewer.get("/staff/versions").get_data(as_text=True)
    live = re.search(r'data-version="(\w+)" data-state="live"', versions).group(1)
    assert live == app.extensions["govflow"].env.bundle != seed
    assert f'data-version="{seed}" data-state="past"' in versions
    form = {"_csrf": _form(reviewer, f"/staff/drafts/{draft}")["_csrf"], "version": seed}
    assert "请填写" in text(reviewer.post("/staff/versions/rollback", data={**form, "reason": " "}))
    r = reviewer.post("/staff/versions/rollback", data={**form, "reason": "通知暂缓执行"})
    assert r.status_code == 302
    assert _title(app) == "社保卡申领"
    versions = reviewer.get("/staff/versions").get_data(as_text=True)
    assert re.search(r'data-version="(\w+)" data-state="live"', versions).group(1) == seed
    assert "通知暂缓执行" in text(reviewer.get("/staff/versions"))


def test_roles_decide_who_may_do_what(app, staff_pair):
    store = app.extensions["govflow"].env.store
    accounts = StaffAccounts(store)
    accounts.add("alice", "alice-password", roles=["editor"])          # real accounts end the demo ones
    accounts.add("bob", "bob-password", roles=["reviewer"])
    accounts.add("carol", "carol-password")                             # no roles given: an auditor
    assert accounts.roles("carol") == ("auditor",) and accounts.roles("staff") == ()
    alice, bob, carol = (app.test_client() for _ in range(3))
    for client, user in ((alice, "alice"), (bob, "bob"), (carol, "carol")):
        assert login(client, user, f"{user}-password").status_code == 302
    assert "新建草稿" not in text(carol.get("/staff/drafts"))
    r = carol.post("/staff/drafts", data={"_csrf": _form(carol, "/staff/drafts")["_csrf"], "reason": "试试"})
    assert r.status_code == 403 and "没有这项权限" in text(r)
    assert "请填写修改原因" in text(alice.post("/staff/drafts", data={
        "_csrf": _form(alice, "/staff/drafts")["_csrf"], "reason": "  "}))
    draft = _new_draft(alice)
    nothing = _step(alice, draft, "submit")
    assert nothing.status_code == 409 and "没有可提交的修改" in text(nothing)
    assert _save(alice, draft, RULE, _edited_rule(app)).status_code == 302
    assert _step(alice, draft, "submit").status_code == 302
    assert _step(bob, draft, "approve").status_code == 302
    r = _step(bob, draft, "publish")
    assert r.status_code == 403 and "没有这项权限" in text(r)
    assert 'data-step="publish"' not in bob.get(f"/staff/drafts/{draft}").get_data(as_text=True)


def test_a_broken_draft_shows_its_problems_at_their_lines_and_cannot_be_submitted(app, staff_pair):
    editor, reviewer = staff_pair
    draft = _new_draft(editor)
    broken = _edited_rule(app).replace("        fires: [PICK-001]", "        fires: [PICK-009]", 1)
    assert _save(editor, draft, RULE, broken).status_code == 302          # a draft may be broken
    page = editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)
    assert re.search(r'data-errors="[1-9]', page) and "rules/pickup.yaml:" in page
    r = _step(editor, draft, "submit")
    assert r.status_code == 409 and "检查发现错误" in text(r)

    url = f"/staff/drafts/{draft}/check"
    csrf = _form(editor, f"/staff/drafts/{draft}")["_csrf"]
    answer = editor.post(url, data={"_csrf": csrf, "name": RULE, "text": "ruleset: pickup\nrules: [\n"})
    problems = answer.get_json()["problems"]
    assert answer.status_code == 200 and problems[0]["line"] and problems[0]["severity"] == "error"
    good = editor.post(url, data={"_csrf": csrf, "name": RULE, "text": _edited_rule(app)}).get_json()
    assert not [p for p in good["problems"] if p["severity"] == "error"]
    bad_name = editor.post(url, data={"_csrf": csrf, "name": "../etc/passwd", "text": "x"})
    assert bad_name.status_code == 422 and "文件名不符合要求" in bad_name.get_json()["title"]
    assert editor.post(url, data={"name": RULE, "text": "x"}).status_code == 400           # CSRF
    huge = editor.post(url, data={"_csrf": csrf, "name": RULE, "text": "#" * (300 * 1024)})
    assert huge.status_code == 413
    assert editor.get("/staff/drafts/999").status_code == 404
    assert editor.get(f"/staff/drafts/{draft}/files/flows/nope.yaml").status_code == 404


def test_a_stale_save_is_refused_with_the_text_kept_and_an_edit_reopens_an_approval(app, staff_pair):
    editor, reviewer = staff_pair
    draft = _new_draft(editor)
    url = f"/staff/drafts/{draft}/files/{RULE}"
    stale = _form(editor, url)
    assert _save(editor, draft, RULE, _edited_rule(app)).status_code == 302
    r = editor.post(url, data={**stale, "text": _edited_rule(app) + "\n# 另一处修改\n"})
    assert r.status_code == 409 and "已被他人修改" in text(r) and "# 另一处修改" in r.get_data(as_text=True)
    assert _step(editor, draft, "submit").status_code == 302
    assert _step(reviewer, draft, "approve").status_code == 302
    assert _save(editor, draft, RULE, _edited_rule(app) + "\n# 再改一处\n").status_code == 302
    page = editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)
    assert 'data-status="editing"' in page
    events = app.extensions["govflow"].env.store.drafts.events(draft)
    assert events[-1].action == "edited" and events[-1].detail["reopened"] is True
    assert json.dumps(events[-1].detail, ensure_ascii=False)       # the history holds plain data


def test_every_worker_follows_a_publication(app, tmp_path, definitions, clock, db_url):
    """Two app instances on one database are two worker processes: a publish in one is served by
    the other from the effective time on, without a restart."""
    from apptools import make_app, publish_edits
    other = make_app(tmp_path, definitions, CLOCK=clock, DATABASE_URL=db_url)
    version = publish_edits(app, {"flows/sscard_adult.yaml": [TITLE]}, at=clock.now + timedelta(minutes=2))
    assert not follow(other) and _title(other) == "社保卡申领"
    clock.advance(minutes=2)
    assert follow(other) and other.extensions["govflow"].env.bundle == version
    assert _title(other) == "社会保障卡申领"
    other.extensions["govflow"].env.store.close()


def test_a_preview_shows_the_draft_to_staff_and_touches_no_live_data(app, staff_pair):
    from govflow.store.staff import recent_applications
    editor, _ = staff_pair
    store = app.extensions["govflow"].env.store
    draft = _new_draft(editor, "标题改为社会保障卡申领")
    flow = app.extensions["govflow"].bundles.files(app.extensions["govflow"].env.bundle)["flows/sscard_adult.yaml"]
    assert _save(editor, draft, "flows/sscard_adult.yaml", flow.replace(*TITLE)).status_code == 302
    r = editor.post(f"/staff/drafts/{draft}/preview", data={"_csrf": _form(editor, f"/staff/drafts/{draft}")["_csrf"]})
    assert r.status_code == 302 and r.headers["Location"].startswith("/preview/")
    prefix = r.headers["Location"]
    citizen = app.test_client()                         # the link works in any browser tab, for its hours
    home = citizen.get(prefix)
    assert home.status_code == 200
    assert "预览：草稿" in text(home) and "社会保障卡申领" in text(home)
    started = citizen.post(prefix + "start/sscard_adult", headers={"Sec-Fetch-Site": "same-origin"})
    assert started.status_code == 302 and started.headers["Location"].startswith(prefix + "a/")
    page = citizen.get(started.headers["Location"])
    assert page.status_code == 200 and "预览：草稿" in text(page)
    cookie = started.headers["Set-Cookie"]
    assert cookie.startswith(f"preview_{draft}_") and "Path=/preview/" in cookie     # not the live session
    assert recent_applications(store) == []                 # nothing in the live database
    assert _title(app) == "社保卡申领"
    missing = citizen.get("/preview/not-a-ticket/")
    assert missing.status_code == 404 and catalog.text("http.404") in text(missing)


def test_the_impact_of_a_draft_on_recorded_decisions(app, staff_pair):
    editor, _ = staff_pair
    ApiWalker(app.test_client(), app).walk_to_confirm()
    ApiWalker(app.test_client(), app).walk_to_confirm("macau_resident", "residence_permit", "XP2024062718")
    store = app.extensions["govflow"].env.store
    recorded = store.rule_inputs.recent(["pickup"])
    assert recorded and all("identity.residency" in e.inputs for e in recorded)
    with store.engine.connect() as conn:                 # sealed at rest: no fact in clear in the table
        raw = conn.exec_driver_sql("SELECT evaluations FROM rule_inputs").fetchall()
    assert raw and not any("mainland" in str(row[0]) for row in raw)

    draft = _new_draft(editor)
    page = editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)
    assert "草稿没有改动规则" in text(editor.get(f"/staff/drafts/{draft}")) and 'data-rule=' not in page
    assert _save(editor, draft, RULE, _macau_left_out(app)).status_code == 302
    page = editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)
    mainland = sum(1 for e in recorded if e.inputs["identity.residency"] == "mainland")
    macau = len(recorded) - mainland
    assert mainland and macau
    row = re.search(r'data-rule="PICK-001" data-before="(\d+)" data-after="(\d+)"', page)
    assert row and (int(row.group(1)), int(row.group(2))) == (macau, 0)
    assert f'data-changed="{macau}"' in page
    assert "identity.residency" in page and "有变化" in text(editor.get(f"/staff/drafts/{draft}"))


def test_a_publisher_moves_open_drafts_that_still_validate(app, staff_pair):
    from apptools import publish_edits
    editor, reviewer = staff_pair
    engine = app.extensions["govflow"]
    seed = engine.env.bundle
    branch = ApiWalker(app.test_client(), app)
    branch.walk_to_confirm()                                   # pickup at a branch: holds under the change
    mail = ApiWalker(app.test_client(), app)
    mail.walk_to_confirm("rejected_once")
    assert mail.act("pickup", "next", {**MAIL, "branch_id": mail.branch()})["page"] == "confirm"
    new = publish_edits(app, {RULE: BRANCH_ONLY_UNDER_60})
    assert follow(app)
    csrf = _form(editor, "/staff/versions")["_csrf"]
    r = editor.post("/staff/versions/migrate", data={"_csrf": csrf})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert 'data-moved="1" data-kept="1"' in page and 'data-code="migrate.answers_invalid"' in page
    store = engine.env.store
    moved, kept = store.applications.get(branch.id), store.applications.get(mail.id)
    assert moved.context["bundle"] == new and moved.rule_versions == engine.env.rulebook.versions()
    assert kept.context["bundle"] == seed
    assert branch.act("confirm", "submit")["status"] == "submitted"        # goes on under the new version
    again_mail = mail.act("pickup", "next", {**MAIL, "branch_id": mail.branch()})    # its own rules: mail is fine
    assert again_mail["page"] == "confirm"
    again = editor.post("/staff/versions/migrate", data={"_csrf": csrf})
    assert 'data-moved="0"' in again.get_data(as_text=True)
    assert "migrate" in [e.action for e in store.staff_events.list()]
    accounts = StaffAccounts(store)
    accounts.add("eve", "eve-password", roles=["editor"])
    eve = app.test_client()
    assert login(eve, "eve", "eve-password").status_code == 302
    refused = eve.post("/staff/versions/migrate", data={"_csrf": _form(eve, "/staff/versions")["_csrf"]})
    assert refused.status_code == 403 and "没有这项权限" in text(refused)


def test_the_scenarios_of_a_draft_run_from_its_page(app, staff_pair):
    import time
    editor, _ = staff_pair
    store = app.extensions["govflow"].env.store
    draft = _new_draft(editor)
    # a policy change that one scenario did not expect: mainland residents branch only
    assert _save(editor, draft, RULE, _edited_rule(app)).status_code == 302
    r = editor.post(f"/staff/drafts/{draft}/scenarios",
                    data={"_csrf": _form(editor, f"/staff/drafts/{draft}")["_csrf"]})
    assert r.status_code == 302
    deadline = time.monotonic() + 300
    while not [e for e in store.drafts.events(draft) if e.action == "scenarios"]:
        assert time.monotonic() < deadline, "the scenarios did not finish"
        time.sleep(0.5)
    result = [e for e in store.drafts.events(draft) if e.action == "scenarios"][-1].detail
    assert result["passed"] > 10 and result["failed"]
    assert any("scenarios/sscard_adult.yaml:" in f["message"] for f in result["failed"])
    page = editor.get(f"/staff/drafts/{draft}").get_data(as_text=True)
    assert f'data-failed="{len(result["failed"])}"' in page and "个未通过" in page
