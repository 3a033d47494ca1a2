"""Hostile input on the session, resume and staff-login paths: a clear answer (4xx), never a 500,
and no session row for a request that has nothing to remember."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from apptools import make_app

ANY = st.text(max_size=80)
ADDRESSES = st.one_of(st.ip_addresses().map(str), ANY)


@pytest.fixture(scope="module")
def app(tmp_path_factory, definitions):
    app = make_app(tmp_path_factory.mktemp("inputs"), definitions)
    yield app
    app.extensions["govflow"].env.store.close()


def _rows(app) -> int:
    with app.extensions["govflow"].env.store.session() as db:
        return db.execute(text("SELECT COUNT(*) FROM web_sessions")).scalar_one()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(username=ANY, password=ANY, forwarded=ADDRESSES)
def test_staff_login_answers_any_input_without_an_error(app, username, password, forwarded):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    r = client.post("/staff/login", data={"_csrf": token, "username": username, "password": password},
                    headers={"X-Forwarded-For": forwarded.replace("\n", " ").replace("\r", " ")})
    assert r.status_code in (401, 429), r.status_code


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(app_id=st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%"),
                      min_size=1, max_size=40),
       token=ANY, cookie=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60))
@example(app_id="\n", token="", cookie="")           # once a 308: the raw newline made "/a//guide"
def test_pages_and_resume_without_a_live_session_are_404_and_make_no_row(app, app_id, token, cookie):
    before = _rows(app)
    client = app.test_client()
    if cookie:
        client.set_cookie("session", cookie)
    assert client.get(f"/a/{quote(app_id, safe='')}/guide").status_code == 404      # as a browser sends it
    assert client.get("/resume/return", query_string={"token": token}).status_code == 404
    assert client.get("/resume").status_code == 302
    assert client.post(f"/resume/{quote(app_id, safe='')}", data={"_csrf": token}).status_code in (400, 404)
    assert _rows(app) == before
