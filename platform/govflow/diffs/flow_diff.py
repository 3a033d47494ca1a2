"""What changed between two versions of a flow, in policy terms (pages, fields, options, buttons).

Compares loaded FlowDefs rather than text, so that a change in a shared fragment or a
reformatted file is reported as what the citizen will see, and nothing else.
"""
from __future__ import annotations

from .change import Change
from .describe import describe_condition, describe_value

FIELD_ATTRS = {"type": "类型", "widget": "显示方式", "source": "数据来源（from）", "mask": "遮蔽方式",
               "default": "默认值", "const": "唯一允许的答案", "format": "号码格式", "verify": "外部核验",
               "limits": "长度或数值限制", "help": "提示文字", "notice": "温馨提示", "messages": "错误提示文字",
               "placeholder": "占位提示"}
ACTION_ATTRS = {"next": "去向", "navigate": "去向（不保存）", "on_failure": "提交失败时的去向",
                "submit": "提交的业务", "verify_identity": "人脸核验"}


class _Differ:
    def __init__(self, old, new, titles: dict, types: dict):
        self.old, self.new, self.titles, self.types = old, new, titles, types
        self.changes: list[Change] = []

    def add(self, code, path, message, old=None, new=None) -> None:
        self.changes.append(Change(code, path, message, old, new))

    def cond(self, when) -> str:
        return describe_condition(when, self.titles, self.types) if when else "（无条件）"

    def target(self, flow, target) -> str:
        if target is None:
            return "（无）"
        if isinstance(target, str):
            page = flow.page(target)
            return f"页面“{page.title}”（{target}）" if page else f"页面 {target}"
        if target.branches:
            return "；".join(f"{self.cond(b.when) if b.when else '其他情况'}时到{self.target(flow, b.page)}"
                            for b in target.branches)
        if target.flow:
            return f"流程 {target.flow}" + (f" 的页面 {target.page}" if target.page else "")
        if target.parent:
            return f"上级申请的页面 {target.parent}"
        return self.target(flow, target.page)

    # -- the flow --------------------------------------------------------------------------

    def run(self) -> list[Change]:
        old, new = self.old, self.new
        for attr, word in (("title", "名称"), ("start", "起始页面"), ("launched_by", "可由哪些流程打开"),
                           ("basis", "政策依据"), ("description", "简介")):
            a, b = getattr(old, attr), getattr(new, attr)
            if a != b:
                self.add(f"flow.{attr}_changed", attr, f"流程的{word}由“{describe_value(a)}”改为“{describe_value(b)}”",
                         a, b)
        for pid, page in old.pages.items():
            if pid not in new.pages:
                self.add("flow.page_removed", f"pages.{pid}", f"删除页面“{page.title}”（{pid}）", page.title)
        for pid, page in new.pages.items():
            if pid not in old.pages:
                self.add("flow.page_added", f"pages.{pid}", f"新增页面“{page.title}”（{pid}）", None, page.title)
        kept_old = [p for p in old.pages if p in new.pages]
        kept_new = [p for p in new.pages if p in old.pages]
        if kept_old != kept_new:
            self.add("flow.page_order_changed", "pages", "页面顺序（步骤编号）有改动", kept_old, kept_new)
        for pid in kept_new:
            self.page(old.pages[pid], new.pages[pid])
        self.fields()
        return self.changes

    def page(self, a, b) -> None:
        at = f"pages.{b.id}"
        name = f"页面“{b.title}”"
        if a.title != b.title:
            self.add("flow.page_title_changed", at + ".title", f"页面标题由“{a.title}”改为“{b.title}”",
                     a.title, b.title)
        for attr, word in (("checks", "提交本页时运行的规则集"), ("on_enter", "进入本页前运行的规则集")):
            x, y = getattr(a, attr), getattr(b, attr)
            if x != y:
                self.add(f"flow.page_{attr}_changed", f"{at}.{attr}",
                         f"{name}{word}由 {describe_value(x)} 改为 {describe_value(y)}", x, y)
        if a.final != b.final:
            self.add("flow.page_final_changed", at + ".final",
                     f"{name}{'改为' if b.final else '不再是'}结束页面", a.final, b.final)
        if a.content != b.content:
            self.add("flow.page_content_changed", at + ".content", f"{name}的说明内容有改动", a.content, b.content)
        if _review(a) != _review(b):
            self.add("flow.review_changed", at + ".review", f"{name}的信息确认栏目有改动", _review(a), _review(b))
        self.actions(a, b, at, name)

    def actions(self, a, b, at: str, name: str) -> None:
        old = {x.id: x for x in a.actions}
        new = {x.id: x for x in b.actions}
        for aid, act in old.items():
            if aid not in new:
                self.add("flow.action_removed", f"{at}.actions.{aid}", f"{name}删除按钮【{act.label}】", act.label)
        for aid, act in new.items():
            if aid not in old:
                self.add("flow.action_added", f"{at}.actions.{aid}",
                         f"{name}新增按钮【{act.label}】，去向{self.target(self.new, act.next or act.navigate)}",
                         None, act.label)
                continue
            was = old[aid]
            if was.label != act.label:
                self.add("flow.action_label_changed", f"{at}.actions.{aid}.label",
                         f"{name}的按钮【{was.label}】改名为【{act.label}】", was.label, act.label)
            for attr, word in ACTION_ATTRS.items():
                x, y = getattr(was, attr), getattr(act, attr)
                if x == y:
                    continue
                if attr in ("next", "navigate", "on_failure"):
                    text_x, text_y = self.target(self.old, x), self.target(self.new, y)
                else:
                    text_x, text_y = describe_value(x), describe_value(y)
                self.add("flow.action_target_changed", f"{at}.actions.{aid}.{attr}",
                         f"{name}的按钮【{act.label}】{word}由{text_x}改为{text_y}", text_x, text_y)
            if was.confirm != act.confirm:
                self.add("flow.action_confirm_changed", f"{at}.actions.{aid}.confirm",
                         f"{name}的按钮【{act.label}】的确认弹窗{_confirm_change(was.confirm, act.confirm)}",
                         was.confirm, act.confirm)

    # -- fields (compared across the flow: a field may move to another page) ------------------

    def fields(self) -> None:
        old, new = _by_name(self.old), _by_name(self.new)
        for name, f in old.items():
            if name not in new:
                self.add("flow.field_removed", f"pages.{f.page_id}.fields.{f.name}",
                         f"{self._page(self.old, f)}删除填写项“{f.title}”（{f.name}）", f.title)
        for name, f in new.items():
            if name not in old:
                kind = "只读显示项" if f.readonly else "必填填写项" if f.required else "选填填写项"
                self.add("flow.field_added", f"pages.{f.page_id}.fields.{f.name}",
                         f"{self._page(self.new, f)}新增{kind}“{f.title}”（{f.name}）", None, f.title)
            else:
                self.field(old[name], f)

    def _page(self, flow, f) -> str:
        page = flow.page(f.page_id)
        return f"页面“{page.title if page else f.page_id}”"

    def field(self, a, b) -> None:
        at = f"pages.{b.page_id}.fields.{b.name}"
        name = f"{self._page(self.new, b)}的填写项“{b.title}”"
        if a.page_id != b.page_id:
            self.add("flow.field_moved", at,
                     f"填写项“{b.title}”由{self._page(self.old, a)}移到{self._page(self.new, b)}", a.page_id, b.page_id)
        if a.title != b.title:
            self.add("flow.field_title_changed", at + ".title",
                     f"{self._page(self.new, b)}的填写项“{a.title}”改名为“{b.title}”", a.title, b.title)
        if a.required != b.required:
            code, word = ("flow.field_required", "改为必填") if b.required else ("flow.field_optional", "改为选填")
            self.add(code, at + ".optional", f"{name}{word}", a.required, b.required)
        if a.when != b.when:
            self.add("flow.field_condition_changed", at + ".when",
                     f"{name}的填写条件由“{self.cond(a.when)}”改为“{self.cond(b.when)}”",
                     self.cond(a.when), self.cond(b.when))
        self.options(a, b, at, name)
        for attr, word in FIELD_ATTRS.items():
            x, y = getattr(a, attr), getattr(b, attr)
            if x != y:
                self.add("flow.field_changed", f"{at}.{attr}",
                         f"{name}的{word}由“{describe_value(x)}”改为“{describe_value(y)}”", x, y)

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
                             f"{name}删除选项“{label}”（{value}）", value)
            for value, label in new.items():
                if value not in old:
                    self.add("flow.option_added", f"{at}.options.{value}",
                             f"{name}新增选项“{label}”（{value}）", None, value)
                elif old[value] != label:
                    self.add("flow.option_label_changed", f"{at}.options.{value}",
                             f"{name}的选项 {value} 的文字由“{old[value]}”改为“{label}”", old[value], label)
            if [v for v in old if v in new] != [v for v in new if v in old]:
                self.add("flow.option_order_changed", f"{at}.options", f"{name}的选项顺序有改动", list(old), list(new))
            return
        code = "flow.options_picklist_changed" if isinstance(x, str) and isinstance(y, str) else "flow.options_changed"
        self.add(code, f"{at}.options", f"{name}的选项由“{_options(x)}”改为“{_options(y)}”", x, y)


