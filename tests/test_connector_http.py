"""The HTTP/JSON connector adapter (connectors/http.py) against the connector server
(connectors/serve.py) on a real socket of 127.0.0.1, in front of a fake implementation: the
wire protocol of docs/connectors-http.md, both sides, and the real connectors/*.yaml served."""
from __future__ import annotations

import logging
import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apptools import ROOT, serving
from govflow.catalog import text
from govflow.connectors.http import HttpImplementation
from govflow.connectors.loader import load_connectors
from govflow.connectors.model import (
    ACCEPTED,
    REFUSED,
    RETRY,
    Answer,
    Catalog,
    Connector,
    Endpoint,
    Failure,
    HttpSettings,
    Lookup,
    LookupFailed,
    Operation,
    RequestField,
    Source,
)
from govflow.connectors.serve import make_app
from govflow.rules.model import FactType
from govflow.services.interfaces import ServiceConfigError

STR, INT, NUM, BOOL, DATE = (FactType(t) for t in ("string", "integer", "number", "boolean", "date"))
ITEM = FactType("object", fields=(("number", STR), ("state", FactType("string", enum=("正常", "挂失"))),
                                  ("active", BOOL)))
PROFILE = Lookup("people", "profile", "资料", "people",
                 inputs={"pid": Source(path="subject"), "kind": Source(value="full")},
                 returns={"count": INT, "active": BOOL, "score": NUM, "born": DATE,
                          "tags": FactType("array", items=STR), "items": FactType("array", items=ITEM)},
                 http=Endpoint("GET", "/persons/{pid}/profile"))
SEARCH = Lookup("people", "search", "查找", "found", inputs={"pid": Source(path="subject")},
                returns={"count": INT}, http=Endpoint("POST", "/search"))
FAILURES = {"desk.rejected": Failure("desk.rejected", "不予受理：材料不全。"),
            "desk.busy": Failure("desk.busy", "系统繁忙，请稍后再试。", transient=True)}
APPLY = Operation("people", "apply", "申请",
                  request={"pid": RequestField("pid", "string", "编号", Source(path="subject")),
                           "answers": RequestField("answers", "object", "内容", Source(path="answers"))},
                  response={"reference": STR, "echo": FactType("object")}, failures=FAILURES,
                  http=Endpoint("POST", "/applications"))
REPORT = Operation("people", "report", "报告", request={"number": RequestField("number", "string", "号码", None)},
                   response={"reference": STR}, failures=FAILURES, http=Endpoint("PUT", "/items/{number}/reports"))
SETTINGS = HttpSettings("PEOPLE_URL", timeout_seconds=2.0, retries=2)


def catalog(http: HttpSettings | None = SETTINGS) -> Catalog:
    connector = Connector("people", "人员系统", "connectors/people.yaml", {"profile": PROFILE, "search": SEARCH},
                          {"apply": APPLY, "report": REPORT}, http=http)
    return Catalog({"people": connector})


