"""Errors are data: every problem has a code, a path and a message.

One type serves three audiences: citizens (message in Chinese, path = field),
policy staff (file and line of a flow or rule file, with a hint) and API
clients (problem+json entries).
"""
from __future__ import annotations

from dataclasses import dataclass, asdict


@dataclass(frozen=True)
class Problem:
    code: str                 # stable machine code, tests assert on it
    path: str                 # field name for form errors, key path for definition errors
    message: str              # human text (Chinese for citizens)
    file: str | None = None   # definition errors: the file ...
    line: int | None = None   # ... and the 1-based line
    hint: str | None = None   # what to do about it
    severity: str = "error"   # "error" or "warning"

    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def __str__(self) -> str:
        loc = self.location()
        text = f"{loc}: {self.message}" if loc else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class DefinitionError(Exception):
    """Raised when flow, rule or reference files cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
