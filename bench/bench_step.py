"""Figures for one citizen step, measured in one process in one run. Prints numbers; asserts
nothing about timing (a failed set-up walk stops the script with a message).

Every timing is the median over N repetitions (--n), in microseconds, after a warm-up of
max(5, N/10) untimed calls, with gc.collect() before each section. The figures compared in a
ratio are taken in alternating blocks (5 rounds of N/5 calls each: A, B, A, B, ...) so that a
passing burst of load on the machine hits both sides alike; calls are not interleaved one by
one, which would leave every call with cold caches (measured: the floor gets ~45% slower).

1. floor            GET / of a bare Flask app whose one view returns "hello", through its own
                    app.test_client(): what the test client and Flask cost with nothing behind them.
2. API step POST    POST /api/v1/applications/<id>/pages/pickup/actions/next on an adult draft
                    walked to `confirm` (past pickup), re-posting the same valid answers: each
                    repost validates the page, runs its rule set, logs the decisions and re-saves
                    it. The same for `eligibility` (action `check`); a repost of eligibility leaves
                    the draft on `upload`, so each repetition is followed by an untimed repost of
                    pickup that brings it back to `confirm` (the figure is the one eligibility POST).
3. HTML GET info    GET /a/<id>/info of a draft started through the HTML blueprint (POST
                    /start/<flow> with the CSRF token; the test client keeps the session cookie)
                    and walked to `confirm`; versus a trivial view on a bare app returning the same
                    bytes (the body of the info page, captured once), through its own test client.
4. rules            one rule set through the platform, RuleBook.evaluate(name, facts), with the
                    facts dict the journey builds for the walked draft (build_facts: identity,
                    registry, form, today); versus raw durable-rules on the same compiled ruleset:
                    host.assert_fact + host.retract_fact of the nested fact built once exactly as
                    the adapter's fire() builds it (nested(values) + guard + sid). Shown for
                    `pickup` (the pickup page's check) and `id_card_validity` (the larger of the info
                    page's two). Also shown, for reference: evaluate() given a FactView prepared
                    once, as one request shares it among its rule sets. N x 10 repetitions.
5. commits          COMMITs the database receives (SQLAlchemy "commit" event on the store's
                    Engine) for one API step POST of pickup and one HTML step POST of pickup (and,
                    for reference, for one GET of each).

Targets: step POST / floor <= 10x; HTML GET info / trivial view <= 8x; platform rules /
raw durable-rules <= 1.3x; exactly 1 commit per step.

The journey is reached only as app.extensions["govflow"] and the store as its .env.store, so
renames of the classes behind them do not matter; if those names go, the script says so.
Wall-clock figures on a shared machine are noisy: the load average is printed before and after.

Run from the repo root: .venv/bin/python bench/bench_step.py [--n 500]
"""
from __future__ import annotations

import argparse
import gc
import inspect
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "platform", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from durable.engine import MessageNotHandledException  # noqa: E402
from step_kit import (  # noqa: E402
    BenchError,
    Commits,
    Outcomes,
    api_draft_at_confirm,
    bare_app,
    code_version,
    html_draft_at_confirm,
    journey_of,
    medians_us,
    row,
)

from apptools import TODAY, make_app  # noqa: E402
from govflow.definitions import load_definitions  # noqa: E402
from govflow.journey.facts import build_facts, flat_answers  # noqa: E402
from govflow.rules.durable_adapter import GUARD, SID, nested  # noqa: E402

RULESETS = ("pickup", "id_card_validity")
ELIGIBILITY = {"issuing_city": "440100"}


# -- the sections --------------------------------------------------------------------------------

