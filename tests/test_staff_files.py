"""The files of a definition bundle on the staff pages (web/staff_files.py): the list, one file in the
YAML editor (read-only, 试改), and the check the editor posts to, answered with the checker's problems
as JSON (or the page again, for a form posted without JavaScript)."""
from __future__ import annotations

import re

import pytest

from apptools import ROOT
from govflow.web.staff_files import TEXT_MAX_BYTES
from test_security_headers import POLICY
from test_staff_pages import login, text

RULE = "rules/pickup.yaml"
ORIGINAL = (ROOT / RULE).read_text("utf-8")
PROBLEM_KEYS = {"line", "severity", "code", "message", "hint"}


@pytest.fixture
def version(app) -> str:
    return app.extensions["govflow"].env.bundle


@pytest.fixture
def staff(app):
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def _token(client, version) -> str:
    page = client.get(f"/staff/versions/{version}/files/{RULE}?try=1").get_data(as_text=True)
    return re.search(r'name="_csrf" value="([^"]+)"', page).group(1)


def _check(client, version, body: str, name: str = RULE, token: str | None = None, **kw):
    data = {"name": name, "text": body, "_csrf": token if token is not None else _token(client, version)}
    return client.post(f"/staff/versions/{version}/check", data=data, **kw)


def _shape(answer: dict) -> list[dict]:
    assert set(answer) == {"problems"}
    for p in answer["problems"]:
        assert set(p) == PROBLEM_KEYS
        assert p["line"] is None or isinstance(p["line"], int)
        assert p["severity"] in ("error", "warning")
        assert isinstance(p["code"], str) and isinstance(p["message"], str)
        assert p["hint"] is None or isinstance(p["hint"], str)
    return answer["problems"]


