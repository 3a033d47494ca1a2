"""The loaded shape of flow files: plain dataclasses the engine and renderers read.

A field is declared once (in a flow or a shared fragment) and this object is what the
HTML renderer, the API schema export, the validator and the review page all use.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..rules.model import Condition, facts_read
from ..yamlsource import Source


@dataclass
class Origin:
    """Where a definition came from, for file:line in errors."""

    source: Source
    path: tuple

    def __repr__(self) -> str:
        return f"Origin({self.file}:{self.line})"

    @property
    def file(self) -> str:
        return self.source.file_at(self.path)

    @property
    def line(self) -> int:
        return self.source.line(self.path)

    def problem(self, code: str, message: str, hint: str | None = None, sub: tuple = (),
                severity: str = "error"):
        return self.source.problem(self.path + tuple(sub), code, message, hint, severity)


# `{outcome.<key>}` in a content block's title or text: the back end's last answer on the
# application (journey/views.outcome_view), e.g. a refusal's reason on the failure page
OUTCOME_KEYS = ("reason", "code", "reference", "note")
PLACEHOLDER = re.compile(r"\{outcome\.([A-Za-z_]+)\}")

WIDGET_BY_TYPE = {"boolean": "checkbox", "date": "date", "upload": "upload", "integer": "text", "string": "text"}


@dataclass
class FieldDef:
    name: str
    title: str
    page_id: str
    origin: Origin
    type: str = "string"
    widget: str = "text"
    help: str | None = None
    options: str | list | None = None       # pick-list name or inline [{value, label}]
    options_from: dict | None = None        # one record of a list fact (journey/records.py)
    source: str | None = None               # `from:` fact path; the field is then read-only
    mask: str | None = None
    when: dict | None = None
    optional: bool = False
    default: Any = None
    const: Any = None
    format: str | None = None
    verify: str | dict | None = None
    limits: dict = field(default_factory=dict)   # minLength, maxLength, pattern, minimum, maximum
    placeholder: str | None = None
    regions: str | None = None              # `widget: branch`: the pick-list of areas to search in
    notice: dict | None = None
    messages: dict = field(default_factory=dict)
    condition: Condition | None = None      # `when:` compiled at load (see definitions/conditions.py)

    @cached_property
    def reads(self) -> tuple[str, ...]:
        """Fact paths the field's condition reads."""
        return tuple(facts_read(self.condition))

    @cached_property
    def controllers(self) -> tuple[str, ...]:
        """Names of the form fields whose answers decide whether this field applies."""
        return tuple(p[5:] for p in self.reads if p.startswith("form."))

    @property
    def readonly(self) -> bool:
        return self.source is not None

    @property
    def required(self) -> bool:
        return not self.optional and not self.readonly

    @property
    def sms_phone_field(self) -> str | None:
        return self.verify.get("sms") if isinstance(self.verify, dict) else None

    @property
    def verify_reads(self) -> tuple[str, ...]:
        """The facts the field's `verify:` check looks at besides its own value."""
        if self.sms_phone_field:
            return (f"form.{self.sms_phone_field}",)
        return VERIFY_READS.get(self.verify, ()) if isinstance(self.verify, str) else ()


# What each `verify:` kind reads besides the field's value (journey/verifiers.py has one function
# per kind): a receipt or the registry photo is looked up for the person applied for; a branch
# is looked up in the branch list alone.
VERIFY_READS: dict[str, tuple[str, ...]] = {"photo_receipt": ("subject",), "system_photo": ("subject",),
                                            "branch": ()}


@dataclass
class Branch:
    """One case of a branching `next:`: go to `page` when `when` holds (no `when`: otherwise)."""

    when: dict | None
    page: str
    condition: Condition | None = None


@dataclass
class Target:
    """Where an action leads: a page of this flow, another flow, the parent application, or branches."""

    page: str | None = None
    flow: str | None = None
    parent: str | None = None
    branches: list[Branch] = field(default_factory=list)

    def pages(self) -> list[str]:
        if self.branches:
            return [b.page for b in self.branches]
        return [self.page] if self.page and not self.flow and not self.parent else []


