"""A draft as one request sees it: the application, its flow, its answers and its facts.

Everything derived from the application (the flat answers, the FactView every condition and
rule set of the request reads, the trail of pages open to the citizen) is computed on first
use and kept until the draft changes (`changed()`), so a step computes each of them once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..definitions.model import FlowDef
from ..rules import FactView
from ..rules.facts import flatten
from .facts import build_facts, flat_answers
from .navigation import trail

if TYPE_CHECKING:
    from .journey import Journey


class Draft:
    def __init__(self, journey: "Journey", app):
        self.journey = journey
        self.env = journey.env
        self.app = app
        self.flow: FlowDef = journey.flow(app.flow_id)
        self.dirty = False                       # to be saved at the end of the step
        self.related: list["Draft"] = []         # other applications the step touched (linked flows)
        self.baseline: dict | None = None        # snapshot() before the step's first change
        self._answers: dict | None = None
        self._facts: FactView | None = None
        self._trail: list[str] | None = None

    # -- derived, computed once -------------------------------------------------------------
    @property
    def answers(self) -> dict:
        """All answers in one mapping (field names are unique in a flow)."""
        if self._answers is None:
            self._answers = flat_answers(self.app.answers)
        return self._answers

    @property
    def facts(self) -> FactView:
        if self._facts is None:
            self._facts = self.facts_with({})
        return self._facts

    def facts_with(self, values: dict) -> FactView:
        """The facts as they would be with `values` (checked answers of a page) on top."""
        answers = {**self.answers, **values} if values else self.answers
        nested = build_facts(self.app.context, answers, self.env.today())
        return FactView(self.env.rulebook.catalogue, nested)

    @property
    def trail(self) -> list[str]:
        if self._trail is None:
            self._trail = trail(self)
        return self._trail

    @property
    def current(self) -> str:
        return self.app.context.get("page") or self.flow.start

    def snapshot(self) -> dict:
        """The base facts as path -> value, and the subject, to tell what a step changed."""
        out = flatten(build_facts(self.app.context, self.answers, self.env.today()))
        out["subject"] = self.app.context.get("subject")
        return out

    # -- changes ------------------------------------------------------------------------------
    def begin_change(self) -> None:
        """Call before changing answers or context: remembers the facts as the step found them."""
        if self.baseline is None:
            self.baseline = self.snapshot()

    def changed(self) -> None:
        """The application was changed: forget what was derived from it, save it at the end."""
        self._answers = self._facts = self._trail = None
        self.dirty = True

    def progressed(self) -> None:
        """Only which pages are done (and the actions they were left by) changed: the answers
        and the facts (built from the answers, identity and registry alone) still hold; the
        trail is recomputed. Saved at the end."""
        self._trail = None
        self.dirty = True

    def mark_done(self, page_id: str, action_id: str | None = None) -> None:
        if page_id not in self.app.done:
            self.app.done.append(page_id)
        if action_id is not None:
            self.app.context.setdefault("via", {})[page_id] = action_id
        self.progressed()

    def reopen(self, page_id: str) -> None:
        if page_id in self.app.done:
            self.app.done.remove(page_id)
            self.progressed()

    def move_to(self, page_id: str) -> None:
        if self.app.context.get("page") != page_id:
            self.app.context["page"] = page_id
        self.dirty = True
