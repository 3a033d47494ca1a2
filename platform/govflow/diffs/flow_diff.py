"""What changed between two versions of a flow, in policy terms (pages, fields, options, buttons).

Compares loaded FlowDefs rather than text, so that a change in a shared fragment or a
reformatted file is reported as what the citizen will see, and nothing else.
"""
from __future__ import annotations

from ..say import say
from .change import Change
from .describe import describe_condition, describe_value

FIELD_ATTRS = ("type", "widget", "source", "mask", "default", "const", "format", "verify", "limits", "help",
               "notice", "messages", "placeholder")        # their names: publishing.change.field_attr.*
ACTION_ATTRS = ("next", "navigate", "on_failure", "submit", "verify_identity")   # publishing.change.action_attr.*


class _Differ:
    def __init__(self, old, new, titles: dict, types: dict):
        self.old, self.new, self.titles, self.types = old, new, titles, types
        self.changes: list[Change] = []

    def add(self, code, path, message, old=None, new=None) -> None:
        self.changes.append(Change(code, path, message, old, new))

    def cond(self, when) -> str:
        return describe_condition(when, self.titles, self.types) if when else say("publishing.change.no_condition")

    def target(self, flow, target) -> str:
        if target is None:
            return say("publishing.change.nothing")
        if isinstance(target, str):
            page = flow.page(target)
            return say("publishing.change.page_titled", ti=page.title, id=target) if page \
                else say("publishing.change.page", id=target)
        if target.branches:
            otherwise = say("publishing.change.otherwise")
            return say("publishing.change.branch_separator").join(
                say("publishing.change.branch", when=self.cond(b.when) if b.when else otherwise,
                    to=self.target(flow, b.page)) for b in target.branches)
        if target.flow:
            return say("publishing.change.flow_page", flow=target.flow, page=target.page) if target.page \
                else say("publishing.change.flow", flow=target.flow)
        if target.parent:
            return say("publishing.change.parent_page", page=target.parent)
        return self.target(flow, target.page)

    # -- the flow --------------------------------------------------------------------------

    def run(self) -> list[Change]:
        old, new = self.old, self.new
        for attr in ("title", "start", "launched_by", "basis", "description"):
            a, b = getattr(old, attr), getattr(new, attr)
            if a != b:
                self.add(f"flow.{attr}_changed", attr, say("publishing.change.flow_attr", what=say(
                    f"publishing.change.flow_attr.{attr}"), old=describe_value(a), new=describe_value(b)), a, b)
        for pid, page in old.pages.items():
            if pid not in new.pages:
                self.add("flow.page_removed", f"pages.{pid}",
                         say("publishing.change.page_removed", ti=page.title, id=pid), page.title)
        for pid, page in new.pages.items():
            if pid not in old.pages:
                self.add("flow.page_added", f"pages.{pid}",
                         say("publishing.change.page_added", ti=page.title, id=pid), None, page.title)
        kept_old = [p for p in old.pages if p in new.pages]
        kept_new = [p for p in new.pages if p in old.pages]
        if kept_old != kept_new:
            self.add("flow.page_order_changed", "pages", say("publishing.change.page_order"), kept_old, kept_new)
        for pid in kept_new:
            self.page(old.pages[pid], new.pages[pid])
        self.fields()
        return self.changes

    def page(self, a, b) -> None:
        at = f"pages.{b.id}"
        name = say("publishing.change.page_name", ti=b.title)
        if a.title != b.title:
            self.add("flow.page_title_changed", at + ".title",
                     say("publishing.change.page_title", old=a.title, new=b.title), a.title, b.title)
        for attr in ("checks", "on_enter"):
            x, y = getattr(a, attr), getattr(b, attr)
            if x != y:
                self.add(f"flow.page_{attr}_changed", f"{at}.{attr}",
                         say(f"publishing.change.page_{attr}", page=name, old=describe_value(x), new=describe_value(y)),
                         x, y)
        if a.final != b.final:
            self.add("flow.page_final_changed", at + ".final",
                     say("publishing.change.page_final" if b.final else "publishing.change.page_not_final", page=name),
                     a.final, b.final)
        if a.content != b.content:
            self.add("flow.page_content_changed", at + ".content", say("publishing.change.page_content", page=name),
                     a.content, b.content)
        if _review(a) != _review(b):
            self.add("flow.review_changed", at + ".review", say("publishing.change.page_review", page=name),
                     _review(a), _review(b))
        self.actions(a, b, at, name)

    def actions(self, a, b, at: str, name: str) -> None:
        old = {x.id: x for x in a.actions}
        new = {x.id: x for x in b.actions}
        for aid, act in old.items():
            if aid not in new:
                self.add("flow.action_removed", f"{at}.actions.{aid}",
                         say("publishing.change.action_removed", page=name, label=act.label), act.label)
        for aid, act in new.items():
            if aid not in old:
                self.add("flow.action_added", f"{at}.actions.{aid}",
                         say("publishing.change.action_added", page=name, label=act.label,
                             to=self.target(self.new, act.next or act.navigate)),
                         None, act.label)
                continue
            was = old[aid]
            if was.label != act.label:
                self.add("flow.action_label_changed", f"{at}.actions.{aid}.label",
                         say("publishing.change.action_label", page=name, old=was.label, new=act.label),
                         was.label, act.label)
            for attr in ACTION_ATTRS:
                x, y = getattr(was, attr), getattr(act, attr)
                if x == y:
                    continue
                if attr in ("next", "navigate", "on_failure"):
                    text_x, text_y = self.target(self.old, x), self.target(self.new, y)
                else:
                    text_x, text_y = describe_value(x), describe_value(y)
                self.add("flow.action_target_changed", f"{at}.actions.{aid}.{attr}",
                         say("publishing.change.action_attr", page=name, label=act.label,
                             what=say(f"publishing.change.action_attr.{attr}"), old=text_x, new=text_y),
                         text_x, text_y)
            if was.confirm != act.confirm:
                self.add("flow.action_confirm_changed", f"{at}.actions.{aid}.confirm",
                         say("publishing.change.action_confirm", page=name, label=act.label,
                             change=_confirm_change(was.confirm, act.confirm)),
                         was.confirm, act.confirm)

    # -- fields (compared across the flow: a field may move to another page) ------------------

    def fields(self) -> None:
        old, new = _by_name(self.old), _by_name(self.new)
        for name, f in old.items():
            if name not in new:
                self.add("flow.field_removed", f"pages.{f.page_id}.fields.{f.name}",
                         say("publishing.change.field_removed", page=self._page(self.old, f), ti=f.title, id=f.name),
                         f.title)
        for name, f in new.items():
            if name not in old:
                kind = "readonly" if f.readonly else "required" if f.required else "optional"
                self.add("flow.field_added", f"pages.{f.page_id}.fields.{f.name}",
                         say("publishing.change.field_added", page=self._page(self.new, f),
                             kind=say(f"publishing.change.field_kind.{kind}"), ti=f.title, id=f.name), None, f.title)
            else:
                self.field(old[name], f)

    def _page(self, flow, f) -> str:
        page = flow.page(f.page_id)
        return say("publishing.change.page_name", ti=page.title if page else f.page_id)

    def field(self, a, b) -> None:
        at = f"pages.{b.page_id}.fields.{b.name}"
        name = say("publishing.change.field_name", page=self._page(self.new, b), ti=b.title)
        if a.page_id != b.page_id:
            self.add("flow.field_moved", at, say("publishing.change.field_moved", ti=b.title,
                                                 old=self._page(self.old, a), new=self._page(self.new, b)),
                     a.page_id, b.page_id)
        if a.title != b.title:
            self.add("flow.field_title_changed", at + ".title",
                     say("publishing.change.field_title", page=self._page(self.new, b), old=a.title, new=b.title),
                     a.title, b.title)
        if a.required != b.required:
            code = "flow.field_required" if b.required else "flow.field_optional"
            self.add(code, at + ".optional", say(f"publishing.change.{code[5:]}", field=name), a.required, b.required)
        if a.when != b.when:
            self.add("flow.field_condition_changed", at + ".when",
                     say("publishing.change.field_when", field=name, old=self.cond(a.when), new=self.cond(b.when)),
                     self.cond(a.when), self.cond(b.when))
        self.options(a, b, at, name)
        for attr in FIELD_ATTRS:
            x, y = getattr(a, attr), getattr(b, attr)
            if x != y:
                self.add("flow.field_changed", f"{at}.{attr}",
                         say("publishing.change.field_attr", field=name,
                             what=say(f"publishing.change.field_attr.{attr}"),
                             old=describe_value(x), new=describe_value(y)), x, y)

    def options(self, a, b, at: str, name: str) -> None:
        x, y = a.options, b.options
        if x == y:
            return
        if isinstance(x, list) and isinstance(y, list):
            old = {o["value"]: o.get("label") for o in x}
            new = {o["value"]: o.get("label") for o in y}
            for value, label in old.items():
                if value not in new:
                    self.add("flow.option_removed", f"{at}.options.{value}",
                             say("publishing.change.option_removed", field=name, label=label, value=value), value)
            for value, label in new.items():
                if value not in old:
                    self.add("flow.option_added", f"{at}.options.{value}",
                             say("publishing.change.option_added", field=name, label=label, value=value), None, value)
                elif old[value] != label:
                    self.add("flow.option_label_changed", f"{at}.options.{value}",
                             say("publishing.change.option_label", field=name, value=value, old=old[value], new=label),
                             old[value], label)
            if [v for v in old if v in new] != [v for v in new if v in old]:
                self.add("flow.option_order_changed", f"{at}.options",
                         say("publishing.change.option_order", field=name), list(old), list(new))
            return
        code = "flow.options_picklist_changed" if isinstance(x, str) and isinstance(y, str) else "flow.options_changed"
        self.add(code, f"{at}.options", say("publishing.change.options", field=name, old=_options(x), new=_options(y)),
                 x, y)


