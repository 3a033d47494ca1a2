"""The server log of the whole test run, and the check that it holds no traceback (issue 11).

Every record at WARNING or above that the app (or anything in the process: the browser tests'
live servers run in a thread here) logs during the run is written to var/test-server.log, with
its traceback. At the end of the session the file is grepped: a traceback logged by a test that
is not marked `server_error_expected` (a test that provokes a 500 on purpose to check its page)
fails the run, with the test and the first lines of the traceback. The gunicorn tests' servers
are other processes; tests/gunicorn_server.py checks their logs itself.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

LOG = Path(__file__).resolve().parents[1] / "var" / "test-server.log"
MARK = "server_error_expected"


class _RunLog(logging.Handler):
    def __init__(self, path: Path):
        super().__init__(logging.WARNING)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("w", encoding="utf-8", errors="backslashreplace")
        self.test = "(outside a test)"
        self.expected = False
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:              # a record that cannot be formatted must not fail the test
            line = f"{record.levelname} {record.name}: {record.msg!r}"
        tag = "expected" if self.expected else "test"
        self.file.write(f"[{tag} {self.test}] {line}\n")
        self.file.flush()


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", f"{MARK}: the test provokes a logged 500 on purpose (tests/serverlog.py)")
    handler = _RunLog(LOG)
    logging.getLogger().addHandler(handler)
    config.stash[_KEY] = handler


_KEY = pytest.StashKey[_RunLog]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    handler = item.config.stash.get(_KEY, None)
    if handler is not None:
        handler.test, handler.expected = item.nodeid, item.get_closest_marker(MARK) is not None
    yield
    if handler is not None:
        handler.test, handler.expected = "(between tests)", False


def unexpected_tracebacks(path: Path = LOG) -> list[str]:
    """`[test …] …` entries whose lines that follow include a Traceback, with a few lines of it."""
    found, entry, lines = [], "", []
    for line in path.read_text(encoding="utf-8").splitlines() + ["[end]"]:
        if line.startswith("["):
            if entry.startswith("[test") and any(x.startswith("Traceback") for x in lines):
                found.append("\n".join([entry, *lines[:3], "    ...", *lines[-2:]]))
            entry, lines = line, []
        else:
            lines.append(line)
    return found


def pytest_sessionfinish(session, exitstatus) -> None:
    handler = session.config.stash.get(_KEY, None)
    if handler is None:
        return
    logging.getLogger().removeHandler(handler)
    handler.file.close()
    found = unexpected_tracebacks()
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = f"\n!! the server log of this run ({LOG}) has {len(found)} traceback(s) no test expected:\n"
        text += "\n\n".join(found[:5])
        if reporter:
            reporter.write_line(text, red=True)
        else:
            print(text)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
