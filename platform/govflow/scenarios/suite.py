"""Every scenario of a project run in one go: what `make check` and a draft's 【运行场景】 do.

Each scenario needs a world of its own (databases, uploads, simulators) so that one walk cannot
change what the next one finds. Building that world from nothing (migrating the schema, seeding
the simulators and the publication) costs more than the walk itself, so it is built once: the
first app's databases, closed before any request, are copied for every scenario. Same state,
without migrating and seeding 29 times.
"""
from __future__ import annotations

import multiprocessing
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem
from ..say import say
from .loader import load_scenario_file
from .runner import ScenarioFailure, ScenarioRunner, make_app


@dataclass
class Failure:
    name: str           # the scenario's name, or the file for a file that does not load
    problem: Problem    # what differs, where (code scenario.failed, or the file's own problem)


@dataclass
class SuiteResult:
    files: list[str] = field(default_factory=list)
    passed: int = 0
    failed: list[Failure] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"passed": self.passed, "files": self.files,
                "failed": [{"name": f.name, "message": str(f.problem)} for f in self.failed]}


class FreshApps:
    """Apps on copies of one pristine world (see the module's docstring)."""

    def __init__(self, project: Path, workdir: Path, definitions) -> None:
        self.project, self.workdir, self.definitions = project, workdir, definitions
        self.template: Path | None = None
        self.count = 0

    def new(self, today=None):
        self.count += 1
        work = self.workdir / f"run-{self.count}"
        if self.template is None:
            self.template = self.workdir / "template"
            self.template.mkdir()
            first = make_app(self.project, self.template, self.definitions)
            close_app(first)
        shutil.copytree(self.template, work)
        return make_app(self.project, work, self.definitions, today)


def close_app(app) -> None:
    env = app.extensions["govflow"].env
    env.store.close()
    if env.services.simulator_state is not None:
        env.services.simulator_state.close()


def run_suite(project: Path, definitions, processes: int = 1) -> SuiteResult:
    """Run every scenarios/*.yaml of `project` on `definitions` (loaded without errors), in
    `processes` forked workers (each with worlds of its own; `make check` uses one per core)."""
    result = SuiteResult()
    todo = []
    for path in sorted((project / "scenarios").glob("*.yaml")):
        display = f"scenarios/{path.name}"
        result.files.append(display)
        loaded = load_scenario_file(path, display)
        result.failed += [Failure(display, p) for p in loaded.problems]
        todo += [(display, scenario) for scenario in loaded.scenarios]
    processes = max(1, min(processes, len(todo)))
    if processes == 1 or "fork" not in multiprocessing.get_all_start_methods():
        parts = [_run_part(project, definitions, todo)]
    else:
        global _FORKED
        _FORKED = (project, definitions, todo)          # inherited by the forked workers
        try:
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                parts = pool.map(_run_forked, [(i, processes) for i in range(processes)])
        finally:
            _FORKED = None
    for part in parts:
        result.passed += part.passed
        result.failed += part.failed
    return result


_FORKED: tuple | None = None


def _run_forked(part: tuple[int, int]) -> SuiteResult:
    """Every n-th scenario from the i-th: (i, n)."""
    assert _FORKED is not None
    project, definitions, todo = _FORKED
    index, count = part
    return _run_part(project, definitions, todo[index::count])


def _run_part(project: Path, definitions, todo) -> SuiteResult:
    result = SuiteResult()
    with tempfile.TemporaryDirectory(prefix="govflow-scenarios-") as tmp:
        apps = FreshApps(project, Path(tmp), definitions)
        for display, scenario in todo:
            app = apps.new(scenario.today)
            try:
                ScenarioRunner(app).run(scenario)
                result.passed += 1
            except ScenarioFailure as exc:
                result.failed.append(Failure(scenario.name, _failed(scenario.name, exc.what, exc.file, exc.line)))
            except Exception as exc:            # noqa: BLE001 - a broken walk is a failed scenario
                crashed = say("scenarios.crashed", error=f"{type(exc).__name__}: {exc}")
                result.failed.append(Failure(scenario.name, _failed(scenario.name, crashed, display)))
            finally:
                close_app(app)
    return result


def _failed(name: str, message: str, file: str, line: int | None = None) -> Problem:
    return Problem("scenario.failed", name, message, file, line)


def as_problems(result: SuiteResult) -> list[Problem]:
    """The failures as checker problems (code scenario.failed), for `make check`'s listing."""
    return [f.problem for f in result.failed]