def test_the_pages_need_a_staff_login(app, version):
    client = app.test_client()
    for url in (f"/staff/versions/{version}/files", f"/staff/versions/{version}/files/{RULE}",
                f"/staff/versions/{version}/files/{RULE}?try=1"):
        r = client.get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/staff/login?next=")
    r = client.post(f"/staff/versions/{version}/check", data={"name": RULE, "text": "x"},
                    headers={"Accept": "application/json"})
    assert r.status_code in (400, 401)                 # no session: no token, and no login
    r = client.get(f"/staff/versions/{version}/files", headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.mimetype == "application/problem+json"


def test_a_check_without_the_csrf_token_is_refused_in_chinese(staff, version):
    r = _check(staff, version, ORIGINAL, token="")
    assert r.status_code == 400 and r.headers["Cache-Control"] == "no-store"
    problems = _shape(r.get_json())
    assert [p["code"] for p in problems] == ["http.csrf"] and re.search(r"[\u4e00-\u9fff]", problems[0]["message"])
    assert _check(staff, version, ORIGINAL, token="wrong").status_code == 400


def test_the_versions_page_links_every_bundle_to_its_files(staff, version):
    page = staff.get("/staff/versions").get_data(as_text=True)
    assert f'href="/staff/versions/{version}/files"' in page and "查看文件" in page
    listing = staff.get(f"/staff/versions/{version}/files")
    assert listing.status_code == 200
    body = listing.get_data(as_text=True)
    for name in ("flows/sscard_adult.yaml", "rules/facts.yaml", "reference/picklists.yaml"):
        assert f'href="/staff/versions/{version}/files/{name}"' in body
        assert f'href="/staff/versions/{version}/files/{name}?try=1"' in body


def test_a_file_is_read_only_in_the_editor_by_default(staff, version):
    r = staff.get(f"/staff/versions/{version}/files/{RULE}")
    assert r.status_code == 200 and r.headers["Content-Security-Policy"] == POLICY
    page = r.get_data(as_text=True)
    area = re.search(r"<textarea[^>]*>", page).group(0)
    assert "data-yaml-editor" in area and " readonly" in area and "data-check-url" not in area
    assert 'name="text"' in area
    assert '<script src="/static/vendor/editor.js" defer></script>' in page
    assert ORIGINAL.splitlines()[1] in text(r)                          # the file's text, escaped
    assert "试改" in page


def test_try_mode_is_editable_and_checks_at_the_check_url(staff, version):
    page = staff.get(f"/staff/versions/{version}/files/{RULE}?try=1").get_data(as_text=True)
    area = re.search(r"<textarea[^>]*>", page).group(0)
    assert " readonly" not in area
    assert f'data-check-url="/staff/versions/{version}/check"' in area
    assert 'data-text-count="发现 {n} 个问题"' in area and 'data-text-none="未发现问题"' in area
    assert 'role="status" aria-live="polite"' in page and "不会保存" in page
    form = re.search(r"<form method=\"post\" action=\"([^\"]+)\" enctype=\"multipart/form-data\"", page)
    assert form and form.group(1) == f"/staff/versions/{version}/check"
    assert f'name="name" value="{RULE}"' in page


def test_the_unedited_file_has_no_problems(staff, version):
    r = _check(staff, version, ORIGINAL)
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert _shape(r.get_json()) == []


def test_a_broken_file_answers_its_problems_at_their_lines(staff, version):
    line = ORIGINAL.count("\n") + 1
    problems = _shape(_check(staff, version, ORIGINAL + "colour: red").get_json())
    assert [(p["line"], p["severity"], p["code"]) for p in problems] == [(line, "error", "rule.schema")]
    assert "colour" in problems[0]["message"] and problems[0]["hint"]
    problems = _shape(_check(staff, version, ORIGINAL.replace("    title:", "   title:", 1)).get_json())
    assert problems[0]["code"] == "yaml.syntax" and problems[0]["line"] == 6


def test_problems_in_other_files_have_no_line_and_name_their_file(staff, version):
    facts = (ROOT / "rules/facts.yaml").read_text("utf-8").replace("macau, taiwan,", "macau,", 1)
    facts = facts.replace(" taiwan: 台湾居民,", "", 1)          # its name for policy staff goes with it
    problems = _shape(_check(staff, version, facts, name="rules/facts.yaml").get_json())
    assert problems and all(p["line"] is None for p in problems)
    assert any(p["message"].startswith("rules/pickup.yaml 第 ") for p in problems)


def test_a_new_file_and_a_name_outside_the_patterns(staff, version):
    token = _token(staff, version)
    problems = _shape(_check(staff, version, "ruleset: extra\n", name="rules/extra.yaml", token=token).get_json())
    assert problems and problems[0]["code"] == "rule.schema"
    problems = _shape(_check(staff, version, "a: 1", name="../secrets.yaml", token=token).get_json())
    assert [p["code"] for p in problems] == ["edit.unknown_file"] and problems[0]["line"] is None


def test_a_form_posted_without_javascript_gets_the_page_with_the_list(staff, version):
    r = _check(staff, version, ORIGINAL + "colour: red", headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = text(r)
    assert "发现 1 个问题" in page and f"第 {ORIGINAL.count(chr(10)) + 1} 行" in page and "colour: red" in page
    r = _check(staff, version, ORIGINAL, headers={"Accept": "text/html"})
    assert "未发现问题" in text(r)


def test_unknown_versions_and_files_are_404_in_chinese(staff, version):
    for url in ("/staff/versions/000000000000/files", "/staff/versions/000000000000/files/" + RULE,
                f"/staff/versions/{version}/files/rules/nothing.yaml",
                f"/staff/versions/{version}/files/../../etc/passwd"):
        r = staff.get(url)
        assert r.status_code == 404, url
        assert re.search(r"没有找到该定义版本|该定义版本中没有这个文件|页面不存在|找不到", text(r)), url
    r = _check(staff, "000000000000", ORIGINAL, token=_token(staff, version))
    assert r.status_code == 404 and [p["code"] for p in _shape(r.get_json())] == ["edit.unknown_version"]


def test_a_text_too_large_is_413_and_one_not_utf8_is_400(staff, version):
    token = _token(staff, version)
    big = "# " + "注" * (TEXT_MAX_BYTES // 3) + "\n"
    r = _check(staff, version, big, token=token)
    assert r.status_code == 413 and [p["code"] for p in _shape(r.get_json())] == ["edit.too_large"]
    assert "256 KB" in r.get_json()["problems"][0]["message"]
    # too large for the server to read at all (over Werkzeug's form memory limit): the same answer
    r = _check(staff, version, "x" * (2 * 1024 * 1024), token=token,
               content_type="multipart/form-data")
    assert r.status_code == 413 and [p["code"] for p in _shape(r.get_json())] == ["edit.too_large"]
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n{RULE}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n").encode() + \
        "规则".encode("gb18030") + f"\r\n--{boundary}--\r\n".encode()
    r = staff.post(f"/staff/versions/{version}/check", data=body,
                   content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 400 and [p["code"] for p in _shape(r.get_json())] == ["edit.not_utf8"]
    r = staff.post(f"/staff/versions/{version}/check", data=f"_csrf={token}&name={RULE}&text=%B9%E6%D4%F2",
                   content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and [p["code"] for p in _shape(r.get_json())] == ["edit.not_utf8"]


def test_nothing_is_saved(staff, app, version):
    archive = app.extensions["govflow"].env.store.versions
    before = archive.versions("bundle", "manifest")
    _check(staff, version, ORIGINAL + "colour: red")
    assert archive.versions("bundle", "manifest") == before
    assert (ROOT / RULE).read_text("utf-8") == ORIGINAL
    assert app.extensions["govflow"].env.bundle == version
