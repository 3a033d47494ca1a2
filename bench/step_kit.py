"""Tools of bench/bench_step.py: timing in alternating blocks, bare apps, commit and outcome
counters, and the walks (the tests' own walkers) that bring a draft to `confirm`."""
from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "platform", ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from flask import Flask  # noqa: E402
from sqlalchemy import event  # noqa: E402

from test_html_walks import _to_confirm  # noqa: E402
from walkers import ApiWalker, HtmlWalker  # noqa: E402

LABEL = 54


class BenchError(SystemExit):
    def __init__(self, message: str):
        super().__init__(f"bench_step: {message}")


# -- helpers -----------------------------------------------------------------------------------

ROUNDS = 5


def medians_us(fns: list, n: int, after_warmup=None) -> list[float]:
    """Median wall time in µs of each fn over n calls: max(5, n/10) untimed warm-up calls of
    each, then `after_warmup()` (e.g. to reset status counters), then ROUNDS rounds in which
    each fn in turn is called n/ROUNDS times. If fn returns an int, that is taken as the time
    in ns it measured itself (for a figure that leaves out an untimed restore)."""
    for fn in fns:
        for _ in range(max(5, n // 10)):
            fn()
    if after_warmup is not None:
        after_warmup()
    gc.collect()
    samples: list[list[int]] = [[] for _ in fns]
    per_round = [n // ROUNDS + (1 if r < n % ROUNDS else 0) for r in range(ROUNDS)]
    for calls in per_round:
        for fn, out in zip(fns, samples, strict=True):
            for _ in range(calls):
                start = time.perf_counter_ns()
                own = fn()
                out.append(own if isinstance(own, int) else time.perf_counter_ns() - start)
    return [statistics.median(out) / 1000 for out in samples]


def bare_app(body: bytes = b"hello") -> Flask:
    app = Flask("bench_bare")
    app.add_url_rule("/", "hello", lambda: body)
    return app


def journey_of(app):
    """(app.extensions["govflow"], its .env, its .env.store), or a clear error if renamed."""
    journey = app.extensions.get("govflow")
    if journey is None:
        raise BenchError(f'app.extensions has no "govflow" entry (keys: {sorted(app.extensions)}); '
                         "update journey_of() in bench/bench_step.py")
    env = getattr(journey, "env", None)
    if env is None:
        raise BenchError(f'app.extensions["govflow"] ({type(journey).__name__}) has no .env; its attributes: '
                         f"{[a for a in dir(journey) if not a.startswith('_')]}")
    store = getattr(env, "store", None)
    if store is None or getattr(store, "engine", None) is None:
        raise BenchError(f"{type(env).__name__} has no .store with an .engine (a SQLAlchemy Engine); "
                         f"env attributes: {[a for a in dir(env) if not a.startswith('_')]}")
    return journey, env, store


class Commits:
    """Counts COMMITs on a SQLAlchemy Engine."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0
        event.listen(engine, "commit", self._seen)

    def _seen(self, _conn):
        self.count += 1

    def around(self, fn):
        """(commits during fn(), fn's result)."""
        self.count = 0
        result = fn()
        return self.count, result

    def close(self):
        event.remove(self.engine, "commit", self._seen)


class Outcomes:
    """HTTP statuses (and the page the API answer names) seen by one timed loop."""

    def __init__(self):
        self.statuses: Counter = Counter()
        self.pages: Counter = Counter()
        self.first_bad = None

    def add(self, response) -> None:
        self.statuses[response.status_code] += 1
        body = response.get_json(silent=True) if response.is_json else None
        if isinstance(body, dict) and "page" in body:
            self.pages[body["page"]] += 1
        if response.status_code not in (200, 302) and self.first_bad is None:
            self.first_bad = body or response.get_data(as_text=True)[:300]

    def clear(self) -> None:
        self.statuses.clear()
        self.pages.clear()

    def __str__(self) -> str:
        text = ", ".join(f"{code} x{count}" for code, count in sorted(self.statuses.items()))
        if self.pages:
            text += "; page after: " + ", ".join(f"{p} x{c}" for p, c in sorted(self.pages.items()))
        if set(self.statuses) != {200}:
            text += f"   <-- WARNING: not all 200; first other answer: {self.first_bad}"
        return f"[{text}]"


def code_version() -> str:
    """The commit measured and whether the working tree differs from it (read-only git calls)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    try:
        head = git("log", "-1", "--format=%h %cd %s", "--date=format:%Y-%m-%d %H:%M")
        dirty = [line[3:] for line in git("status", "--porcelain", "--", "platform", "tests", "renderers",
                                          "flows", "rules").splitlines()]
    except (OSError, subprocess.SubprocessError):
        return "code: not a git checkout"
    changed = f"; uncommitted changes in {len(dirty)} file(s): {', '.join(dirty)}" if dirty else "; clean"
    return f"code: HEAD {head[:90]}{changed}"


def row(label: str, us: float | None = None, note: object = "") -> None:
    figure = f"{us:9.1f} µs" if us is not None else " " * 12
    print(f"{label:{LABEL}} {figure}   {note}".rstrip())


# -- the walks ---------------------------------------------------------------------------------

def api_draft_at_confirm(app) -> ApiWalker:
    walker = ApiWalker(app.test_client(), app)
    try:
        walker.walk_to_confirm()
    except AssertionError as exc:
        raise BenchError(f"the API walk to confirm failed: {exc}") from exc
    return walker


def html_draft_at_confirm(app, env, phone="13800138001") -> tuple[HtmlWalker, str]:
    """The HTML walk of tests/test_html_walks.py (its `_to_confirm`), to `confirm`; also the branch chosen."""
    web = HtmlWalker(app.test_client(), app)
    try:
        _to_confirm(web, phone=phone)
    except AssertionError as exc:
        raise BenchError(f"the HTML walk to confirm failed: {exc}") from exc
    return web, web.journey.env.store.applications.get(web.id).answers["pickup"]["branch_id"]
