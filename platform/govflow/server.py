"""`make run`: gunicorn serving the app with several worker processes, and the outbox worker
beside them; `make dev`: Flask's development server (reload on edit) with the outbox worker
in a thread.

Everything a request needs lives in the database (drafts, sessions, SMS codes, the outbox,
the simulators' world), so any web worker can answer any request and a worker that dies or is
restarted loses nothing. The gunicorn master checks the definitions and brings the database
schema up to date once, before it forks; each worker then builds its own app (no connections
shared across fork). The outbox worker is a child process of the master, restarted if it dies.

Settings (environment): WEB_WORKERS (default: one per core), WEB_THREADS (4 per worker),
WEB_TIMEOUT (30 s: a worker stuck longer is replaced), ACCESS_LOG=1 to log every request;
SERVED_BY_HEADER=1 adds `X-Served-By: <worker pid>` to every answer (the multi-worker tests).
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .say import say

log = logging.getLogger("govflow.server")


def options(host: str, port: int, environ: dict | None = None) -> dict:
    env = os.environ if environ is None else environ
    return {
        "bind": f"{host}:{port}",
        "workers": int(env.get("WEB_WORKERS") or os.cpu_count() or 2),
        "worker_class": "gthread",
        "threads": int(env.get("WEB_THREADS") or 4),
        "timeout": int(env.get("WEB_TIMEOUT") or 30),       # a worker silent this long is killed and replaced
        "graceful_timeout": 20,
        "keepalive": 5,
        "reuse_port": True,                                  # the kernel spreads connections over the workers
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "accesslog": "-" if env.get("ACCESS_LOG") == "1" else None,
        "errorlog": "-",
        "forwarded_allow_ips": env.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),   # the reverse proxy's address
        "proc_name": "govflow",
    }


class OutboxWorkerProcess:
    """`govflow outbox-worker` as a child of the gunicorn master, started again if it dies."""

    def __init__(self, root: Path):
        self.root = root
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="outbox-watch", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "govflow.cli", "--root", str(self.root),
                                         "outbox-worker"])
        log.info("outbox worker started (pid %s)", self.process.pid)

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            if self.process is not None and self.process.poll() is not None:
                log.warning("outbox worker exited with %s; starting another", self.process.returncode)
                time.sleep(1.0)
                if not self._stopping.is_set():
                    self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def prepare(root: Path):
    """Check the definitions and migrate the database once (in the master, before forking)."""
    from .web import create_app
    app = create_app({"PROJECT_DIR": root})
    env = app.extensions["govflow"].env
    env.store.close()
    if env.services.simulator_state is not None:      # no SQLite connection carried across fork
        env.services.simulator_state.close()


def run_production(root: Path, host: str, port: int) -> int:
    from gunicorn.app.base import BaseApplication

    settings = options(host, port)
    outbox = OutboxWorkerProcess(root)

    class Server(BaseApplication):
        def load_config(self):
            for key, value in settings.items():
                if value is not None:
                    self.cfg.set(key, value)
            self.cfg.set("when_ready", lambda _server: outbox.start())
            self.cfg.set("on_exit", lambda _server: outbox.stop())

        def load(self):
            from .web import create_app
            return create_app({"PROJECT_DIR": root})

    print("\n  " + say("publishing.server.running", url=f"http://{host}:{port}/", workers=settings["workers"],
                          threads=settings["threads"], sms=f"http://{host}:{port}/dev/sms") + "\n", flush=True)
    Server().run()
    return 0


def run_development(root: Path, host: str, port: int) -> int:
    """Werkzeug's reloading server, for editing code; the outbox worker runs in a thread."""
    from .web import create_app
    app = create_app({"PROJECT_DIR": root})
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true" or not _reloading():
        worker = threading.Thread(target=app.extensions["govflow"].deliverer.work, name="outbox", daemon=True)
        worker.start()
    print("\n  " + say("publishing.server.running_dev", url=f"http://{host}:{port}/") + "\n", flush=True)
    app.run(host=host, port=port, debug=True, use_reloader=_reloading())
    return 0


def _reloading() -> bool:
    return os.environ.get("GOVFLOW_NO_RELOAD") != "1"


def run_outbox_worker(root: Path, poll_seconds: float = 1.0) -> int:
    """Deliver the outbox until SIGTERM/SIGINT (several may run, on several machines)."""
    from .web import create_app
    app = create_app({"PROJECT_DIR": root})
    deliverer = app.extensions["govflow"].deliverer
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] outbox: %(message)s")
    log.info("outbox worker delivering (pid %s)", os.getpid())
    deliverer.work(poll_seconds, stop=stop.is_set)
    return 0
