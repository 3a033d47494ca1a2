# Scenario files (scenarios/*.yaml) are pytest test items: see docs/scenarios.md.
from govflow.scenarios.plugin import pytest_collect_file, pytest_unconfigure  # noqa: F401
