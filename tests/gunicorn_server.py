"""`govflow serve` — what `make run` starts: gunicorn workers and the outbox worker — in a
throw-away directory, for the multi-worker tests and bench/bench_load.py."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from httpclient import HttpClient

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GunicornServer:
    def __init__(self, var: Path, database: str | None = None, workers: int = 2, extra_env: dict | None = None):
        var.mkdir(parents=True, exist_ok=True)
        self.var = var
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GOVFLOW_VAR": str(var), "WEB_WORKERS": str(workers), "PYTHONUNBUFFERED": "1",
               "SERVED_BY_HEADER": "1", **(extra_env or {})}
        env.pop("DATABASE_URL", None)
        if database:
            env["DATABASE_URL"] = database
        self.env = env
        self.log_path = var / "server.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "govflow.cli", "--root", str(ROOT), "serve",
                                         "--port", str(self.port)], env=env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log()[-3000:]}")
            try:
                if HttpClient(self.url, timeout=2).get("/").status_code == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer within {seconds} s: {self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self) -> dict[str, list[int]]:
        """The web workers' pids and the outbox worker's (children of the gunicorn master)."""
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True,
                             text=True).stdout
        found: dict[str, list[int]] = {"web": [], "outbox": []}
        for pid in map(int, out.split()):
            try:      # not ps's args column: ps cuts it at 80 characters when not writing to a terminal
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            found["outbox" if b"outbox-worker" in args else "web"].append(pid)
        return found

    def local_app(self):
        """An app on the same database files (never serving): what the walkers read besides HTTP."""
        from govflow.web import create_app
        saved = {k: os.environ.get(k) for k in ("GOVFLOW_VAR", "DATABASE_URL")}
        os.environ["GOVFLOW_VAR"] = self.env["GOVFLOW_VAR"]
        if "DATABASE_URL" in self.env:
            os.environ["DATABASE_URL"] = self.env["DATABASE_URL"]
        else:
            os.environ.pop("DATABASE_URL", None)
        try:
            return create_app({"PROJECT_DIR": ROOT})
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._log.close()
