"""Versions of the whole set of definition files (flows, rules, reference data) as one bundle.

What new applications get is the bundle published last (publications in the store, see
publishing/): every worker reads it, so a publish switches them all, at its effective time, with
no restart. The files on disk are only the seed (the first start of an empty database publishes
them) and the import/export format (`govflow import` makes a draft of them): an edit on disk,
good or broken, changes nothing that is served. An application is decided under the bundle it
started with: every file of every bundle is kept in the store's archive, so an edit never changes
the rules for a draft already under way.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import threading
import time
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from ..errors import DefinitionError, Problem
from ..say import say
from . import Definitions, load_definitions

PATTERNS = ("flows/*.yaml", "flows/shared/*.yaml", "rules/*.yaml", "connectors/*.yaml", "reference/*.yaml",
            "reference/*.json")


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
    return manifest_version(manifest_of(files))


def manifest_version(manifest: dict[str, str]) -> str:
    """The bundle version of a manifest (file name -> digest): that of its files, without reading them."""
    return hashlib.sha256(json.dumps(dict(sorted(manifest.items()))).encode()).hexdigest()[:12]


SEED_REASON = "首次启动：发布 flows/、rules/、connectors/、reference/ 中的文件"


class Bundles:
    """The live bundle (followed from the publications), older ones on demand (rebuilt from the
    archive), and the archive of file sets."""

    def __init__(self, root: Path, archive, publications=None, min_interval: float = 1.0):
        self.root = Path(root)
        self.archive = archive
        self.publications = publications
        self.min_interval = min_interval
        self.current_version: str | None = None
        self.current: Definitions | None = None
        self.disk_differs = False           # the files on disk are not the live bundle (a warning at start)
        self._cache: dict[str, Definitions] = {}
        self._checked = 0.0
        self._lock = threading.Lock()

    def remember_files(self, files: dict[str, str]) -> None:
        """Archive texts by their digests (a draft's files)."""
        for name, text in files.items():
            self.archive.remember("file", name, _digest(text), text)

    def remember(self, files: dict[str, str]) -> str:
        """Archive a whole set of files as a bundle; its version."""
        version = bundle_version(files)
        self.remember_files(files)
        self.archive.remember("bundle", "manifest", version, json.dumps(manifest_of(files), sort_keys=True))
        return version

    def adopt(self, definitions: Definitions, files: dict[str, str] | None = None) -> str:
        """Make `definitions` (loaded from `files`, by default the files on disk now) the current bundle."""
        version = self.remember(read_files(self.root) if files is None else files)
        self._serve(definitions, version)
        return version

    def _serve(self, definitions: Definitions, version: str) -> None:
        self.current, self.current_version = definitions, version
        self._cache[version] = definitions

    def start(self, given: Definitions | None = None) -> Definitions:
        """The live bundle at start-up. An empty database publishes the files on disk (or `given`,
        loaded from them) as the seed; otherwise the files on disk do not matter, broken or not.
        Raises DefinitionError when there is nothing to serve."""
        live = self.publications.live() if self.publications is not None else None
        disk = read_files(self.root)
        if live is None:
            definitions = given
            if definitions is None:
                definitions, problems = load_definitions(self.root)
                if definitions is None:
                    raise DefinitionError([p for p in problems if p.severity == "error"])
            version = self.adopt(definitions, disk)
            if self.publications is not None and not self.publications.seed(version, SEED_REASON):
                return self.start(given)       # another worker published first: serve what it did
            return definitions
        self.disk_differs = bundle_version(disk) != live.version
        if given is not None and not self.disk_differs:
            self._serve(given, live.version)
            return given
        try:
            definitions = self.get(live.version)
        except LookupError as exc:
            raise DefinitionError([Problem("bundle.unavailable", live.version, str(exc))]) from exc
        self._serve(definitions, live.version)
        return definitions

    def live_if_changed(self) -> tuple[Definitions, str] | None:
        """The live bundle when it is no longer the one served (checked at most once per
        `min_interval`): a publication took effect, here or in another worker."""
        now = time.monotonic()
        if self.publications is None or now - self._checked < self.min_interval:
            return None
        self._checked = now
        live = self.publications.live()
        if live is None or live.version == self.current_version:
            return None
        definitions = self.get(live.version)
        self._serve(definitions, live.version)
        return definitions, live.version

    def files(self, version: str) -> dict[str, str]:
        """The files of an archived bundle (LookupError when it is not in the archive)."""
        manifest = self.archive.get("bundle", "manifest", version)
        if manifest is None:
            raise LookupError(say("publishing.bundle.not_archived", version=version))
        return self.texts(json.loads(manifest))

    def texts(self, manifest: dict[str, str]) -> dict[str, str]:
        """The archived texts of a manifest (name -> digest)."""
        out = {}
        for name, digest in sorted(manifest.items()):
            text = self.archive.get("file", name, digest)
            if text is None:
                raise LookupError(say("publishing.bundle.file_not_archived", name=name, digest=digest))
            out[name] = text
        return out

    def get(self, version: str) -> Definitions:
        """The definitions of a bundle, rebuilt from the archived files."""
        with self._lock:
            if version not in self._cache:
                definitions, problems = load_files(self.files(version))
                if definitions is None:
                    raise LookupError(say("publishing.bundle.no_longer_loads", version=version,
                                          problems="；".join(str(p) for p in problems[:3])))
                self._cache[version] = definitions
            return self._cache[version]


NAME_MAX = 200             # characters of a file's path: far more than any real one, less than a file system takes


def allowed(name: str) -> bool:
    """`name` is a relative path of the kind a bundle holds (one of PATTERNS: flows/*.yaml, ...)."""
    if not name or len(name) > NAME_MAX or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    parts = PurePosixPath(name).parts
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return False
    return any(len(parts) == len(pattern.split("/"))
               and all(fnmatchcase(part, glob) for part, glob in zip(parts, pattern.split("/"), strict=True))
               for pattern in PATTERNS)


def manifest_of(files: dict[str, str]) -> dict[str, str]:
    return {name: _digest(text) for name, text in sorted(files.items())}


def load_files(files: dict[str, str]) -> tuple[Definitions | None, list[Problem]]:
    """Load (and check) a set of files given as texts, as if they were a project's folders; the
    problems name their files as the set does (never the temporary folder's paths)."""
    bad = [name for name in files if not allowed(name)]
    if bad:
        raise ValueError(say("publishing.bundle.bad_name", name=bad[0]))
    with tempfile.TemporaryDirectory(prefix="govflow-files-") as tmp:
        root = Path(tmp)
        write_files(root, files)
        definitions, problems = load_definitions(root)
        return definitions, [_named_as_in_bundle(p, root) for p in problems]


def _named_as_in_bundle(problem: Problem, root: Path) -> Problem:
    """Some problems name their file by its full path (the temporary folder's): as in the bundle."""
    file = problem.file
    if not file or not Path(file).is_absolute():
        return problem
    try:
        file = Path(file).relative_to(root).as_posix()
    except ValueError:
        return problem
    return Problem(problem.code, problem.path, problem.message, file, problem.line, problem.hint, problem.severity)


def lay_out_project(target: Path, files: dict[str, str], root: Path, shared: tuple[str, ...]) -> None:
    """A project folder of `files` (definition texts) with the folders `shared` of project `root`
    linked in (the simulated world, the templates ...): what an app or a scenario run is built on."""
    write_files(target, {name: text for name, text in files.items() if allowed(name)})
    for name in shared:
        (target / name).symlink_to((Path(root) / name).resolve(), target_is_directory=True)
