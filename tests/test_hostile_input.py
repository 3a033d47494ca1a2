"""Property-based: arbitrary JSON values and form posts to every validate endpoint and every page
action of every flow (issue 11). Whatever arrives: no 5xx; every 4xx is problem+json with Chinese
messages (API) or a Chinese page (HTML); answers already saved are unchanged by a refused request.
Each flow gets a fresh app (the conftest `app`) and one draft walked as far as the walkers go.

Bounded and reproducible: `derandomize=True` (examples come from a fixed seed), a few dozen examples
per endpoint; a failure prints the example that caused it.
"""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apptools import ROOT
from walkers import ApiWalker, HtmlWalker, MinorWalker

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "张\u202e三", "\u200b", "４４０１０６", "<script>", "' OR 1=1 --",
                     "maybe", "true", "1e309", "-1", "9" * 40, "2026-02-30", "../../etc/passwd", "\u3000"]),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), HOSTILE_TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                      max_leaves=6)


def _flow_pages(definitions, with_actions: bool):
    return [(flow.id, page.id, action.id if with_actions else None)
            for flow in definitions.flows.values() for page in flow.pages.values()
            for action in (page.actions if with_actions else [None])]


def _bodies(names):
    """Objects keyed mostly by the page's own fields, sometimes by anything."""
    keys = st.sampled_from(sorted(names)) if names else st.text(max_size=8)
    return st.dictionaries(st.one_of(keys, keys, st.text(max_size=8)), VALUES, max_size=6)


def _raw_bodies(names):
    """Bodies as bytes: JSON of the objects above, or any JSON value, or not JSON at all."""
    deep = st.integers(1, 3000).map(lambda d: '{"x": ' + "[" * d + "]" * d + "}")
    return st.one_of(_bodies(names).map(json.dumps), _bodies(names).map(json.dumps),
                     VALUES.map(json.dumps), st.binary(max_size=40).map(lambda b: b.decode("latin-1")), deep)


def assert_problem(r) -> None:
    assert r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:500])
    if r.status_code >= 400:
        assert r.mimetype == "application/problem+json", (r.status_code, r.mimetype)
        body = r.get_json()
        assert body["status"] == r.status_code and body["errors"], body
        assert all(re.search(r"[\u4e00-\u9fff]", e["message"]) for e in body["errors"]), body


def assert_chinese_page(r) -> None:
    assert r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:500])
    if r.status_code not in (301, 302, 303):
        page = r.get_data(as_text=True)
        assert r.mimetype == "text/html", r.mimetype
        assert re.search(r"[\u4e00-\u9fff]", page) and "Werkzeug" not in page and "Traceback" not in page


def _walked(app, flow_id: str):
    """A draft of `flow_id` as far as the walkers go (past every page but the last)."""
    client = app.test_client()
    if flow_id == "sscard_minor":
        walker = MinorWalker(client, app)
        walker.walk_to_confirm()
        return walker
    walker = ApiWalker(client, app)
    if flow_id == "cleanup":
        walker.create()
        walker.verify("two_cards")
        walker.eligibility(expect=409)
        child = client.post(f"/api/v1/applications/{walker.id}/redirect", headers=walker.headers).get_json()
        walker.id = child["application"]
        walker.act("guide", "start", {"consent": True}, expect=200)
        return walker
    walker.walk_to_confirm()
    return walker


def _form_bytes(data: dict) -> str:
    """A urlencoded body as a hostile client sends it: a lone surrogate becomes the bytes that are
    not UTF-8 (ED A0 80), which is what reaches the server (a browser cannot send one)."""
    return urlencode({k: v.encode("utf-8", "surrogatepass") for k, v in data.items()})


# a flow opened only from another flow's popup: (that flow, persona, page, action, answers that open it)
LINKED = {"cleanup": ("sscard_adult", "two_cards", "eligibility", "check", {"issuing_city": "440100"}),
          "card_loss": ("sscard_replacement", "card_holder", "eligibility", "next",
                        {"card_number": "A10385172", "kind": "lost"})}


