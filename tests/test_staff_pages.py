"""Staff pages (/staff): read-only, behind their own login, never opened by a citizen's session."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest

from apptools import BRANCH_ONLY_UNDER_60, KEYRING, ROOT, make_app, publish_edits
from govflow.cli import main as cli_main
from govflow.store import open_store
from govflow.store.staff import DEMO_ROLES, MAX_FAILURES, StaffAccounts
from walkers import HtmlWalker

PAGES = ["/staff/", "/staff/flows/sscard_adult", "/staff/rules", "/staff/rules/pickup", "/staff/applications",
         "/staff/applications/" + "0" * 32, "/staff/versions", "/staff/versions/diff",
         "/staff/drafts"]


def _csrf(client, url="/staff/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="_csrf" value="([^"]+)"', page).group(1)


def login(client, username="staff", password="staff-demo", environ_base=None, **extra):
    return client.post("/staff/login", data={"_csrf": _csrf(client), "username": username,
                                             "password": password, **extra}, environ_base=environ_base or {})


def text(response) -> str:
    """The page as a reader sees it: tags removed, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


@pytest.fixture
def staff(app):
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def _assert_locked_out(client):
    for url in PAGES:
        r = client.get(url)
        assert r.status_code == 302, url
        assert r.headers["Location"].startswith("/staff/login?next=")
        assert r.headers["Cache-Control"] == "no-store"
        r = client.get(url, headers={"Accept": "application/json"})
        assert r.status_code == 401 and r.mimetype == "application/problem+json", url
        assert client.get(url, headers={"HX-Request": "true", "Accept": "text/html"}).status_code == 401


def test_every_staff_page_needs_a_staff_login(app):
    _assert_locked_out(app.test_client())


def test_a_citizen_session_never_opens_staff_pages(app):
    web = HtmlWalker(app.test_client(), app)
    web.start()
    web.verify("mainland_adult")                  # a verified citizen with a live session
    _assert_locked_out(web.client)


def test_login_redirects_to_the_page_asked_for_and_only_inside_staff(app):
    client = app.test_client()
    r = client.get("/staff/rules/pickup")
    target = r.headers["Location"]
    assert 'name="next" value="/staff/rules/pickup"' in client.get(target).get_data(as_text=True)
    r = login(client, next="/staff/rules/pickup")
    assert r.status_code == 302 and r.headers["Location"] == "/staff/rules/pickup"
    other = app.test_client()
    assert login(other, next="https://evil.example/").headers["Location"] == "/staff/"
    assert login(app.test_client(), next="//evil.example/staff/").headers["Location"] == "/staff/"


