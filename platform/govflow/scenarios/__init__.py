"""Scenario tests for policy staff: YAML files in scenarios/ (persona + answers -> pages -> outcome).

`loader` reads and checks a scenario file (with the line of every step), `runner` drives the
journey engine over the JSON API with Flask's test client, `plugin` makes pytest collect
`scenarios/*.yaml` (each scenario one test item). Format: docs/scenarios.md.
"""
from .loader import Scenario, ScenarioFile, Step, load_scenario_file
from .runner import ScenarioFailure, ScenarioRunner, run_scenario

__all__ = ["Scenario", "ScenarioFile", "Step", "load_scenario_file", "ScenarioFailure", "ScenarioRunner",
           "run_scenario"]
