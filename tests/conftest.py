"""Shared fixtures: definitions loaded once per session, a fresh app (own database, own simulated
world) per test, and a small API client that walks flows the way a mobile app would."""
from __future__ import annotations

import pytest

from apptools import ROOT, STORE_SECRET, make_app
from govflow.definitions import load_definitions
from govflow.store import open_store


@pytest.fixture(scope="session")
def definitions():
    loaded, problems = load_definitions(ROOT)
    errors = [str(p) for p in problems if p.severity == "error"]
    if loaded is None:
        pytest.fail("shipped definitions do not load:\n" + "\n".join(errors))
    return loaded


@pytest.fixture
def app(tmp_path, definitions):
    return make_app(tmp_path, definitions)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client, app):
    from walkers import ApiWalker
    return ApiWalker(client, app)


def pytest_configure(config):
    """A plain `pytest` also runs the policy staff's scenarios (scenarios/*.yaml, docs/scenarios.md)."""
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS and (ROOT / "scenarios").is_dir():
        config.args.append(str(ROOT / "scenarios"))


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'db.sqlite'}"


@pytest.fixture
def store(db_url, tmp_path):
    """A store of its own (SQLite file; a second `open_store(db_url, ...)` is a second worker)."""
    s = open_store(db_url, tmp_path / "uploads", STORE_SECRET)
    yield s
    s.close()