def test_wrong_password_is_refused_and_slowed_per_account_and_address(app):
    client = app.test_client()
    r = login(client, password="wrong-password")
    assert r.status_code == 401 and "用户名或密码不正确" in text(r)
    assert client.get("/staff/").status_code == 302
    for _ in range(MAX_FAILURES - 1):
        assert login(client, password="wrong-password").status_code == 401
    r = login(client)                              # even the right password, until the delay is over
    assert r.status_code == 429 and "登录尝试过于频繁" in text(r) and r.headers["Retry-After"] == "30"
    assert client.get("/staff/").status_code == 302
    # the owner from another address is not locked out
    assert login(app.test_client(), environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 302
    # an unknown name is slowed the same way, and answers like a known one
    for _ in range(MAX_FAILURES):
        assert login(client, username="nobody", password="x" * 10).status_code == 401
    assert login(client, username="nobody", password="x" * 10).status_code == 429
    accounts = StaffAccounts(app.extensions["govflow"].env.store)
    assert not accounts.exists("nobody") and accounts.count() == len(DEMO_ROLES)       # the demo accounts
    later = app.extensions["govflow"].env.store.now() + timedelta(minutes=1)
    assert accounts.authenticate("staff", "staff-demo", now=later, client="127.0.0.1").ok


def test_login_form_needs_its_csrf_token(app):
    client = app.test_client()
    _csrf(client)
    r = client.post("/staff/login", data={"username": "staff", "password": "staff-demo"})
    assert r.status_code == 400
    r = client.post("/staff/login", data={"_csrf": "forged", "username": "staff", "password": "staff-demo"})
    assert r.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_login_renews_the_session_and_logout_ends_it(app):
    client = app.test_client()
    _csrf(client)
    before = client.get_cookie("session").value
    assert login(client).status_code == 302
    after = client.get_cookie("session").value
    assert after != before                                  # no session fixation
    page = client.get("/staff/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "退出登录" in text(page) and "staff" in text(page)
    r = client.post("/staff/logout", data={"_csrf": _csrf(client, "/staff/")})
    assert r.status_code == 302 and r.headers["Location"] == "/staff/login"
    _assert_locked_out(client)
    client.set_cookie("session", after)                     # the old cookie is dead too
    assert client.get("/staff/").status_code == 302


def test_overview_lists_flows_and_rule_sets(staff, app):
    env = app.extensions["govflow"].env
    page = text(staff.get("/staff/"))
    for flow in env.flows.values():
        assert f"{flow.id} {flow.title} {flow.version}" in page
    for rs in env.rulebook.rulesets.values():
        assert f"{rs.name} {rs.title} {rs.version}" in page
    assert "规则集" in page and env.bundle in page


def test_flow_page_shows_pages_fields_actions_and_the_diagram(staff, app):
    r = staff.get("/staff/flows/sscard_adult")
    body = r.get_data(as_text=True)
    diagram = html.unescape(re.search(r'<pre class="mermaid[^"]*">(.*?)</pre>', body, re.S).group(1))
    assert diagram.startswith("flowchart TD")
    for page in app.extensions["govflow"].env.flows["sscard_adult"].pages.values():
        assert f'p_{page.id}["{page.title}"]' in diagram or f'p_{page.id}(["{page.title}"])' in diagram
    assert 'src="/static/vendor/mermaid.min.js"' in body and 'src="/static/staff.js"' in body
    page = text(r)
    for expected in ("操作手册 1.3.6", "身份证国徽面 id_card_emblem upload upload 是 证件材料 等于 id_card",
                     "选项表 guangdong_cities", "进入页面时运行规则集 申领预检查 precheck",
                     "【确认提交】 submit", "提交失败时到 提交失败", "代未成年子女办理"):
        assert expected in page, expected
    assert 'href="/staff/rules/eligibility"' in body
    assert "mermaid.min.js" not in staff.get("/staff/").get_data(as_text=True)   # only on flow pages
    script = staff.get("/static/staff.js").get_data(as_text=True)
    assert "startOnLoad: true" in script and 'securityLevel: "strict"' in script
    assert staff.get("/staff/flows/no_such_flow").status_code == 404


def test_rule_catalog_reads_as_sentences(staff):
    page = text(staff.get("/staff/rules/pickup"))
    assert "PICK-001 港澳台居民只能网点领卡" in page
    assert "社保卡申领服务操作手册 1.3.6 第2点" in page                     # basis
    assert re.search(r"条件 人员类别\S* 属于 \[hk, macau, taiwan\]", page)    # a Chinese sentence
    assert "限制“领卡方式”只能选 [branch]" in page
    assert "rules/pickup.yaml:5" in page and "不触发任何规则" in page
    everything = text(staff.get("/staff/rules"))
    assert "PICK-001" in everything and "ELIG-001" in everything and "PRE-002" in everything
    assert staff.get("/staff/rules/nope").status_code == 404


def test_application_trail_shows_rules_and_no_personal_data(app, staff):
    web = HtmlWalker(app.test_client(), app)
    web.start()
    web.verify("two_cards")                                  # 刘晓燕, 44060419860214042X
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=409)
    listing = staff.get("/staff/applications")
    assert web.id in listing.get_data(as_text=True) and "sscard_adult" in text(listing)
    detail = staff.get(f"/staff/applications/{web.id}")
    body = detail.get_data(as_text=True)
    page = text(detail)
    assert "ELIG-001" in page and 'href="/staff/rules/eligibility#ELIG-001"' in body
    record = app.extensions["govflow"].env.store.applications.get(web.id)
    assert record.flow_version in page and record.context["bundle"] in page
    assert f"pickup@{record.rule_versions['pickup']}" in page
    for response in (listing, detail):
        shown = response.get_data(as_text=True)
        for secret in ("44060419860214042X", "刘晓燕", "18902237715", "1986-02-14", record.owner):
            assert secret not in shown
    assert "判定时看到的情况（已脱敏）" in page and "registry.cards_in_province 2" in page
    assert staff.get("/staff/applications/" + "f" * 32).status_code == 404


def test_versions_diff_shows_an_edited_rule(app):
    engine = app.extensions["govflow"]
    before = engine.env.bundle
    after = publish_edits(app, {"rules/pickup.yaml": BRANCH_ONLY_UNDER_60})
    client = app.test_client()
    assert login(client).status_code == 302
    versions = text(client.get("/staff/versions"))      # the next request follows the publication
    assert engine.env.bundle == after
    assert before in versions and after in versions and "当前" in versions
    r = client.get(f"/staff/versions/diff?from={before}&to={after}")
    assert r.status_code == 200
    page = text(r)
    assert "rules/pickup.yaml" in page and "PICK-001" in page and "mainland" in page and "60" in page
    assert 'data-code="rule.' in r.get_data(as_text=True)
    assert "flows/sscard_adult.yaml" not in page                # unchanged files are not listed
    assert text(client.get("/staff/versions/diff")) == page     # default: previous -> current
    assert client.get(f"/staff/versions/diff?from=nope&to={after}").status_code == 404


def test_staff_add_command_and_demo_account(tmp_path, monkeypatch, definitions):
    db = tmp_path / "staff.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("STAFF_PW", "a-long-password")
    assert cli_main(["--root", str(tmp_path), "staff-add", "alice", "--password-env", "STAFF_PW"]) == 0
    answers = iter(["first-password", "other-password"])
    monkeypatch.setattr("govflow.cli.getpass", lambda prompt="": next(answers))
    assert cli_main(["--root", str(tmp_path), "staff-add", "bob"]) == 2          # the two differ
    monkeypatch.setattr("govflow.cli.getpass", lambda prompt="": "short")
    assert cli_main(["--root", str(tmp_path), "staff-add", "bob"]) == 2          # too short
    store = open_store(f"sqlite:///{db}", tmp_path / "uploads", b"k" * 32, keyring=KEYRING)
    accounts = StaffAccounts(store)
    assert accounts.authenticate("alice", "a-long-password").ok and not accounts.exists("bob")
    assert not accounts.authenticate("alice", "wrong-password").ok
    store.close()
    app = make_app(tmp_path, definitions, DATABASE_URL=f"sqlite:///{db}")   # an account exists: no demo one
    assert not StaffAccounts(app.extensions["govflow"].env.store).exists("staff")
    assert login(app.test_client()).status_code == 401
    assert login(app.test_client(), "alice", "a-long-password").status_code == 302


def test_every_staff_message_is_in_the_catalog(staff, app):
    from govflow.catalog import catalog
    used = set()
    for path in (ROOT / "renderers/html/templates/staff").glob("*.html"):
        used |= set(re.findall(r"msg\('(staff\.[a-z_.]+)'\)", path.read_text("utf-8")))
    for module in ("staff.py", "staff_publishing.py", "staff_case.py"):
        used |= set(re.findall(r'msg\("(staff\.[a-z_.]+)"', Path(ROOT / "platform/govflow/web" / module).read_text()))
    assert used and not (used - set(catalog()))
    web = HtmlWalker(app.test_client(), app)
    web.start()
    for url in [u for u in PAGES if "0" * 32 not in u] + [f"/staff/applications/{web.id}"]:
        assert "{title}" not in staff.get(url).get_data(as_text=True), url    # no fallback message
