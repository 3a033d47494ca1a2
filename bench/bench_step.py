"""Figures for one citizen step, measured in one process in one run (prints; asserts nothing).

- floor: GET of a bare Flask "hello" app through its test client (the cost of the client itself);
- API step POST of `pickup` and of `eligibility` on a draft already past them (each re-saves the page);
- HTML GET of the `info` page, and a trivial Flask view returning the same bytes;
- one rule set through the platform (RuleBook.evaluate on the request's facts) vs raw durable-rules
  assert_fact + retract_fact of the same prepared fact on the same compiled ruleset;
- COMMITs the database receives for one API step POST and one HTML step POST.

Targets (issue "one step is one unit of work"): step POST <= 10x floor; HTML GET of info <= 8x the
trivial view of its bytes; platform rules <= 1.3x raw durable-rules; exactly 1 commit per step.

Run: .venv/bin/python bench/bench_step.py [--n 300]
"""
from __future__ import annotations

import argparse
import gc
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from durable.engine import MessageNotHandledException  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import event  # noqa: E402

from apptools import make_app  # noqa: E402
from govflow.definitions import load_definitions  # noqa: E402
from govflow.rules.durable_adapter import GUARD, SID, nested  # noqa: E402
from walkers import ApiWalker, HtmlWalker  # noqa: E402


def median_us(fn, n: int) -> float:
    for _ in range(max(5, n // 10)):
        fn()
    gc.collect()
    samples = []
    for _ in range(n):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def bare_app(body: bytes = b"hello") -> Flask:
    app = Flask("bare")
    app.add_url_rule("/", "hello", lambda: body)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    n = parser.parse_args().n
    definitions, _ = load_definitions(ROOT)
    tmp = Path(tempfile.mkdtemp(prefix="bench-step-"))
    app = make_app(tmp, definitions)
    journey = app.extensions["govflow"]
    store = journey.env.store

    floor_client = bare_app().test_client()
    floor = median_us(lambda: floor_client.get("/"), n)

    api = ApiWalker(app.test_client(), app)
    api.walk_to_confirm()
    pickup = {"pickup_method": "branch", "branch_id": api.branch()}

    def post(page, action, data):
        r = api.client.post(f"/api/v1/applications/{api.id}/pages/{page}/actions/{action}", json=data,
                            headers=api.headers)
        assert r.status_code == 200, r.get_json()
    step_pickup = median_us(lambda: post("pickup", "next", pickup), n)
    # eligibility re-saved, then the pages it reopens are done again before the next repetition
    step_eligibility = median_us(lambda: post("eligibility", "check", {"issuing_city": "440100"}), n)

    web = HtmlWalker(app.test_client(), app)
    from test_html_walks import _to_confirm
    _to_confirm(web, phone="13922224444")      # another phone: SMS limits are per phone
    info = web.client.get(f"/a/{web.id}/info")
    assert info.status_code == 200
    html_get = median_us(lambda: web.client.get(f"/a/{web.id}/info"), n)
    trivial_client = bare_app(info.get_data()).test_client()
    trivial = median_us(lambda: trivial_client.get("/"), n)

    book = journey.env.rulebook
    app_record = store.applications.get(api.id)
    draft = journey.draft(app_record)
    name = "id_card_validity" if "id_card_validity" in book.rulesets else sorted(book.rulesets)[0]
    rs = book.rulesets[name]

    view = draft.facts_with({})
    book.evaluate(name, view)                          # the request's facts, prepared once for its rule sets

    def platform():
        book.evaluate(name, view)

    def platform_fresh():
        book.evaluate(name, draft.facts_with({}))     # facts prepared anew for this one rule set
    engine = book._engine(rs)
    fact = nested(draft.facts_with({}).engine_values(rs.facts_read))
    fact[GUARD] = 1
    fact["sid"] = SID

    def raw():
        try:
            engine._host.assert_fact(engine.name, fact)
        except MessageNotHandledException:
            pass
        try:
            engine._host.retract_fact(engine.name, fact)
        except MessageNotHandledException:
            pass
    rules_platform = median_us(platform, n * 5)
    rules_raw = median_us(raw, n * 5)
    rules_fresh = median_us(platform_fresh, n * 5)

    count = [0]
    event.listen(store.engine, "commit", lambda conn: count.__setitem__(0, count[0] + 1))
    count[0] = 0
    post("pickup", "next", pickup)
    api_commits = count[0]
    page = web.client.get(f"/a/{web.id}/pickup").get_data(as_text=True)
    revision = re.search(r'name="_revision" value="(\d+)"', page).group(1)
    count[0] = 0
    web.post("pickup", "next", {**pickup}, _revision=revision, expect=302)
    html_commits = count[0]

    print(f"floor: bare Flask GET through the test client     {floor:9.0f} µs")
    print(f"API step POST pickup (draft past it)               {step_pickup:9.0f} µs")
    print(f"API step POST eligibility (draft past it)          {step_eligibility:9.0f} µs")
    print(f"HTML GET info ({len(info.get_data()) // 1024} KB)                          {html_get:9.0f} µs")
    print(f"trivial view of the same bytes                     {trivial:9.0f} µs")
    print(f"rule set {name}: platform                 {rules_platform:9.1f} µs")
    print(f"rule set {name}: raw durable-rules        {rules_raw:9.1f} µs")
    print(f"rule set {name}: platform, fresh facts    {rules_fresh:9.1f} µs  (facts prepared for it alone)")
    print(f"commits: API step POST {api_commits}, HTML step POST {html_commits}")
    print()
    ratios = [("step POST pickup / floor", step_pickup / floor, 10),
              ("step POST eligibility / floor", step_eligibility / floor, 10),
              ("HTML GET info / trivial view", html_get / trivial, 8),
              ("platform rules / raw durable-rules", rules_platform / rules_raw, 1.3)]
    for label, ratio, target in ratios:
        print(f"{label:38} {ratio:6.2f}x  (target <= {target}x: {'met' if ratio <= target else 'NOT met'})")
    for label, got in (("commits per API step", api_commits), ("commits per HTML step", html_commits)):
        print(f"{label:38} {got:6d}   (target exactly 1: {'met' if got == 1 else 'NOT met'})")


if __name__ == "__main__":
    main()
