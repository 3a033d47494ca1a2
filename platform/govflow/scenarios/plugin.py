"""pytest plugin: every scenario of scenarios/*.yaml is a test item `scenarios/<file>.yaml::<name>`.

Used by scenarios/conftest.py (so `pytest scenarios/<file>.yaml` works) and by
tests/conftest.py, which adds the scenarios/ folder to a plain `pytest` run.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from ..say import say
from .loader import load_scenario_file
from .runner import ScenarioFailure, ScenarioRunner
from .suite import FreshApps, close_app

_DEFINITIONS: dict = {}
_APPS: dict = {}


def _apps(root: Path, definitions) -> FreshApps:
    """One pristine world per project and session, copied for each scenario (scenarios/suite.py)."""
    if root not in _APPS:
        workdir = Path(tempfile.mkdtemp(prefix="govflow-scenarios-"))
        _APPS[root] = FreshApps(root, workdir, definitions)
    return _APPS[root]


def pytest_unconfigure(config):
    for apps in _APPS.values():
        shutil.rmtree(apps.workdir, ignore_errors=True)
    _APPS.clear()


def project_root(path: Path) -> Path:
    """The project a scenario file belongs to: the folder above scenarios/."""
    return Path(path).resolve().parent.parent


def definitions_for(root: Path):
    """Flows and rules loaded once per project and session (a broken definition fails every item)."""
    if root not in _DEFINITIONS:
        from ..definitions import load_definitions
        loaded, problems = load_definitions(root)
        errors = [f"{p}  [{p.code}]" for p in problems if p.severity == "error"]
        _DEFINITIONS[root] = (loaded, errors)
    return _DEFINITIONS[root]


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioYaml.from_parent(parent, path=file_path)
    return None


class ScenarioYaml(pytest.File):
    def collect(self):
        loaded = load_scenario_file(self.path, f"scenarios/{self.path.name}")
        if loaded.problems:
            yield BrokenScenarioFile.from_parent(self, name="(file)", problems=loaded.problems)
        for scenario in loaded.scenarios:
            yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class BrokenScenarioFile(pytest.Item):
    def __init__(self, *, problems, **kwargs):
        super().__init__(**kwargs)
        self.problems = problems

    def runtest(self):
        raise ScenarioFileError("\n".join(f"{p}  [{p.code}]" for p in self.problems))

    def repr_failure(self, excinfo, style=None):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, 0, say("scenarios.report.file", file=self.path.name)


class ScenarioFileError(Exception):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self):
        root = project_root(self.path)
        definitions, errors = definitions_for(root)
        if definitions is None:
            raise ScenarioFileError(say("scenarios.definitions_broken") + "\n" + "\n".join(errors))
        app = _apps(root, definitions).new(self.scenario.today)
        try:
            ScenarioRunner(app).run(self.scenario)
        finally:
            close_app(app)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, (ScenarioFailure, ScenarioFileError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        sc = self.scenario
        return self.path, sc.line - 1, say("scenarios.report.item", name=sc.name, where=f"{sc.file}:{sc.line}")
