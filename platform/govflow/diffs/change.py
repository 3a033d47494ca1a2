"""One change between two versions, as data: a stable code for tests and tools, a sentence for staff."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    code: str            # e.g. flow.field_required, rule.condition_changed
    path: str            # where in the file: pages.info.fields.end_date, rules.ABC-001.when
    message: str         # the change in Chinese, naming pages, fields and rules by title
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        return f"{self.message}  [{self.code}]"
