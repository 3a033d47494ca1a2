"""Virus scanning of uploads: clamd (ClamAV's daemon) over its INSTREAM protocol, or no scan.

`build_scanner(config, simulated)` picks the adapter from the configuration:
- CLAMD_SOCKET (a unix socket path, e.g. Debian's /run/clamav/clamd.ctl) or CLAMD_HOST (+
  CLAMD_PORT, 3310): ClamdScanner, with CLAMD_TIMEOUT_SECONDS (10) for each call;
- neither, with the simulators (`make run`'s default): NoScanner, which scans nothing and says
  so with a WARNING in the log when the app starts;
- neither, with real outside systems: refused (ServiceConfigError), uploads are never unscanned
  in production.

The client is clamdpy (MIT licence, typed; see README). Every failure to get an answer
(connection refused, missing socket, timeout, broken pipe, an ERROR reply such as a stream
over clamd's StreamMaxLength) is ServiceError("scanner.unavailable"): the caller refuses the
upload and stores nothing.
"""
from __future__ import annotations

import io
import logging
from typing import Any

import clamdpy
from clamdpy.exceptions import ClamdException

from .interfaces import ScanVerdict, ServiceConfigError, ServiceError

log = logging.getLogger("govflow.scanner")

CHUNK = 64 * 1024          # INSTREAM chunk size (clamd's StreamMaxLength bounds the total, 25 MB by default)


class ClamdScanner:
    name = "clamd"

    def __init__(self, socket_path: str | None = None, host: str | None = None, port: int = 3310,
                 timeout: float = 10.0):
        self.client: Any
        if socket_path:
            self.client = clamdpy.ClamdUnixSocket(socket_path, timeout=timeout, max_chunk_size=CHUNK)
            self.where = socket_path
        elif host:
            self.client = clamdpy.ClamdNetworkSocket(host, port, timeout=timeout, max_chunk_size=CHUNK)
            self.where = f"{host}:{port}"
        else:
            raise ValueError("ClamdScanner needs a socket path or a host")

    def scan(self, data: bytes) -> ScanVerdict:
        try:
            result = self.client.instream(io.BytesIO(data))
        except (ClamdException, OSError) as exc:      # OSError: a timeout or broken pipe while sending
            raise ServiceError("scanner.unavailable", f"clamd at {self.where}: {exc!r}") from exc
        if result.status == "OK":
            return ScanVerdict(clean=True)
        if result.status == "FOUND":
            return ScanVerdict(clean=False, signature=str(result.reason or "unknown"))
        raise ServiceError("scanner.unavailable", f"clamd at {self.where} answered {result.status}: {result.reason}")

    def ping(self) -> bool:
        try:
            return self.client.ping() == "PONG"
        except (ClamdException, OSError):
            return False


class NoScanner:
    """The simulators' stand-in: every file is 'clean' and nothing is scanned."""

    name = "none"

    def scan(self, data: bytes) -> ScanVerdict:
        return ScanVerdict(clean=True)


def build_scanner(config: dict, simulated: bool):
    socket_path = str(config.get("CLAMD_SOCKET") or "")
    host = str(config.get("CLAMD_HOST") or "")
    timeout = float(config.get("CLAMD_TIMEOUT_SECONDS") or 10)
    if socket_path or host:
        return ClamdScanner(socket_path or None, host or None, int(config.get("CLAMD_PORT") or 3310), timeout)
    if not simulated:
        raise ServiceConfigError("uploads must be scanned: set CLAMD_SOCKET or CLAMD_HOST (ClamAV's clamd)")
    log.warning("uploads are NOT scanned for viruses (simulator mode without CLAMD_SOCKET / CLAMD_HOST)")
    return NoScanner()
