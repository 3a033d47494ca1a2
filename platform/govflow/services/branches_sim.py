"""Branch directory simulator (受理网点), reading demo/branches.json.

Two ways to search, as the pickup page offers: exact by area (a city code matches all
of its branches, a county code only that county's) and fuzzy by keyword. The keyword
matches a substring of the name or address first; failing that, a branch still matches
when all keyword characters appear in order (“东区网点” finds “某市东区社保卡服务网点”),
ranked by how tightly they sit together.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import Problem
from .interfaces import Branch

BRANCHES_FILE = "branches.json"


class BranchSimulator:
    def __init__(self, branches: list[Branch]):
        self._branches = list(branches)
        self._by_id = {b.id: b for b in self._branches}

    def get(self, branch_id: str) -> Branch | None:
        return self._by_id.get(branch_id)

    def search(self, area_code: str | None = None, keyword: str | None = None, limit: int = 50) -> list[Branch]:
        area = (area_code or "").strip()
        word = re.sub(r"\s+", "", keyword or "").lower()
        ranked: list[tuple[int, int, str, Branch]] = []
        for order, branch in enumerate(self._branches):
            if area and area not in (branch.city_code, branch.county_code):
                continue
            score = _closeness(word, branch) if word else 0
            if score is not None:
                ranked.append((score, order, branch.id, branch))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [r[3] for r in ranked[:max(0, int(limit))]]


def _closeness(word: str, branch: Branch) -> int | None:
    """0 for a substring hit; otherwise 1 + extra characters in the tightest in-order window."""
    best: int | None = None
    for text in (branch.name.lower(), branch.address.lower()):
        if word in text:
            return 0
        span = _tightest_window(word, text)
        if span is not None:
            score = 1 + span - len(word)
            best = score if best is None else min(best, score)
    return best


def _tightest_window(word: str, text: str) -> int | None:
    """Length of the shortest slice of text containing word's characters in order."""
    best = None
    for start, char in enumerate(text):
        if char != word[0]:
            continue
        pos = start
        for c in word[1:]:
            pos = text.find(c, pos + 1)
            if pos < 0:
                return best  # later starts cannot succeed either
        length = pos - start + 1
        best = length if best is None or length < best else best
    return best


def load_branches(demo_dir: Path) -> tuple[list[Branch], list[Problem]]:
    path = Path(demo_dir) / BRANCHES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["branches"]
        return [Branch(str(b["id"]), b["name"], str(b["city_code"]),
                       str(b["county_code"]) if b.get("county_code") else None,
                       b["address"], b["phone"], b["hours"]) for b in items], []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [], [Problem("branches.unreadable", "", f"cannot read {path.name}: {exc!r}", str(path), None,
                            "run python demo/make_branches.py")]
