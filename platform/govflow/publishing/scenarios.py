"""The project's scenarios (scenarios/*.yaml) run on a draft's definitions, from its page, before
it is reviewed: does the change break a walk that worked?

Each scenario walks the draft's definitions over the JSON API in an app of its own (a temporary
folder: its databases, uploads and simulated world), exactly as `make check` runs them on the files
on disk (scenarios/suite.py). The scenario files stay out of the definition bundles: they describe
the demo personas' answers, which have no place in the database. A run takes tens of seconds, so it runs in a thread of
the worker that was asked; its result is one entry in the draft's history ("scenarios": passed,
failed, each failure's file:line and message), for the draft's files as they were when it began.
"""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from ..definitions.bundle import bundle_version, lay_out_project
from ..say import say
from ..scenarios.suite import run_suite

RUNNING: set[tuple[int, str]] = set()        # (draft, bundle) being run by this worker
_LOCK = threading.Lock()


def run_all(files: dict[str, str], definitions, root: Path) -> dict:
    """{"passed": n, "failed": [{"name", "message"}], "files": [...]} for every scenario of `files`."""
    with tempfile.TemporaryDirectory(prefix="govflow-draft-scenarios-") as tmp:
        project = Path(tmp) / "project"
        lay_out_project(project, files, root, ("demo", "renderers", "scenarios"))   # the world, templates, walks
        return run_suite(project, definitions).as_dict()


def start(workflow, draft, actor: str, root: Path) -> bool:
    """Run the draft's scenarios in a thread (False: a run of these files is already under way here)."""
    files = workflow.files(draft)
    key = (draft.id, bundle_version(files))
    definitions = workflow.check(draft).definitions
    with _LOCK:
        if key in RUNNING or definitions is None:
            return False
        RUNNING.add(key)

    def work() -> None:
        try:
            result = run_all(files, definitions, root)
        except Exception as exc:                    # noqa: BLE001 - reported in the history, not lost
            result = {"passed": 0, "failed": [{"name": "-", "message": _crashed(exc)}], "files": []}
        try:
            workflow.store.drafts.record(draft.id, actor, "scenarios", None, {"version": key[1], **result})
        finally:
            with _LOCK:
                RUNNING.discard(key)

    threading.Thread(target=work, name=f"draft-{draft.id}-scenarios", daemon=True).start()
    return True


def _crashed(exc: Exception) -> str:
    return say("scenarios.crashed", error=f"{type(exc).__name__}: {exc}")
