"""Versions of the whole set of definition files (flows, rules, reference data) as one bundle.

An application is decided under the bundle it started with: every file of every bundle the
server has served is kept in the store's archive, so an edit never changes the rules for a
draft already under way. In development the files are watched and a good edit becomes the
new current bundle; a broken edit is refused and the last good bundle keeps serving.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import time
from pathlib import Path

from ..errors import Problem
from . import Definitions, load_definitions

PATTERNS = ("flows/*.yaml", "flows/shared/*.yaml", "rules/*.yaml", "reference/*.yaml", "reference/*.json")


def read_files(root: Path) -> dict[str, str]:
    files = {}
    for pattern in PATTERNS:
        for path in sorted(Path(root).glob(pattern)):
            files[str(path.relative_to(root))] = path.read_text("utf-8")
    return files


def write_files(root: Path, files: dict[str, str]) -> None:
    """Lay `files` (relative path -> text, as read_files returns them) out under `root`."""
    for name, text in files.items():
        path = Path(root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def bundle_version(files: dict[str, str]) -> str:
    manifest = json.dumps({name: _digest(text) for name, text in sorted(files.items())})
    return hashlib.sha256(manifest.encode()).hexdigest()[:12]


class Bundles:
    """The current bundle, older ones on demand (rebuilt from the archive), and reloading."""

    def __init__(self, root: Path, archive, min_interval: float = 1.0):
        self.root = Path(root)
        self.archive = archive
        self.min_interval = min_interval
        self.current_version: str | None = None
        self.current: Definitions | None = None
        self.last_problems: list[Problem] = []
        self._cache: dict[str, Definitions] = {}
        self._stamp: tuple | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def _remember(self, files: dict[str, str]) -> str:
        version = bundle_version(files)
        for name, text in files.items():
            self.archive.remember("file", name, _digest(text), text)
        manifest = json.dumps({name: _digest(text) for name, text in sorted(files.items())}, sort_keys=True)
        self.archive.remember("bundle", "manifest", version, manifest)
        return version

    def adopt(self, definitions: Definitions) -> str:
        """Make `definitions` (loaded from the files on disk now) the current bundle."""
        files = read_files(self.root)
        version = self._remember(files)
        self.current, self.current_version = definitions, version
        self._cache[version] = definitions
        self._stamp = self._mtimes()
        return version

    def load(self) -> tuple[Definitions | None, list[Problem]]:
        definitions, problems = load_definitions(self.root)
        if definitions is not None:
            self.adopt(definitions)
        return definitions, problems

    def get(self, version: str) -> Definitions:
        """The definitions of an earlier bundle, rebuilt from the archived files."""
        with self._lock:
            if version not in self._cache:
                manifest = self.archive.get("bundle", "manifest", version)
                if manifest is None:
                    raise LookupError(f"definition bundle {version} is not in the archive")
                with tempfile.TemporaryDirectory() as tmp:
                    write_files(Path(tmp), {name: self.archive.get("file", name, digest)
                                            for name, digest in json.loads(manifest).items()})
                    definitions, problems = load_definitions(Path(tmp))
                if definitions is None:
                    raise LookupError(f"archived bundle {version} no longer loads: {problems[:3]}")
                self._cache[version] = definitions
            return self._cache[version]

    def _mtimes(self) -> tuple:
        return tuple((str(p), p.stat().st_mtime_ns) for pattern in PATTERNS for p in sorted(self.root.glob(pattern)))

    def reload_if_changed(self) -> bool:
        """Check the files (at most once per `min_interval`); True when a new bundle was adopted.
        A broken edit leaves the current bundle in place and its problems in `last_problems`."""
        now = time.monotonic()
        if now - self._checked < self.min_interval:
            return False
        self._checked = now
        stamp = self._mtimes()
        if stamp == self._stamp:
            return False
        with self._lock:
            self._stamp = stamp
            definitions, problems = load_definitions(self.root)
            self.last_problems = [p for p in problems if p.severity == "error"]
            if definitions is None:
                return False
        if bundle_version(read_files(self.root)) == self.current_version:
            return False
        self.adopt(definitions)
        return True
