"""Reading scenario files (scenarios/*.yaml): shape checked by scenario.schema.json, lines kept."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from ..errors import Problem
from ..rules.catalogue import json_view
from ..rules.wording import schema_message, schema_path
from ..say import say
from ..yamlsource import Source, load_file

SCHEMA_FILE = Path(__file__).resolve().parent / "scenario.schema.json"
DEFAULT_TODAY = dt.date(2026, 11, 27)   # scenarios run on a fixed day (ID validity depends on it)


@dataclass
class Step:
    index: int                   # 1-based, as shown in failure messages
    line: int
    page: str | None = None
    action: str | None = None
    answers: dict = field(default_factory=dict)
    face: str = "pass"
    return_to: str | None = None
    follow_redirect: bool = False
    expect: dict = field(default_factory=dict)

    def label(self, page_title: str | None = None) -> str:
        """'第 3 步（页面“领卡方式”（pickup），按钮 next，第 40 行）': the step as failures name it."""
        if self.follow_redirect:
            what = say("scenarios.step.follow_redirect")
        elif page_title:
            what = say("scenarios.step.page_titled", page=self.page, title=page_title)
        else:
            what = say("scenarios.step.page", page=self.page)
        if self.action:
            what += say("scenarios.step.action", action=self.action)
        return say("scenarios.step.label", n=self.index, what=what, line=self.line)


@dataclass
class Scenario:
    name: str
    persona: str
    line: int
    file: str
    flow: str
    today: dt.date
    steps: list[Step]
    outcome: dict = field(default_factory=dict)
    description: str | None = None
    branch_keyword: str | None = None       # what `<branch>` searches for (the file's `branch_keyword:`)


@dataclass
class ScenarioFile:
    path: Path
    flow: str | None
    scenarios: list[Scenario]
    problems: list[Problem]


def load_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text("utf-8"))


def _date(value, default: dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value) if value else default


def load_scenario_file(path: Path, display: str | None = None) -> ScenarioFile:
    path = Path(path)
    source, problems = load_file(path, display or path.name)
    if source is None:
        return ScenarioFile(path, None, [], problems)
    data = source.data
    validator = jsonschema.Draft202012Validator(load_schema())
    for error in sorted(validator.iter_errors(json_view(data)), key=lambda e: list(map(str, e.absolute_path))):
        message, hint = schema_message(error)
        problems.append(source.problem(schema_path(error), "scenario.schema", message,
                                       hint or say("rules.schema.hint", doc="docs/scenarios.md")))
    if problems:
        return ScenarioFile(path, None, [], problems)
    file_today = _date(data.get("today"), DEFAULT_TODAY)
    scenarios, names = [], set()
    for i, raw in enumerate(data["scenarios"]):
        at = ("scenarios", i)
        if raw["name"] in names:
            problems.append(source.problem(at + ("name",), "scenario.duplicate_name",
                                           say("scenarios.duplicate_name", name=raw["name"]),
                                           say("scenarios.duplicate_name.hint")))
            continue
        names.add(raw["name"])
        steps = [_step(source, at + ("steps", j), j + 1, s) for j, s in enumerate(raw["steps"])]
        scenarios.append(Scenario(name=raw["name"], persona=raw["persona"], line=source.line(at),
                                  file=source.file, flow=data["flow"], today=_date(raw.get("today"), file_today),
                                  steps=steps, outcome=dict(raw.get("outcome") or {}),
                                  description=raw.get("description"), branch_keyword=data.get("branch_keyword")))
    return ScenarioFile(path, data["flow"], scenarios, problems)


def _step(source: Source, at: tuple, index: int, raw: dict) -> Step:
    return Step(index=index, line=source.line(at), page=raw.get("page"), action=raw.get("action"),
                answers=dict(raw.get("answers") or {}), face=raw.get("face", "pass"),
                return_to=raw.get("return_to"), follow_redirect=bool(raw.get("follow_redirect")),
                expect=dict(raw.get("expect") or {}))
