"""Shared fixtures: definitions loaded once per session, a fresh app (own database, own simulated
world) per test, and a small API client that walks flows the way a mobile app would."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from govflow.definitions import load_definitions
from govflow.web import create_app

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 27)


@pytest.fixture(scope="session")
def definitions():
    loaded, problems = load_definitions(ROOT)
    errors = [str(p) for p in problems if p.severity == "error"]
    if loaded is None:
        pytest.fail("shipped definitions do not load:\n" + "\n".join(errors))
    return loaded


def make_app(tmp_path: Path, definitions, **extra):
    config = {"PROJECT_DIR": ROOT, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
              "UPLOAD_DIR": tmp_path / "uploads", "SECRET_KEY": "test-secret-" + "x" * 32, "TESTING": True,
              "DEFINITIONS": definitions, "TODAY": lambda: TODAY}
    config.update(extra)
    return create_app(config)


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