class ApiSection:
    """The adult draft at confirm over the API, and its step POSTs."""

    def __init__(self, app):
        self.app = app
        self.journey, self.env, self.store = journey_of(app)
        self.walker = api_draft_at_confirm(app)
        self.pickup = {"pickup_method": "branch", "branch_id": self.walker.branch()}

    def post(self, page: str, action: str, data: dict, outcomes: Outcomes | None = None):
        w = self.walker
        r = w.client.post(f"/api/v1/applications/{w.id}/pages/{page}/actions/{action}", json=data,
                          headers=w.headers)
        if outcomes is not None:
            outcomes.add(r)
        return r

    def run(self, n: int) -> tuple[float, float, float]:
        """(floor, step POST pickup, step POST eligibility), taken in alternating blocks."""
        floor_client = bare_app().test_client()
        if floor_client.get("/").get_data() != b"hello":
            raise BenchError("the bare app does not answer 'hello'")
        pickup, eligibility, restore = Outcomes(), Outcomes(), Outcomes()

        def eligibility_then_restore() -> int:
            start = time.perf_counter_ns()
            self.post("eligibility", "check", ELIGIBILITY, eligibility)
            took = time.perf_counter_ns() - start
            self.post("pickup", "next", self.pickup, restore)       # back to confirm, not timed
            return took

        def clear():
            for outcomes in (pickup, eligibility, restore):
                outcomes.clear()
        gc.collect()
        floor, t_pickup, t_eligibility = medians_us(
            [lambda: floor_client.get("/"), lambda: self.post("pickup", "next", self.pickup, pickup),
             eligibility_then_restore], n, clear)
        row("1. floor: bare Flask GET / via its test client", floor)
        row("2. API step POST pickup (draft at confirm)", t_pickup, pickup)
        row("   API step POST eligibility (restored after each)", t_eligibility, eligibility)
        row("   (the untimed POST of pickup restoring confirm)", None, restore)
        return floor, t_pickup, t_eligibility

    def commits(self) -> tuple[int, int]:
        """Commits of one step POST of pickup, and of one GET of the pickup page."""
        counter = Commits(self.store.engine)
        try:
            step, r = counter.around(lambda: self.post("pickup", "next", self.pickup))
            if r.status_code != 200:
                print(f"   (API commit count: the step POST answered {r.status_code})")
            read, _ = counter.around(lambda: self.walker.page("pickup"))
        finally:
            counter.close()
        return step, read


class HtmlSection:
    """The adult draft at confirm through the HTML pages, GET info vs a trivial view."""

    def __init__(self, app):
        self.app = app
        self.journey, self.env, self.store = journey_of(app)
        self.web, self.branch = html_draft_at_confirm(app, self.env)
        info = self.get_info()
        if info.status_code != 200:
            raise BenchError(f"GET /a/<id>/info answered {info.status_code}")
        self.body = info.get_data()

    def get_info(self):
        return self.web.client.get(f"/a/{self.web.id}/info")

    def run(self, n: int) -> tuple[float, float]:
        outcomes = Outcomes()
        client = bare_app(self.body).test_client()
        if client.get("/").get_data() != self.body:
            raise BenchError("the trivial view does not return the info page's bytes")
        gc.collect()
        t_get, t_trivial = medians_us([lambda: outcomes.add(self.get_info()), lambda: client.get("/")], n,
                                      outcomes.clear)
        row(f"3. HTML GET /a/<id>/info ({len(self.body):,} bytes)", t_get, outcomes)
        row("   trivial view returning the same bytes", t_trivial)
        return t_get, t_trivial

    def commits(self) -> tuple[int, int]:
        """Commits of one HTML step POST of pickup (form with CSRF token), and of one GET of info."""
        page = self.web.client.get(f"/a/{self.web.id}/pickup").get_data(as_text=True)
        found = re.search(r'name="_revision" value="(\d+)"', page)
        extra = {"_revision": found.group(1)} if found else {}
        counter = Commits(self.store.engine)
        try:
            form = {"pickup_method": "branch", "branch_id": self.branch}
            step, r = counter.around(lambda: self.web.post("pickup", "next", form, **extra))
            if r.status_code != 302:
                print(f"   (HTML commit count: the step POST answered {r.status_code}, not a 302 redirect)")
            read, _ = counter.around(self.get_info)
        finally:
            counter.close()
        return step, read


def raw_durable(engine, fact: dict):
    """assert_fact + retract_fact of `fact` on the engine's host, as the adapter's fire() does."""
    host, name = getattr(engine, "_host", None), getattr(engine, "name", None)
    if host is None or name is None:
        raise BenchError(f"RuleBook._engine() gave a {type(engine).__name__} without _host and name")

    def raw():
        try:
            host.assert_fact(name, fact)
        except MessageNotHandledException:
            pass
        try:
            host.retract_fact(name, fact)
        except MessageNotHandledException:
            pass
    return raw


def rule_inputs(env, record, rs):
    """(the facts dict the journey builds for `record`, the values fire() gives durable-rules
    for rule set `rs`, the prepared FactView or None). The core before the journey refactor
    (commit 336b930) had build_facts(flow, ...) and RuleBook._prepare(): handled too, so the
    same script measures both."""
    book, answers = env.rulebook, flat_answers(record.answers)
    if "flow" in inspect.signature(build_facts).parameters:
        facts = build_facts(env.flows[record.flow_id], record.context, answers, TODAY)
    else:
        facts = build_facts(record.context, answers, TODAY)
    if hasattr(book, "view"):
        prepared = book.view(facts)
        return facts, prepared.engine_values(rs.facts_read), prepared
    return facts, book._prepare(rs.name, facts)[1].values, None


