"""Schema migrations (Alembic, store/migrations/): a new database is made by them, one made by
govflow 0.1's create_all is adopted and upgraded in place, the newest revision matches models.py
(a model changed without a migration fails here), and workers starting together migrate once."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from apptools import KEYRING, ROOT, STORE_SECRET
from govflow.cli import main as cli_main
from govflow.store import open_store, schema
from govflow.store.database import make_engine
from govflow.store.models import Base
from govflow.store.staff import DEMO_ROLES, StaffAccounts

pytestmark = pytest.mark.both_databases      # [sqlite] and [postgresql] (conftest.py)

FIXTURES = ROOT / "tests" / "fixtures"
T0 = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)


def _revisions(engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


def _model_diff(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)


def _make_0_1_database(url: str, without: tuple[str, ...] = ()) -> None:
    """The tables as govflow 0.1 created them (create_all; no alembic_version), and a draft in them."""
    engine = make_engine(url)
    ddl = (FIXTURES / f"schema-0.1.{engine.dialect.name}.sql").read_text("utf-8")
    statements = ["\n".join(line for line in part.splitlines() if not line.startswith("--")).strip()
                  for part in ddl.split(";\n")]
    with engine.begin() as conn:
        for statement in filter(None, statements):
            if not any(f" {table} " in statement.split("(")[0] + " " for table in without):
                conn.exec_driver_sql(statement)
        conn.execute(text(
            "INSERT INTO applications (id, flow_id, owner, flow_version, rule_versions, status, answers, done, "
            "context, submit_attempts, created_at, updated_at, revision) VALUES ('a' || :pad, 'sscard_adult', "
            "'owner-1', 'f1', '{}', 'draft', :answers, '[\"guide\"]', '{}', 0, :at, :at, 3)"),
            {"pad": "0" * 31, "answers": '{"guide": {"consent": true}}', "at": T0.replace(tzinfo=None)})
    engine.dispose()


def test_a_new_database_is_made_by_the_migrations_and_matches_the_models(store):
    assert _revisions(store.engine) == [schema.head()]
    assert _model_diff(store.engine) == []
    assert "alembic_version" in inspect(store.engine).get_table_names()


def test_downgrade_to_nothing_and_upgrade_again(store):
    with store.engine.begin() as conn:
        command.downgrade(schema.config(conn), "base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    assert schema.upgrade(store.engine) == (None, schema.head())
    assert _model_diff(store.engine) == []


@pytest.mark.parametrize("without", [(), ("staff_users",)], ids=["0.1", "before-staff-accounts"])
def test_a_database_made_before_migrations_is_adopted_and_upgraded(db_url, tmp_path, without):
    _make_0_1_database(db_url, without)
    store = open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=KEYRING)
    try:
        assert _revisions(store.engine) == [schema.head()]
        assert _model_diff(store.engine) == []
        kept = store.applications.get("a" + "0" * 31)
        assert kept.answers == {"guide": {"consent": True}} and kept.revision == 3 and kept.created_at == T0
        store.applications.save(kept)
        assert StaffAccounts(store).add("auditor", "long-enough-1") is True
        assert StaffAccounts(store).authenticate("auditor", "long-enough-1").ok
    finally:
        store.close()


def test_workers_starting_together_on_a_new_database_migrate_it_once(db_url, tmp_path):
    """Four workers open one new database at the same moment and each makes sure the demo staff
    accounts exist: no error, one revision row, two accounts."""
    opening, opened = threading.Barrier(4, timeout=60), threading.Barrier(4, timeout=60)
    problems: list[BaseException] = []
    stores = []

    def start():
        try:
            opening.wait()
            store = open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=KEYRING)
            stores.append(store)
            opened.wait()
            StaffAccounts(store).ensure_demo()
        except BaseException as exc:       # noqa: B036 - reported below, from the main thread
            problems.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert problems == []
        assert _revisions(stores[0].engine) == [schema.head()]
        assert StaffAccounts(stores[0]).count() == len(DEMO_ROLES)   # the demo accounts
    finally:
        for s in stores:
            s.close()


def test_a_database_migrated_by_a_newer_govflow_is_refused(store, db_url, tmp_path):
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(RuntimeError, match="9999.*newer govflow"):
        open_store(db_url, tmp_path / "uploads", STORE_SECRET, keyring=KEYRING)


def test_govflow_migrate_command(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert cli_main(["migrate"]) == 0
    assert f"migrated from nothing to revision {schema.head()}" in capsys.readouterr().out
    assert cli_main(["migrate"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    engine = make_engine(db_url)
    try:
        assert _revisions(engine) == [schema.head()]
    finally:
        engine.dispose()
