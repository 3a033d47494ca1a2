"""`govflow import` and `govflow export`: definition files in and out of the database.

An import makes a draft of the files in a folder (checked; its problems printed, never
published by the import itself): it is reviewed and published on the staff pages like any
draft. An export writes the files of the live bundle, of an earlier one or of a draft to a
folder, e.g. to move a version from a test installation to the live one, or into git.
"""
from __future__ import annotations

import getpass
import os
from pathlib import Path

from ..definitions.bundle import Bundles, allowed, read_files
from ..errors import GovflowError
from ..say import say
from .workflow import Workflow


def _workflow(store, root: Path) -> Workflow:
    bundles = Bundles(root, store.versions, store.publications)
    live = store.publications.live()
    bundles.current_version = live.version if live else None
    return Workflow(store, bundles)


def import_files(store, root: Path, source: Path, reason: str, author: str | None = None) -> int:
    files = read_files(source)
    if not files:
        print(say("publishing.import.no_files", source=source))
        return 1
    flow = _workflow(store, root)
    author = author or os.environ.get("GOVFLOW_AUTHOR") or getpass.getuser() or "cli"
    try:
        reason = reason or say("publishing.import.reason", source=source)
        draft = flow.create(author, ("editor",), reason, files, action="imported")
    except GovflowError as exc:
        print(say("publishing.error", error=exc))
        return 1
    checked = flow.check(draft)
    print(say("publishing.import.done", id=draft.id, source=source, files=len(files), author=author,
              errors=len(checked.errors), warnings=len(checked.problems) - len(checked.errors)))
    for p in checked.problems:
        print(f"  {say(f'severity.{p.severity}')}: {p}  [{p.code}]")
    print(say("publishing.import.next"))
    return 0


def export_files(store, root: Path, target: Path, version: str | None = None, draft_id: int | None = None) -> int:
    flow = _workflow(store, root)
    try:
        if draft_id is not None:
            files = flow.files(flow.get(draft_id))
            what = say("publishing.export.draft", id=draft_id)
        else:
            version = version or flow.bundles.current_version
            if version is None:
                print(say("publishing.export.nothing_published"))
                return 1
            files = flow.bundles.files(version)
            what = say("publishing.export.version", version=version)
    except (GovflowError, LookupError) as exc:
        print(say("publishing.error", error=exc))
        return 1
    for name, text in files.items():
        if not allowed(name):
            continue
        path = Path(target) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    print(say("publishing.export.done", what=what, files=len(files), target=target))
    return 0