def rules_section(env, store, app_id: str, n: int) -> list[tuple[str, float, float]]:
    """Platform vs raw durable-rules per rule set; returns (name, platform µs, raw µs)."""
    book = env.rulebook
    record = store.applications.get(app_id)
    print(f"4. rules, per evaluation (facts of the API draft; {n} repetitions):")
    out = []
    for name in RULESETS:
        rs = book.rulesets.get(name)
        if rs is None:
            print(f"   rule set {name} not found; known: {sorted(book.rulesets)}")
            continue
        engine = book._engine(rs)
        facts, values, prepared = rule_inputs(env, record, rs)
        fact = nested(values)
        fact[GUARD] = 1
        fact["sid"] = SID
        raw = raw_durable(engine, fact)
        fns = [lambda name=name, facts=facts: book.evaluate(name, facts), raw]
        if prepared is not None:
            fns.append(lambda name=name, view=prepared: book.evaluate(name, view))
        gc.collect()
        t_platform, t_raw, *t_prepared = medians_us(fns, n)
        fired = getattr(engine, "_fired", None)     # what the raw call fired, for a sanity check
        fired_raw: object = "?"
        if isinstance(fired, list):
            fired.clear()
            raw()
            fired_raw = sorted(rs.rules[i].id for i in set(fired))
            fired.clear()
        print(f"   {name}: {len(rs.rules)} rules, {len(values)} fact values given to durable; fired: platform "
              f"{book.evaluate(name, facts).ids()}, raw {fired_raw}")
        row("     platform: RuleBook.evaluate(name, facts dict)", t_platform)
        row("     raw durable-rules: assert_fact + retract_fact", t_raw)
        if t_prepared:
            row("     platform with a prepared FactView (reference)", t_prepared[0])
        out.append((name, t_platform, t_raw, t_prepared[0] if t_prepared else None))
    return out


def report_ratios(floor, steps, html, rules, commits) -> None:
    def verdict(ok: bool) -> str:
        return "target met: " + ("yes" if ok else "no")
    ratios = [("API step POST pickup / floor", steps[0] / floor, 10),
              ("API step POST eligibility / floor", steps[1] / floor, 10),
              ("HTML GET info / trivial view", html[0] / html[1], 8)]
    # a request prepares its facts once (one FactView) for every rule set of the page: the target is
    # the rule set's cost on that view; a view made for one rule set alone is shown for reference
    for name, _, t_raw, t_prepared in rules:
        if t_prepared is not None:
            ratios.append((f"rules {name}: platform (request's facts) / raw", t_prepared / t_raw, 1.3))
    print("\nratios:")
    for label, ratio, target in ratios:
        print(f"  {label:46} {ratio:7.2f}x  (target <= {target}x)   {verdict(ratio <= target)}")
    for name, t_platform, _t_raw, _ in rules:
        print(f"  {'rules ' + name + ': facts prepared for it alone':46} {t_platform / _t_raw:7.2f}x  (reference)")
    for label, got in zip(("commits per API step POST", "commits per HTML step POST"), commits, strict=True):
        print(f"  {label:46} {got:7d}   (target exactly 1)   {verdict(got == 1)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="repetitions per figure (rules: 10x this)")
    n = parser.parse_args().n
    began = time.perf_counter()
    definitions, _ = load_definitions(ROOT)
    tmp = Path(tempfile.mkdtemp(prefix="bench-step-"))
    api = ApiSection(make_app(tmp / "api", definitions))      # each its own database and simulated world
    html = HtmlSection(make_app(tmp / "html", definitions))
    load = os.getloadavg()
    print(f"\nbench_step: N={n}, medians in µs; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{code_version()}\n")

    floor, *steps = api.run(n)
    get_info = html.run(n)
    rules = rules_section(api.env, api.store, api.walker.id, n * 10)
    api_commits, api_read = api.commits()
    html_commits, html_read = html.commits()
    print(f"5. commits: API step POST pickup {api_commits}, HTML step POST pickup {html_commits}; "
          f"for reference, API GET pickup page {api_read}, HTML GET info {html_read}")

    report_ratios(floor, steps, get_info, rules, (api_commits, html_commits))
    load = os.getloadavg()
    print(f"\n(whole script {time.perf_counter() - began:.1f} s; load average now {load[0]:.2f}; "
          f"databases in {tmp})")


if __name__ == "__main__":
    main()
