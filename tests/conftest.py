"""Shared fixtures: definitions loaded once per session, a fresh app (own database, own simulated
world) per test, and a small API client that walks flows the way a mobile app would.

Tests marked `both_databases` (a module's `pytestmark`) run twice, `[sqlite]` and `[postgresql]`:
the `database` fixture is parametrized, and `db_url` (so `store` and `app`) follows it. PostgreSQL
is a throw-away cluster (pgcluster.py) started at the first such test; if it cannot be started
those tests fail and say why, they are never skipped.
"""
from __future__ import annotations

import pytest

import serverlog
from apptools import KEYRING, ROOT, STORE_SECRET, Clock, make_app
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
def app(tmp_path, definitions, database, db_url, request):
    """The app on the test's database; in a module that sets CLOCKED = True, on the `clock` the test moves."""
    moved = {"CLOCK": request.getfixturevalue("clock")} if getattr(request.module, "CLOCKED", False) else {}
    app = make_app(tmp_path, definitions, DATABASE_URL=db_url, **moved)
    assert app.extensions["govflow"].env.store.engine.dialect.name == database
    yield app
    app.extensions["govflow"].env.store.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client, app):
    from walkers import ApiWalker
    return ApiWalker(client, app)


pytest_runtest_protocol = serverlog.pytest_runtest_protocol     # the run's server log (tests/serverlog.py)
pytest_sessionfinish = serverlog.pytest_sessionfinish


def pytest_configure(config):
    """A plain `pytest` also runs the policy staff's scenarios (scenarios/*.yaml, docs/scenarios.md);
    the server log of the run is kept and checked for tracebacks (tests/serverlog.py)."""
    serverlog.pytest_configure(config)
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS and (ROOT / "scenarios").is_dir():
        config.args.append(str(ROOT / "scenarios"))


DATABASES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    if "database" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("database", DATABASES, indirect=True)


@pytest.fixture
def database(request) -> str:
    """"sqlite", or for a test marked both_databases each of DATABASES in turn."""
    return getattr(request, "param", "sqlite")


def _real_component(start, unavailable: type[Exception], which: str):
    """A real component the tests run against (started once per session, stopped at its end); when
    it cannot be had, the tests that need it fail with the reason: never skipped silently."""
    try:
        component = start()
    except unavailable as exc:
        problem = str(exc)
    else:
        yield component
        component.stop()
        return
    pytest.fail(f"the {which} tests cannot run: {problem}", pytrace=False)


@pytest.fixture(scope="session")
def postgres():
    from pgcluster import Cluster, PostgresUnavailable
    yield from _real_component(Cluster, PostgresUnavailable, "PostgreSQL")


@pytest.fixture
def db_url(tmp_path, database, request):
    """The test's own database: a SQLite file, or a new PostgreSQL database (dropped afterwards)."""
    if database == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite'}"
        return
    cluster = request.getfixturevalue("postgres")
    name = cluster.create_database()
    yield cluster.url(name)
    cluster.drop_database(name)


@pytest.fixture
def store(db_url, database, tmp_path):
    """A store of its own (SQLite file; a second `open_store(db_url, ...)` is a second worker)."""
    s = open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=KEYRING)
    assert s.engine.dialect.name == database
    yield s
    s.close()


@pytest.fixture(scope="session")
def clamd():
    """A real ClamAV daemon knowing the EICAR test signature (clamdaemon.py); started once per session."""
    from clamdaemon import Clamd, ClamdUnavailable
    yield from _real_component(Clamd, ClamdUnavailable, "virus scanning")


@pytest.fixture(autouse=True)
def _checker_language_back():
    """`govflow --lang en …` run in a test sets the checker's language for the thread: back to
    the default (Chinese, or $GOVFLOW_LANG) after each test."""
    from govflow import say
    token = say._language.set("")
    yield
    say._language.reset(token)
