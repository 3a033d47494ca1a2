"""What one step returns to a renderer: a Status, where to go now, and what to show.

Both renderers interpret these types once each: the API maps a Status to an HTTP code
(web/api.py STATUS_CODES), the HTML pages to a redirect or a re-rendered page (web/html.py).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import Problem


class Status(StrEnum):
    OK = "ok"                    # shown or moved on
    INVALID = "invalid"          # answers need fixing (problems say which)
    REFUSED = "refused"          # a rule or a check keeps the citizen out (popup says why)
    REDIRECT = "redirect"        # a rule sends the citizen to another flow (popup offers it)
    HANDOFF = "handoff"          # away to face verification and back
    PROCESSING = "processing"    # handed to the outbox: 已提交，正在办理 until the back end answers
    SUBMITTED = "submitted"      # accepted by the back end (reference)
    FAILED = "failed"            # the back end refused the submission; it may be retried
    LOCKED = "locked"            # that page cannot be opened now (sent to the right one)


class PopupKind(StrEnum):
    REFUSE = "refuse"            # 弹窗 with one button: the citizen cannot go on this way
    REDIRECT = "redirect"        # 弹窗 offering another flow (【确认】 follows it)
    CONFIRM = "confirm"          # 弹窗 asking to confirm a button (`confirm:` of an action)


@dataclass(frozen=True)
class Popup:
    """A manual 弹窗: decided by a rule, by a failed check, or asked by a button."""

    kind: PopupKind
    message: str
    title: str | None = None
    rule_id: str | None = None
    basis: str | None = None             # the rule's policy basis
    flow: str | None = None              # redirect: the flow (and page) it opens
    page: str | None = None
    confirm_label: str | None = None
    cancel_label: str | None = None
    action: str | None = None            # confirm: the button confirmed, and the answers it carries
    carry: dict | None = None
    see: str | None = None               # refuse: a page of the site the popup links to (`see: progress`)

    @classmethod
    def from_rule(cls, fired) -> "Popup":
        outcome = fired.outcome
        kind = PopupKind.REDIRECT if "redirect" in outcome else PopupKind.REFUSE
        spec = outcome[kind.value]
        return cls(kind=kind, message=spec["message"], title=fired.title, rule_id=fired.rule_id,
                   basis=fired.citizen_basis or None, flow=spec.get("flow"), page=spec.get("page"),
                   confirm_label=spec.get("confirm_label"), see=spec.get("see"))

    @classmethod
    def from_dict(cls, data: dict) -> "Popup":
        return cls(**{**data, "kind": PopupKind(data["kind"])})

    def as_dict(self) -> dict:
        return {k: (v.value if isinstance(v, PopupKind) else v) for k, v in asdict(self).items() if v is not None}


@dataclass
class StepResult:
    status: Status
    draft: Any             # the Draft to continue with (a linked application after a flow change)
    page: str              # the page to show now, in that application's flow
    problems: list[Problem] = field(default_factory=list)
    popup: Popup | None = None
    handoff: dict | None = None
    values: dict = field(default_factory=dict)   # what was posted, so nothing entered is lost
    check: Any = None      # the PageCheck of an invalid or refused page, reused to render it

    @property
    def application(self):
        return self.draft.app

    def as_dict(self) -> dict:
        out: dict = {"status": self.status.value, "application": self.application.id,
                     "flow": self.application.flow_id, "page": self.page}
        if self.problems:
            out["errors"] = [{"path": p.path, "code": p.code, "message": p.message} for p in self.problems]
        if self.popup:
            out["popup"] = self.popup.as_dict()
        if self.handoff:
            out["handoff"] = self.handoff
        return out
