"""Errors are data: every problem has a code, a path and a message.

One type serves three audiences: citizens (message in Chinese, path = field),
policy staff (file and line of a flow or rule file, with a hint) and API
clients (problem+json entries).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .say import language


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
            text += f"（提示：{self.hint}）" if language() == "zh" else f" ({self.hint})"
        return text

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class DefinitionError(Exception):
    """Raised when flow, rule or reference files cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class GovflowError(Exception):
    """An error that becomes a response in one place (web/errors.py): a stable `code` (its
    message is in the catalogue) and the HTTP status it is answered with. `detail` is for
    developers and logs, never shown to a citizen."""

    status = 500

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


class NotFound(GovflowError):
    status = 404


class Conflict(GovflowError):
    """The request clashes with the current state (e.g. another tab saved the draft first)."""

    status = 409


class Unavailable(GovflowError):
    """Something the request needs cannot be had now (an archived definition bundle, an
    outside system); the citizen may try again later, nothing they entered is lost."""

    status = 503