class Fake:
    """An implementation answering what each test tells it to, recording what it was asked."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.facts: dict = {}
        self.answers: list = []          # what successive calls do: an Answer, an exception, or seconds to wait
        self.asked: list = []            # (name, inputs or request, application id, idempotency key)

    def _next(self):
        step = self.answers.pop(0) if len(self.answers) > 1 else (self.answers[0] if self.answers else None)
        if isinstance(step, (int, float)):
            time.sleep(step)
            return None
        if isinstance(step, Exception):
            raise step
        return step

    def lookup(self, lookup, inputs):
        self.asked.append((lookup.name, inputs, None, None))
        self._next()
        return self.facts

    def call(self, operation, application_id, request, idempotency_key):
        self.asked.append((operation.name, request, application_id, idempotency_key))
        step = self._next()
        return step if isinstance(step, Answer) else Answer(ACCEPTED, {"reference": "R-1", "echo": request})


FAKE = Fake()
OVERRIDE: dict = {}                      # path -> (status, content type, body): answered instead of the server's


def _app(environ, start_response):
    raw = OVERRIDE.get(environ.get("PATH_INFO"))
    if raw:
        start_response(f"{raw[0]} X", [("Content-Type", raw[1])])
        return [raw[2]]
    return make_app(catalog(), FAKE)(environ, start_response)


@pytest.fixture(scope="module")
def server():
    with serving(_app) as live:
        yield live.url


@pytest.fixture(autouse=True)
def fresh():
    FAKE.reset()
    OVERRIDE.clear()


def adapter(url, http: HttpSettings = SETTINGS, **kw) -> HttpImplementation:
    return HttpImplementation(catalog(http), {"PEOPLE_URL": url + "/"}, sleep=lambda s: None, **kw)


# -- look-ups ----------------------------------------------------------------------------

def test_lookup_round_trip_keeps_declared_fields_and_types(server):
    FAKE.facts = {"count": 2, "active": True, "score": 1.5, "born": "2010-05-01", "tags": ["a", "b"],
                  "items": [{"number": "X1", "state": "正常", "active": True, "bank": "某行"},
                            {"number": "X2", "state": "挂失", "secret": 1}],
                  "undeclared": "dropped", "active_missing": None}
    facts = adapter(server).lookup(PROFILE, {"pid": "p1", "kind": "full"})
    assert facts == {"count": 2, "active": True, "score": 1.5, "born": "2010-05-01", "tags": ["a", "b"],
                     "items": [{"number": "X1", "state": "正常", "active": True},
                               {"number": "X2", "state": "挂失"}]}
    assert FAKE.asked == [("profile", {"pid": "p1", "kind": "full"}, None, None)]


def test_a_missing_declared_field_is_absent(server):
    FAKE.facts = {"count": 0}
    assert adapter(server).lookup(PROFILE, {"pid": "p1"}) == {"count": 0}


def test_path_parameters_needing_quoting_arrive_unchanged(server):
    pid = "a/b c?d#e%f&g=..中文"
    adapter(server).lookup(PROFILE, {"pid": pid, "kind": "x y&z"})
    assert FAKE.asked[0][1] == {"pid": pid, "kind": "x y&z"}
    answer = adapter(server).call(REPORT, "app-1", {"number": ".."}, "k-1")
    assert answer.kind == ACCEPTED and FAKE.asked[1][1] == {"number": ".."}


def test_a_lookup_other_than_get_sends_a_json_body(server):
    FAKE.facts = {"count": 7}
    assert adapter(server).lookup(SEARCH, {"pid": 12}) == {"count": 7}
    assert FAKE.asked == [("search", {"pid": 12}, None, None)]


@pytest.mark.parametrize("facts, where", [({"count": "3"}, "count"), ({"count": True}, "count"),
                                          ({"born": "2010-13-01"}, "born"), ({"tags": "a"}, "tags"),
                                          ({"items": [{"state": "别的"}]}, "items[0].state"),
                                          ({"items": [3]}, "items[0]")])
def test_a_wrongly_typed_answer_is_a_bad_answer(server, facts, where):
    FAKE.facts = facts
    with pytest.raises(LookupFailed) as caught:
        adapter(server).lookup(PROFILE, {"pid": "p1"})
    assert caught.value.code == "connector.bad_answer" and where in str(caught.value)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_an_answer_not_a_json_object_is_a_bad_answer(server, body):
    OVERRIDE["/persons/p1/profile"] = (200, "application/json", body)
    with pytest.raises(LookupFailed) as caught:
        adapter(server).lookup(PROFILE, {"pid": "p1"})
    assert caught.value.code == "connector.bad_answer"


def test_a_lookup_refused_with_4xx_is_not_tried_again(server):
    OVERRIDE["/persons/p1/profile"] = (404, "application/json", b'{"code": "people.unknown", "message": "?"}')
    pauses: list[float] = []
    with pytest.raises(LookupFailed) as caught:
        HttpImplementation(catalog(), {"PEOPLE_URL": server}, sleep=pauses.append).lookup(PROFILE, {"pid": "p1"})
    assert caught.value.code == "connector.refused" and "people.unknown" in str(caught.value) and pauses == []


def test_a_lookup_down_is_tried_again_then_unavailable(server):
    FAKE.answers = [LookupFailed("x")]
    pauses: list[float] = []
    with pytest.raises(LookupFailed) as caught:
        HttpImplementation(catalog(), {"PEOPLE_URL": server}, sleep=pauses.append).lookup(PROFILE, {"pid": "p1"})
    assert caught.value.code == "connector.unavailable"
    assert len(FAKE.asked) == 3 and pauses == [0.1, 0.2]


def test_a_slow_lookup_beyond_the_timeout_is_unavailable(server):
    FAKE.answers = [0.5]
    with pytest.raises(LookupFailed) as caught:
        adapter(server, HttpSettings("PEOPLE_URL", timeout_seconds=0.05, retries=1)).lookup(PROFILE, {"pid": "p1"})
    assert caught.value.code == "connector.unavailable" and "0.05 s" in str(caught.value)


def test_no_server_at_all_is_unavailable():
    with pytest.raises(LookupFailed) as caught:
        adapter("http://127.0.0.1:9").lookup(PROFILE, {"pid": "p1"})
    assert caught.value.code == "connector.unavailable"


# -- operations --------------------------------------------------------------------------

def test_the_idempotency_key_and_application_id_are_received(server):
    answer = adapter(server).call(APPLY, "app-7", {"pid": "p1", "answers": {"a": 1}}, "key-7")
    assert answer == Answer(ACCEPTED, {"reference": "R-1", "echo": {"pid": "p1", "answers": {"a": 1}}})
    assert FAKE.asked == [("apply", {"pid": "p1", "answers": {"a": 1}}, "app-7", "key-7")]


def test_refused_with_a_declared_code_has_its_title(server):
    FAKE.answers = [Answer(REFUSED, code="desk.rejected", reason="the server's own words")]
    assert adapter(server).call(APPLY, "a", {"pid": "p1"}, "k") == \
        Answer(REFUSED, code="desk.rejected", reason="不予受理：材料不全。")


def test_a_transient_code_is_retry(server):
    OVERRIDE["/applications"] = (409, "application/json", b'{"code": "desk.busy", "message": "busy"}')
    assert adapter(server).call(APPLY, "a", {"pid": "p1"}, "k") == \
        Answer(RETRY, code="desk.busy", reason="系统繁忙，请稍后再试。")


@pytest.mark.parametrize("body", [b'{"code": "desk.other", "message": "?"}', b"<html>Bad Request</html>",
                                  b'{"message": "no code"}'])
def test_an_undeclared_refusal_is_refused_and_logged(server, body, caplog):
    OVERRIDE["/applications"] = (400, "text/html", body)
    with caplog.at_level(logging.WARNING, logger="govflow.connectors.http"):
        answer = adapter(server).call(APPLY, "a", {"pid": "p1"}, "k")
    assert answer == Answer(REFUSED, code="connector.undeclared_failure", reason=text("connector.undeclared_failure"))
    assert "people.apply" in caplog.text and "p1" not in caplog.text


def test_undeclared_codes_through_the_server_too(server):
    FAKE.answers = [Answer(REFUSED, code="desk.unheard_of", reason="?")]
    assert adapter(server).call(APPLY, "a", {"pid": "p1"}, "k").code == "connector.undeclared_failure"


@pytest.mark.server_error_expected     # the fake raises: the server answers 500
def test_5xx_then_success_is_tried_again_with_the_same_key(server):
    FAKE.answers = [RuntimeError("boom"), Answer(RETRY, code="desk.busy"), Answer(ACCEPTED, {"reference": "R-9"})]
    pauses: list[float] = []
    answer = HttpImplementation(catalog(), {"PEOPLE_URL": server}, sleep=pauses.append) \
        .call(APPLY, "a", {"pid": "p1"}, "k-5")
    assert answer == Answer(ACCEPTED, {"reference": "R-9"})
    assert [(name, key) for name, _, _, key in FAKE.asked] == [("apply", "k-5")] * 3
    assert pauses == [0.1, 0.2]


@pytest.mark.server_error_expected     # the fake raises: the server answers 500
def test_5xx_every_time_is_retry_unavailable(server):
    FAKE.answers = [RuntimeError("boom")]
    answer = adapter(server).call(APPLY, "a", {"pid": "p1"}, "k")
    assert answer == Answer(RETRY, code="connector.unavailable", reason=text("connector.unavailable"))
    assert len(FAKE.asked) == 3


def test_a_declared_transient_failure_answered_every_time_keeps_its_code(server):
    FAKE.answers = [Answer(RETRY, code="desk.busy", reason="?")]
    assert adapter(server).call(APPLY, "a", {"pid": "p1"}, "k") == \
        Answer(RETRY, code="desk.busy", reason="系统繁忙，请稍后再试。")


def test_a_slow_operation_beyond_the_timeout_is_retry(server):
    FAKE.answers = [0.5]
    answer = adapter(server, HttpSettings("PEOPLE_URL", timeout_seconds=0.05, retries=0)) \
        .call(APPLY, "a", {"pid": "p1"}, "k")
    assert answer.kind == RETRY and answer.code == "connector.unavailable"


def test_no_server_at_all_is_retry_never_an_exception():
    answer = adapter("http://127.0.0.1:9").call(APPLY, "a", {"pid": "p1"}, "k")
    assert answer.kind == RETRY and answer.code == "connector.unavailable"


@pytest.mark.parametrize("body", [b'{"reference": 12}', b"not json", b'["R-1"]'])
def test_an_accepted_answer_not_as_declared_is_retry_bad_answer(server, body):
    OVERRIDE["/applications"] = (201, "application/json", body)
    answer = adapter(server).call(APPLY, "a", {"pid": "p1"}, "k")
    assert answer == Answer(RETRY, code="connector.bad_answer", reason=text("connector.bad_answer"))


def test_a_missing_path_parameter_is_refused_not_sent(server):
    answer = adapter(server).call(REPORT, "a", {}, "k")
    assert answer.kind == REFUSED and answer.code == "connector.bad_request" and FAKE.asked == []


def test_dates_travel_as_iso_text(server):
    import datetime as dt
    adapter(server).call(APPLY, "a", {"pid": "p1", "answers": {"born": dt.date(2010, 5, 1)}}, "k")
    assert FAKE.asked[0][1]["answers"] == {"born": "2010-05-01"}


# -- configuration -----------------------------------------------------------------------

def test_a_missing_base_url_setting_is_a_config_error():
    with pytest.raises(ServiceConfigError, match="people.*PEOPLE_URL"):
        HttpImplementation(catalog(), {})
    with pytest.raises(ServiceConfigError, match="people.*PEOPLE_URL"):
        HttpImplementation(catalog(), {"PEOPLE_URL": "  "})


def test_a_connector_without_http_settings_is_a_config_error():
    with pytest.raises(ServiceConfigError, match="people.*http"):
        HttpImplementation(catalog(http=None), {"PEOPLE_URL": "http://x"})


def test_a_given_client_is_used_and_left_open():
    seen = []
    client = httpx.Client(transport=httpx.MockTransport(
        lambda r: seen.append(r) or httpx.Response(200, json={"count": 1})))
    implementation = HttpImplementation(catalog(), {"PEOPLE_URL": "http://people.test/base"}, client)
    assert implementation.lookup(PROFILE, {"pid": "p 1", "kind": True}) == {"count": 1}
    assert str(seen[0].url) == "http://people.test/base/persons/p%201/profile?kind=true"
    implementation.close()
    assert not client.is_closed


# -- the server on its own ---------------------------------------------------------------

def test_the_server_answers_404_405_and_wants_an_idempotency_key(server):
    assert httpx.get(server + "/nowhere").json()["code"] == "connector.not_found"
    wrong = httpx.delete(server + "/applications")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST"
    assert httpx.post(server + "/applications", json={}).status_code == 400
    assert httpx.post(server + "/applications", content=b"[1]", headers={"Idempotency-Key": "k"}).status_code == 400
    assert FAKE.asked == []


# -- any value survives the round trip ---------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text()
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                    max_leaves=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pid=st.text(), answers=st.dictionaries(st.text(), JSON, max_size=5), number=st.text(min_size=1),
       key=st.text(alphabet="abcdef0123456789-", min_size=1), app_id=st.text(alphabet="0123456789abc", max_size=8))
def test_any_request_survives_the_round_trip(server, pid, answers, number, key, app_id):
    FAKE.reset()
    implementation = adapter(server)
    request = {"pid": pid, "answers": answers}
    answer = implementation.call(APPLY, app_id, request, key)
    assert answer == Answer(ACCEPTED, {"reference": "R-1", "echo": request})
    assert FAKE.asked == [("apply", request, app_id, key)]
    assert implementation.call(REPORT, app_id, {"number": number}, key).kind == ACCEPTED
    assert FAKE.asked[1][1] == {"number": number}
    implementation.lookup(PROFILE, {"pid": number, "kind": pid})
    assert FAKE.asked[2][1] == {"pid": number, "kind": pid}


# -- the real declarations ---------------------------------------------------------------

def test_every_endpoint_of_the_real_connectors_is_served():
    real, problems = load_connectors(ROOT)
    assert not [p for p in problems if p.severity == "error"]
    fake = Fake()
    with serving(make_app(real, fake)) as live:
        config = {c.http.base_url_setting: live.url for c in real.connectors.values() if c.http}
        implementation = HttpImplementation(real, config)
        for lookup in real.lookups:
            assert implementation.lookup(lookup, {name: "x/1" for name in lookup.inputs}) == {}
        for operation in real.operations.values():
            request = {name: "v 1" for name in operation.request}
            answer = implementation.call(operation, "app-1", request, "key-1")
            assert answer.kind == ACCEPTED, operation.name
            assert set(answer.response) <= set(operation.response)
    assert [name for name, *_ in fake.asked] == [lk.name for lk in real.lookups] + list(real.operations)
    assert all(asked == {name: "x/1" for name in lk.inputs}
               for (_, asked, _, _), lk in zip(fake.asked, real.lookups, strict=False))


# -- `govflow connector-server`: the simulator behind the wire protocol ------------------

def test_the_connector_server_answers_as_the_simulator(tmp_path, monkeypatch):
    from govflow.cli import connector_app
    from govflow.services import build_services
    from govflow.services.personas import load_personas
    url = f"sqlite:///{tmp_path / 'simulators.db'}"
    monkeypatch.setenv("SIMULATOR_DATABASE_URL", url)
    app = connector_app(ROOT)
    real, _ = load_connectors(ROOT)
    direct = build_services({"SIMULATOR_DATABASE_URL": url}, ROOT / "demo", real).connector_implementation
    config = {c.http.base_url_setting: "http://connectors.test" for c in real.connectors.values() if c.http}
    over_http = HttpImplementation(real, config, httpx.Client(transport=httpx.WSGITransport(app=app)))
    personas, _ = load_personas(ROOT / "demo")
    lists = 0
    for persona in personas:
        for lookup in real.lookups:
            inputs = {name: persona.person.ssn for name in lookup.inputs}
            answer = over_http.lookup(lookup, inputs)
            assert answer == direct.lookup(lookup, inputs), (persona.id, lookup.name)
            lists += sum(len(v) for v in answer.values() if isinstance(v, list))
    assert lists > 0                        # some persona has records in a list fact
