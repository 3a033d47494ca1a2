"""What one step returns to a renderer: where to go now and what to show."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem


@dataclass
class StepResult:
    status: str            # ok | invalid | refused | redirect | handoff | submitted | failed | locked
    application: Any       # the application to continue with (a linked one after a flow change)
    page: str              # the page to show now, in that application's flow
    problems: list[Problem] = field(default_factory=list)
    popup: dict | None = None
    handoff: dict | None = None
    values: dict = field(default_factory=dict)   # what was posted, so nothing entered is lost

    def as_dict(self) -> dict:
        out = {"status": self.status, "application": self.application.id, "flow": self.application.flow_id,
               "page": self.page}
        if self.problems:
            out["errors"] = [{"path": p.path, "code": p.code, "message": p.message} for p in self.problems]
        if self.popup:
            out["popup"] = self.popup
        if self.handoff:
            out["handoff"] = self.handoff
        return out