def _walked_html(app, flow_id: str) -> HtmlWalker:
    """An HTML draft of `flow_id` past face verification (a linked flow: opened from its parent's popup)."""
    web = HtmlWalker(app.test_client(), app)
    if app.extensions["govflow"].env.flows[flow_id].launched_by:
        assert flow_id in LINKED, f"say in LINKED how the linked flow {flow_id} is opened"
        parent, persona, page, action, answers = LINKED[flow_id]
        web.start(parent)
        web.verify(persona)
        web.post(page, action, answers)
        r = web.client.post(f"/a/{web.id}/_redirect", data={"_csrf": web._csrf()})
        assert r.status_code == 302, r.status_code
        web.id = r.headers["Location"].split("/")[2]
    elif flow_id == "sscard_adult":
        web.walk_to_info()
    else:
        web.start(flow_id)
        web.verify("guardian_parent")
    return web


def _answers(app, app_id: str) -> dict:
    return app.extensions["govflow"].env.store.applications.get(app_id).answers


FLOWS = sorted(p.stem for p in (ROOT / "flows").glob("*.yaml"))


@pytest.mark.parametrize("flow_id", FLOWS)
def test_validate_answers_anything_with_200_or_a_problem(app, definitions, flow_id):
    client = app.test_client()
    for page in definitions.flows[flow_id].pages.values():
        @SETTINGS
        @given(body=_raw_bodies(page.input_names))
        def check(body):
            r = client.post(f"/api/v1/flows/{flow_id}/pages/{page.id}/validate", data=body,  # noqa: B023 (run at once)
                            content_type="application/json")
            assert_problem(r)

        check()


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_page_action_answers_anything_and_a_refusal_changes_nothing(app, definitions, flow_id):
    flow = definitions.flows[flow_id]
    walker = _walked(app, flow_id)      # one draft: what an example saves, the next one starts from
    for page in flow.pages.values():
        for action in page.actions:
            url = f"/api/v1/applications/{walker.id}/pages/{page.id}/actions/{action.id}"

            @SETTINGS
            @given(body=_raw_bodies(page.input_names))
            def check(body):
                before = _answers(app, walker.id)
                r = walker.client.post(url, data=body,  # noqa: B023 (run at once, in the loop)
                                       content_type="application/json", headers=walker.headers)
                assert_problem(r)
                if r.status_code >= 400:
                    assert _answers(app, walker.id) == before, (r.status_code, body)

            check()


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_form_post_answers_a_chinese_page_and_a_refusal_changes_nothing(app, definitions, flow_id):
    flow = definitions.flows[flow_id]
    web = _walked_html(app, flow_id)
    for page in flow.pages.values():
        names = sorted(page.input_names) + ["_action", "_return_to", "_confirmed", "_delete", "_revision"]
        actions = [a.id for a in page.actions] or ["next"]
        form = st.dictionaries(st.sampled_from(names), HOSTILE_TEXT, max_size=6)

        @SETTINGS
        @given(form=form, action=st.sampled_from(actions), refresh=st.booleans())
        def check(form, action, refresh):
            before = _answers(app, web.id)
            data = {"_csrf": web._csrf(), "_action": action, **form}
            if refresh:
                field = form.get("_action", "")
                r = web.client.post(f"/a/{web.id}/{page.id}/_refresh?"  # noqa: B023 (run at once)
                                     + _form_bytes({"field": field}),
                                    data=_form_bytes(data), content_type="application/x-www-form-urlencoded",
                                    headers={"HX-Request": "true"})
            else:
                r = web.client.post(f"/a/{web.id}/{page.id}", data=_form_bytes(data),  # noqa: B023 (run at once)
                                    content_type="application/x-www-form-urlencoded")
            assert_chinese_page(r)
            if r.status_code >= 400:
                assert _answers(app, web.id) == before, (r.status_code, form)

        check()