@dataclass
class ActionDef:
    id: str
    label: str
    origin: Origin
    next: Target | None = None
    navigate: Target | None = None
    verify_identity: str | None = None
    submit: str | None = None               # the operation of a connector (connectors/*.yaml)
    submit_request: dict = field(default_factory=dict)   # request field -> {from: ...}: the flow's sources
    on_failure: str | None = None
    skip_validation: bool = False
    confirm: dict | None = None

    @property
    def saves(self) -> bool:
        """An action with `next` validates and saves the page; `navigate` only moves."""
        return self.next is not None


@dataclass
class ReviewSection:
    title: str
    edit: str
    origin: Origin
    page: str | None = None
    group: int | None = None
    fields: list[str] = field(default_factory=list)
    when: dict | None = None
    condition: Condition | None = None
    receipt: bool = False        # also printed on the 电子回执 (web/progress.py)


@dataclass
class PageDef:
    id: str
    title: str
    origin: Origin
    manual: str | None = None
    content: list[dict] = field(default_factory=list)
    fields: dict[str, FieldDef] = field(default_factory=dict)
    groups: list[dict] = field(default_factory=list)
    on_enter: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    review: list[ReviewSection] = field(default_factory=list)
    final: bool = False
    actions: list[ActionDef] = field(default_factory=list)
    content_conditions: list[Condition | None] = field(default_factory=list)   # one per content block
    reads: frozenset[str] = frozenset()     # facts whose change can change whether the page passes

    def action(self, action_id: str) -> ActionDef | None:
        return self._actions.get(action_id)

    @cached_property
    def _actions(self) -> dict[str, ActionDef]:
        """Action id -> the first action of that id (as the page lists them)."""
        out: dict[str, ActionDef] = {}
        for a in self.actions:
            out.setdefault(a.id, a)
        return out

    @cached_property
    def inputs(self) -> list[FieldDef]:
        """The fields the citizen answers (not the read-only ones), in page order."""
        return [f for f in self.fields.values() if not f.readonly]

    def input_fields(self) -> list[FieldDef]:
        return self.inputs

    @cached_property
    def input_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.inputs)

    @cached_property
    def conditional_inputs(self) -> list[FieldDef]:
        """The inputs with a `when:` (the others always apply), in page order."""
        return [f for f in self.inputs if f.condition is not None]


@dataclass
class FlowDef:
    id: str
    title: str
    start: str
    origin: Origin
    version: str
    files: list[str]
    description: str | None = None
    basis: str | None = None
    launched_by: list[str] = field(default_factory=list)
    subject: str = "identity.ssn"          # fact holding the ID number of the person applied for
    pages: dict[str, PageDef] = field(default_factory=dict)
    rule_texts: dict[str, str] = field(default_factory=dict)   # rule id -> this flow's words (journey/rule_texts.py)

    def page(self, page_id: str) -> PageDef | None:
        return self.pages.get(page_id)

    @cached_property
    def _field_index(self) -> dict[str, FieldDef]:
        """Field name -> the field collecting it (else the first read-only field of that name).
        Built on first use, after loading: definitions do not change once loaded."""
        index: dict[str, FieldDef] = {}
        for page in self.pages.values():
            for f in page.fields.values():
                if f.name not in index or (index[f.name].readonly and not f.readonly):
                    index[f.name] = f
        return index

    def field(self, name: str) -> FieldDef | None:
        return self._field_index.get(name)

    @cached_property
    def _inputs(self) -> dict[str, FieldDef]:
        return {f.name: f for p in self.pages.values() for f in p.input_fields()}

    def input_fields(self) -> dict[str, FieldDef]:
        return self._inputs

    def page_of(self, name: str) -> PageDef | None:
        """The page that collects field `name`."""
        f = self._inputs.get(name)
        return self.pages.get(f.page_id) if f is not None else None

    @cached_property
    def steps(self) -> list[str]:
        """The pages counted in 第 n 步，共 m 步 (every page but the final ones)."""
        return [p.id for p in self.pages.values() if not p.final]

    def page_order(self) -> list[str]:
        return list(self.pages)