def _by_name(flow) -> dict:
    """Answers by field name (unique in a flow, may move); read-only fields per page (repeated)."""
    return {f.name if not f.readonly else f"{f.page_id}/{f.name}": f
            for p in flow.pages.values() for f in p.fields.values()}


CONFIRM_PARTS = ("title", "message", "confirm_label", "cancel_label")     # publishing.change.confirm_part.*


def _confirm_change(old: dict | None, new: dict | None) -> str:
    """What changed in a button's confirmation popup, old → new, in words."""
    if not old or not new:
        return say("publishing.change.confirm_removed") if not new \
            else say("publishing.change.confirm_added", message=new.get("message", ""))
    keys = [k for k in CONFIRM_PARTS if k in old or k in new] + sorted((set(old) | set(new)) - set(CONFIRM_PARTS))
    parts = [say("publishing.change.confirm_part", what=say(f"publishing.change.confirm_part.{key}")
                 if key in CONFIRM_PARTS else key, old=describe_value(old.get(key)), new=describe_value(new.get(key)))
             for key in keys if old.get(key) != new.get(key)]
    return say("publishing.change.confirm_changed", p=say("publishing.change.branch_separator").join(parts))


def _options(value) -> str:
    if value is None:
        return say("publishing.change.no_options")
    if isinstance(value, str):
        return say("publishing.change.picklist", name=value)
    return "[" + ", ".join(say("publishing.change.option", l=o.get("label"), v=o["value"]) for o in value) + "]"


def _review(page) -> list:
    return [(s.title, s.page, s.group, s.fields, s.edit, s.when) for s in page.review]


def diff_flows(old, new, titles: dict | None = None, types: dict | None = None) -> list[Change]:
    """Changes from FlowDef `old` to FlowDef `new`; `titles` / `types` by fact path (form.* from the flows)."""
    own = [f for v in (old, new) for p in v.pages.values() for f in p.fields.values()]
    titles = {**{f"form.{f.name}": f.title for f in own}, **(titles or {})}
    types = {**{f"form.{f.name}": f.type for f in own}, **(types or {})}
    return _Differ(old, new, titles, types).run()
