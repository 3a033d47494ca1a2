"""A real ClamAV daemon for the tests: Debian's `clamav-daemon` package's /usr/sbin/clamd, in the
foreground, with a configuration and a signature database made here in a temporary directory.

No signature download (freshclam) is needed or reachable: the database is one file with one
signature, the EICAR test file's (anywhere in a file, so EICAR appended to a valid JPEG is found
too). With that tiny database clamd answers PING within a second or two. It listens on a unix
socket in the temporary directory only, runs as whoever runs the tests, and is stopped at the end.
Nothing here skips: without clamd, ClamdUnavailable says how to install it.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# the EICAR anti-virus test file (https://www.eicar.org): harmless, recognised by every scanner
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Govflow.Test.EICAR"
INSTALL = "sudo apt-get install -y clamav-daemon   (or run `make test`, which installs it when run as root)"


class ClamdUnavailable(RuntimeError):
    pass


def _binary() -> str:
    found = shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd",) if Path(p).exists()), None)
    if found is None:
        raise ClamdUnavailable(f"ClamAV's clamd is not installed. Run:  {INSTALL}")
    return found


class Clamd:
    def __init__(self, start_timeout: float = 60.0):
        self.dir = Path(tempfile.mkdtemp(prefix="govflow-clamd-"))
        self.dir.chmod(0o755)
        self.socket = self.dir / "clamd.sock"
        db = self.dir / "db"
        db.mkdir()
        # an extended signature (.ndb): name:target type (0 = any file):offset (* = anywhere):hex
        (db / "govflow-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
        config = self.dir / "clamd.conf"
        config.write_text("\n".join([
            f"LocalSocket {self.socket}", f"DatabaseDirectory {db}", f"TemporaryDirectory {self.dir}",
            "Foreground yes", f"LogFile {self.dir / 'clamd.log'}", "OfficialDatabaseOnly no",
            "StreamMaxLength 30M", "SelfCheck 3600", ""]))
        self.log = self.dir / "clamd.log"
        self.process = subprocess.Popen([_binary(), "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + start_timeout
        while not self.ping():
            if self.process.poll() is not None:
                raise ClamdUnavailable(f"clamd exited ({self.process.returncode}): {self._output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ClamdUnavailable(f"clamd did not answer PING within {start_timeout:.0f}s: {self._output()}")
            time.sleep(0.1)

    def _output(self) -> str:
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        err = self.process.stderr.read().decode(errors="replace")[-2000:] if self.process.poll() is not None \
            and self.process.stderr else ""
        return (err + "\n" + log).strip()

    def ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(str(self.socket))
                sock.sendall(b"nPING\n")
                return sock.recv(16).strip() == b"PONG"
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
