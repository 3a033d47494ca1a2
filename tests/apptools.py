"""What tests need to build an app: the project root, the fixed 'today', a clock tests move, and
`make_app`.

A plain module (not conftest.py) so that test modules and tests/browser can import it by name.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from werkzeug.serving import make_server

from govflow.store.crypto import Keyring
from govflow.web import create_app

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 27)
T0 = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)      # a fixed moment of TODAY (10:00 in Beijing)
STORE_SECRET = b"test-secret-0123456789abcdef"
KEYRING = Keyring("test-1", {"test-1": bytes(range(32))}, bytes(range(100, 132)))   # encryption at rest


def make_app(tmp_path: Path, definitions, **extra):
    """An app with its own database and simulated world (files in tmp_path), sharing the loaded
    definitions. Two apps made on one tmp_path share both databases and the uploads: two worker
    processes, or one server before and after a restart."""
    config = {"PROJECT_DIR": ROOT, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
              "SIMULATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'simulators.db'}",
              "UPLOAD_DIR": tmp_path / "uploads", "SECRET_KEY": "test-secret-" + "x" * 32, "TESTING": True,
              "DEFINITIONS": definitions, "TODAY": lambda: TODAY, "KEYRING": KEYRING}
    config.update(extra)
    return create_app(config)


class Clock:
    """The store's clock in a test (config CLOCK): it stands at `start` until the test moves it."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@dataclass
class LiveServer:
    url: str
    app: object

    @property
    def journey(self):
        return self.app.extensions["govflow"]

    def outbox(self):
        return self.journey.env.services.sms_gateway.outbox()


@contextmanager
def serving(app) -> Iterator[LiveServer]:
    """`app` served on a free port of 127.0.0.1 in a thread (the browser tests' live server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="govflow-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def publish_edits(app, edits: dict[str, list[tuple[str, str]]], at=None, reason: str = "测试修改") -> str:
    """Change definition files the way staff do: a draft by `staff` (editor), text replacements
    per file, approved and published by `reviewer` (at `at`, default now). The new bundle version."""
    from govflow.publishing.workflow import Workflow
    engine = app.extensions["govflow"]
    flow = Workflow(engine.env.store, engine.bundles)
    editor, reviewer = ("editor",), ("reviewer", "publisher")
    draft = flow.create("staff", editor, reason)
    for name, replacements in edits.items():
        text = flow.files(draft)[name]
        for old, new in replacements:
            assert old in text, f"{old!r} not in {name}"
            text = text.replace(old, new, 1)
        draft = flow.save_file("staff", editor, draft.id, draft.revision, name, text)
    checked = flow.check(draft)
    assert not checked.errors, [str(p) for p in checked.errors]
    draft = flow.act("submit", "staff", editor, draft.id, draft.revision)
    draft = flow.act("approve", "reviewer", reviewer, draft.id, draft.revision)
    flow.act("publish", "reviewer", reviewer, draft.id, draft.revision, at=at)
    return checked.version


def follow(app) -> bool:
    """What the app does before each request (at most once a second): switch to the bundle published
    last, if it is not the one served. True when it switched."""
    engine = app.extensions["govflow"]
    engine.bundles.min_interval = 0
    switched = engine.bundles.live_if_changed()
    if switched is not None:
        engine.adopt(*switched)
    return switched is not None


# An edit of rules/pickup.yaml that restricts mainland residents under 60 to 网点领卡 as well (the tests
# of published versions: the demo's mainland adults, 陈志明 and 黄丽华, lose 邮寄到付). Older mainland
# residents keep it, so the checker does not refuse the edit as leaving 邮寄到付 to nobody
# (rule.option_never_allowed), which adding `mainland` to PICK-001's list would do.
BRANCH_ONLY_UNDER_60 = [
    ("when: {fact: identity.residency, in: [hk, macau, taiwan]}",
     "when: {any: [{fact: identity.residency, in: [hk, macau, taiwan]},"
     " {all: [{fact: identity.residency, eq: mainland}, {fact: identity.age, lt: 60}]}]}"),
    ("      - given: {identity: {residency: mainland}}\n        fires: []",
     "      - given: {today: 2026-11-27, identity: {residency: mainland, birth_date: 1990-01-01}}\n"
     "        fires: [PICK-001]\n"
     "      - given: {today: 2026-11-27, identity: {residency: mainland, birth_date: 1950-01-01}}\n"
     "        fires: []"),
]


def registry_record(services, ssn: str) -> dict:
    """What the simulated registry holds of `ssn` now (cancelled cards included): the record of
    the connectors whose `world:` is registry (connectors/*.yaml, demo/personas.yaml)."""
    return services.connector_implementation.record("registry", ssn)


def connector_calls(journey, operation: str | None = None) -> dict[str, int]:
    """How many calls of `operation` each application made, from every worker (the simulator's log)."""
    return journey.env.connectors.implementation.calls_by_application(operation)


def live_cards(services, ssn: str) -> int:
    """How many of `ssn`'s cards the simulated registry holds that are not cancelled (注销)."""
    return sum(1 for c in registry_record(services, ssn).get("cards", []) if c["status"] != "注销")
