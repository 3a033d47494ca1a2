"""A throw-away PostgreSQL cluster for the tests: Debian's `postgresql` package's initdb and pg_ctl,
a data directory in /tmp, a unix socket only (no TCP port to collide with), fsync off.

Started once per test session, the first time a test asks for PostgreSQL; each test gets a database
of its own (CREATE DATABASE, dropped with its connections afterwards). As root the server runs as
the `postgres` user (initdb refuses root). GOVFLOW_TEST_POSTGRES=postgresql+psycopg://... uses a
running server instead (its user must be allowed to CREATE DATABASE).
Nothing here skips: when PostgreSQL cannot be started, PostgresUnavailable says why and how to fix it.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL

INSTALL = "sudo apt-get install -y postgresql   (or run `make test`, which installs it when run as root)"
SERVER_OPTIONS = ("-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                  "-c max_connections=300 -c shared_buffers=32MB")


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        on_path = shutil.which("initdb")
        if on_path is None:
            raise PostgresUnavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb). "
                                      f"Run:  {INSTALL}")
        return Path(on_path).parent
    return Path(found[-1]).parent


class Cluster:
    """`admin_url` reaches the server as a user that may create databases; `url(name)` one database."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._bin: Path | None = None
        self._owner: str | None = None
        self._count = itertools.count(1)
        external = os.environ.get("GOVFLOW_TEST_POSTGRES")
        self.admin_url: URL = make_url(external) if external else self._start()
        self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
        try:
            with self._admin.connect() as conn:
                self.version = str(conn.execute(text("SHOW server_version")).scalar())
                self._major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
        except Exception as exc:
            self.stop()
            raise PostgresUnavailable(f"cannot connect to PostgreSQL at {self.admin_url!r}: {exc}") from exc

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._owner is not None:
            command = ["runuser", "-u", self._owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self._dir)   # one postgres may enter
        if done.returncode != 0:
            log = self._dir / "server.log" if self._dir else None
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise PostgresUnavailable(f"{' '.join(command)} failed ({done.returncode}):\n"
                                      f"{done.stdout}{done.stderr}{tail}")

    def _start(self) -> URL:
        self._bin = _bindir()
        self._dir = Path(tempfile.mkdtemp(prefix="govflow-pg-"))
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root, and there is no `postgres` user to run the "
                                          f"server as (it comes with the package). Run:  {INSTALL}") from None
            self._owner = "postgres"
            os.chown(self._dir, user.pw_uid, user.pw_gid)
        data = self._dir / "data"
        self._run(str(self._bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        self._run(str(self._bin / "pg_ctl"), "-D", str(data), "-l", str(self._dir / "server.log"), "-w", "-t", "60",
                  "-o", f"-k {self._dir} {SERVER_OPTIONS}", "start")
        return URL.create("postgresql+psycopg", username="postgres", database="postgres",
                          query={"host": str(self._dir)})

    def url(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def create_database(self) -> str:
        name = f"govflow_test_{os.getpid()}_{next(self._count)}"
        copy = " STRATEGY FILE_COPY" if self._major >= 15 else ""     # faster for a small template
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0{copy}'))
        return name

    def drop_database(self, name: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))   # ends leftover connections

    def stop(self) -> None:
        if hasattr(self, "_admin"):
            self._admin.dispose()
        if self._dir is None:
            return
        if (self._dir / "data" / "postmaster.pid").exists():
            for _ in range(2):
                try:
                    self._run(str(self._bin / "pg_ctl"), "-D", str(self._dir / "data"), "-m", "immediate", "-w", "stop")
                    break
                except PostgresUnavailable:
                    time.sleep(0.5)
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
