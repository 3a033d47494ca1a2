"""The test tree itself: pytest imports test modules by their file name (no packages here), so two
test files of one name, one in tests/ and one in tests/browser/, stop the whole run at collection."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_test_module_has_a_name_of_its_own():
    names = Counter(p.name for p in TESTS.rglob("*.py") if p.name != "conftest.py" and "__pycache__" not in p.parts)
    assert [name for name, n in names.items() if n > 1] == []