def _by_name(flow) -> dict:
    """Answers by field name (unique in a flow, may move); read-only fields per page (repeated)."""
    return {f.name if not f.readonly else f"{f.page_id}/{f.name}": f
            for p in flow.pages.values() for f in p.fields.values()}


CONFIRM_PARTS = {"title": "标题", "message": "提示文字", "confirm_label": "确认按钮", "cancel_label": "取消按钮"}


def _confirm_change(old: dict | None, new: dict | None) -> str:
    """What changed in a button's confirmation popup, old → new, in words."""
    if not old or not new:
        return "已删除" if not new else f"已新增：“{new.get('message', '')}”"
    keys = [k for k in CONFIRM_PARTS if k in old or k in new] + sorted((set(old) | set(new)) - set(CONFIRM_PARTS))
    parts = [f"{CONFIRM_PARTS.get(key, key)}由“{describe_value(old.get(key))}”改为“{describe_value(new.get(key))}”"
             for key in keys if old.get(key) != new.get(key)]
    return "：" + "；".join(parts)


def _options(value) -> str:
    if value is None:
        return "（无选项）"
    if isinstance(value, str):
        return f"选项表 {value}"
    return "[" + ", ".join(f"{o.get('label')}（{o['value']}）" for o in value) + "]"


def _review(page) -> list:
    return [(s.title, s.page, s.group, s.fields, s.edit, s.when) for s in page.review]


def diff_flows(old, new, titles: dict | None = None, types: dict | None = None) -> list[Change]:
    """Changes from FlowDef `old` to FlowDef `new`; `titles` / `types` by fact path (form.* from the flows)."""
    own = [f for v in (old, new) for p in v.pages.values() for f in p.fields.values()]
    titles = {**{f"form.{f.name}": f.title for f in own}, **(titles or {})}
    types = {**{f"form.{f.name}": f.type for f in own}, **(types or {})}
    return _Differ(old, new, titles, types).run()
