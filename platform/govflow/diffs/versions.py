"""Two versions of one flow or rule file, from two files or two git revisions.

A flow is only meaningful with the fragments it includes, so each version is copied into a
temporary `flows/` folder together with its includes (from the same revision) and loaded
with the ordinary loader. Git is only read (`git show`), never changed.
"""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from ..definitions.loader import FlowLoader
from ..say import say
from ..yamlsource import load_file


class VersionError(Exception):
    """A file or revision that cannot be read or loaded."""


@dataclass
class Version:
    """One version: `kind` is flow, fragment or rules; `data` the raw YAML; `flow` a FlowDef."""

    label: str
    kind: str
    data: dict
    flow: object = None


def from_file(path: Path, fallback_dir: Path | None = None) -> Callable[[str], bytes | None]:
    """Reader of paths relative to the file's folder; includes missing there come from fallback_dir."""
    path = Path(path).resolve()

    def read(rel: str) -> bytes | None:
        for base in (path.parent, fallback_dir):
            if base is not None and (Path(base) / rel).is_file():
                return (Path(base) / rel).read_bytes()
        return None
    return read


def git_toplevel(path: Path) -> tuple[Path, str]:
    """(repository root, path of the file inside the repository)."""
    path = Path(path).resolve()
    out = subprocess.run(["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise VersionError(say("publishing.diff.not_in_git", path=path, error=out.stderr.strip()))
    top = Path(out.stdout.strip()).resolve()
    return top, path.relative_to(top).as_posix()


def from_git(path: Path, rev: str) -> Callable[[str], bytes | None]:
    """Reader of paths relative to the file's folder, as they were at revision `rev`."""
    top, rel = git_toplevel(path)
    folder = Path(rel).parent

    def read(name: str) -> bytes | None:
        spec = f"{rev}:{(folder / name).as_posix()}"
        out = subprocess.run(["git", "-C", str(top), "show", spec], capture_output=True)
        return out.stdout if out.returncode == 0 else None
    return read


def load_version(read: Callable[[str], bytes | None], name: str, label: str) -> Version:
    """Load file `name` (and, for a flow, its includes) through `read` into a Version."""
    raw = read(name)
    if raw is None:
        raise VersionError(say("publishing.diff.missing", label=label, name=name))
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise VersionError(say("publishing.diff.not_yaml", label=label, name=name, error=exc)) from exc
    if not isinstance(data, dict):
        raise VersionError(say("publishing.diff.not_mapping", label=label, name=name))
    if "ruleset" in data or "rules" in data:
        return Version(label, "rules", data)
    if "pages" not in data:
        raise VersionError(say("publishing.diff.unknown_kind", label=label, name=name))
    with tempfile.TemporaryDirectory(prefix="govflow-diff-") as tmp:
        flows_dir = Path(tmp) / "flows"
        target = flows_dir / Path(name).name
        target.parent.mkdir(parents=True)
        target.write_bytes(raw)
        for include in data.get("include") or []:
            inside = (flows_dir / str(include)).resolve().is_relative_to(flows_dir.resolve())
            text = read(include) if inside else None       # never write outside the temporary folder
            if text is not None:
                (flows_dir / include).parent.mkdir(parents=True, exist_ok=True)
                (flows_dir / include).write_bytes(text)
        loader = FlowLoader(flows_dir)
        if "fragment" in data:
            return Version(label, "fragment", data, _fragment_flow(loader, target, data))
        flow = loader.load_flow(target)
    if flow is None:
        problems = "; ".join(str(p) for p in loader.problems[:3])
        raise VersionError(say("publishing.diff.does_not_load", label=label, name=name, problems=problems))
    return Version(label, "flow", data, flow)


def _fragment_flow(loader: FlowLoader, path: Path, data: dict):
    """A fragment's pages as a pseudo-flow, so that the same comparison applies."""
    from ..definitions.model import FlowDef, Origin
    source, problems = load_file(path, path.name)
    if source is None:
        raise VersionError("; ".join(str(p) for p in problems[:3]))
    library = {n: (source, ("content", n)) for n in (data.get("content") or {})}
    flow = FlowDef(id=str(data.get("fragment")), title=str(data.get("title", data.get("fragment"))),
                   start="", origin=Origin(source, ()), version="", files=[source.file])
    for i, raw in enumerate(data.get("pages") or []):
        if isinstance(raw, dict) and "id" in raw:
            flow.pages[raw["id"]] = loader.build_page(source, ("pages", i), raw, library)
    return flow
