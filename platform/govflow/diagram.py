"""A flow as a Mermaid flowchart, for policy staff and auditors (rendered by mermaid.js).

Drawn from the loaded definitions only, so the picture cannot drift from what is served.
Edge styles: `-->` a button (next, navigate, submission result), `==>` a rule that refuses
(loop: the citizen stays) or redirects to another flow, `-.->` a 【修改】 link of a review page.
"""
from __future__ import annotations

import re
from pathlib import Path

from .diffs.describe import describe_condition, fact_titles

ESCAPES = {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "[": "#91;", "]": "#93;",
           "(": "#40;", ")": "#41;", "{": "#123;", "}": "#125;", "|": "#124;", ";": "#59;", "`": "#96;"}
HANDOFF = {"applicant": "人脸核验（本人）", "guardian": "人脸核验（监护人）"}


def label(text) -> str:
    """Text safe inside a quoted Mermaid label: quotes, brackets and `#` become entity codes."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in str(text).split("\n")]
    return '"' + "<br/>".join("".join(ESCAPES.get(ch, ch) for ch in line) for line in lines) + '"'


def node_id(*parts: str | None) -> str:
    """An id Mermaid accepts whatever the page or flow is called (never the keyword `end`)."""
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", str(p)) for p in parts if p)


class _Drawing:
    def __init__(self, flow, flows: dict, rulebook, titles: dict):
        self.flow, self.flows, self.rulebook, self.titles = flow, flows, rulebook, titles
        self.nodes: dict[str, str] = {}
        self.edges: list[str] = []

    def node(self, nid: str, shape: str) -> str:
        self.nodes.setdefault(nid, f"    {nid}{shape}")
        return nid

    def page(self, page_id: str) -> str:
        page = self.flow.page(page_id)
        text = label(page.title if page else page_id)
        return self.node(node_id("p", page_id), f"([{text}])" if page and page.final else f"[{text}]")

    def other_flow(self, flow_id: str, page_id: str | None = None) -> str:
        other = self.flows.get(flow_id)
        title = other.title if other else flow_id
        page = other.page(page_id or other.start) if other else None
        text = f"{title} · {page.title}" if page_id and page else title
        return self.node(node_id("f", flow_id, page_id), f"[[{label(text)}]]")

    def edge(self, src: str, dst: str, text: str | None = None, arrow: str = "-->") -> None:
        self.edges.append(f"    {src} {arrow}|{label(text)}| {dst}" if text else f"    {src} {arrow} {dst}")

    def target(self, page, target) -> list[tuple[str, str | None]]:
        """(node, condition text) for each place a target leads to."""
        if target.branches:
            return [(self.page(b.page), describe_condition(b.when, self.titles) if b.when else None)
                    for b in target.branches]
        if target.flow:
            return [(self.other_flow(target.flow, target.page), None)]
        if target.parent:
            return [(self.other_flow(parent, target.parent), None) for parent in self.flow.launched_by]
        return [(self.page(target.page), None)]

    def action(self, page, action) -> None:
        src = self.page(page.id)
        if action.submit:
            sub = self.node(node_id("s", page.id, action.id), f"[/{label('提交 ' + action.submit)}/]")
            self.edge(src, sub, action.label)
            for dst, cond in self.target(page, action.next):
                self.edge(sub, dst, "成功" + (f"：{cond}" if cond else ""))
            self.edge(sub, self.page(action.on_failure) if action.on_failure else src,
                      "失败" if action.on_failure else "失败（停留）")
            return
        if action.verify_identity:
            hand = HANDOFF.get(action.verify_identity, f"人脸核验（{action.verify_identity}）")
            face = self.node(node_id("v", page.id, action.id), "{{" + label(hand) + "}}")
            self.edge(src, face, action.label)
            src, text = face, "核验通过"
        else:
            text = action.label
        for dst, cond in self.target(page, action.next or action.navigate):
            self.edge(src, dst, f"{text}（{cond}）" if cond else text)

    def rule_edges(self, page, sources: list[str], rulesets: list[str], when: str) -> None:
        """Refusals as one loop per page (the citizen stays), each redirect as its own edge."""
        refusals = []
        for name in rulesets:
            ruleset = self.rulebook.rulesets.get(name) if self.rulebook else None
            for rule in ruleset.rules if ruleset else []:
                if "refuse" in rule.then:
                    refusals.append(f"{rule.id} {rule.title}")
                elif "redirect" in rule.then:
                    spec = rule.then["redirect"]
                    for src in sources:
                        self.edge(src, self.other_flow(spec["flow"], spec.get("page")),
                                  f"转办（{when}）\n{rule.id} {rule.title}", "==>")
        if refusals:
            for src in sources:
                self.edge(src, src, "\n".join([f"拒绝，停留（{when}）"] + refusals), "==>")

    def launchers(self) -> None:
        """Other flows' ways in: their redirect rules and `flow:` buttons, and `parent:` links back."""
        for other in self.flows.values():
            if other.id == self.flow.id:
                continue
            for page in other.pages.values():
                for name in page.on_enter + page.checks:
                    ruleset = self.rulebook.rulesets.get(name) if self.rulebook else None
                    for rule in ruleset.rules if ruleset else []:
                        spec = rule.then.get("redirect") or {}
                        if spec.get("flow") == self.flow.id:
                            self.edge(self.other_flow(other.id, page.id), self.page(spec.get("page") or
                                      self.flow.start), f"{rule.id} {rule.title}", "==>")
                for action in page.actions:
                    for target in (action.next, action.navigate):
                        if target and target.flow == self.flow.id:
                            self.edge(self.other_flow(other.id, page.id),
                                      self.page(target.page or self.flow.start), action.label)
                        elif target and target.parent and self.flow.id in other.launched_by:
                            self.edge(self.other_flow(other.id), self.page(target.parent),
                                      f"{action.label}（返回本流程）")

    def draw(self) -> str:
        flow = self.flow
        start = self.node("start_", f"(({label('开始')}))")
        for page_id in flow.pages:
            self.page(page_id)
        self.edge(start, self.page(flow.start))
        self.launchers()
        for page in flow.pages.values():
            for action in page.actions:
                self.action(page, action)
            self.rule_edges(page, [self.page(page.id)], page.checks, "提交本页时")
            if page.on_enter:
                before = self.predecessors(page.id) or [self.page(page.id)]
                self.rule_edges(page, before, page.on_enter, f"进入“{page.title}”前")
            edits: dict[str, list[str]] = {}
            for section in page.review:
                edits.setdefault(section.edit, []).append(section.title)
            for edit, sections in edits.items():
                self.edge(self.page(page.id), self.page(edit), "修改：" + "、".join(sections), "-.->")
        finals = [node_id("p", p.id) for p in flow.pages.values() if p.final]
        lines = ["flowchart TD", f"    %% {flow.id}@{flow.version}: " + re.sub(r"\s+", " ", flow.title)]
        lines += list(self.nodes.values()) + list(dict.fromkeys(self.edges))
        lines.append("    classDef external fill:#eef,stroke:#88a")
        externals = [n for n in self.nodes if n.startswith("f_")]
        if externals:
            lines.append(f"    class {','.join(externals)} external")
        if finals:
            lines += ["    classDef final fill:#efe,stroke:#8a8", f"    class {','.join(finals)} final"]
        return "\n".join(lines) + "\n"

    def predecessors(self, page_id: str) -> list[str]:
        """Pages of this flow with a button leading to page_id (its on_enter rules run there)."""
        out = []
        for page in self.flow.pages.values():
            for action in page.actions:
                for target in (action.next, action.navigate):
                    if target and page_id in target.pages() and page.id != page_id:
                        out.append(self.page(page.id))
        return list(dict.fromkeys(out))


def flow_to_mermaid(flow, flows: dict, rulebook, titles: dict | None = None) -> str:
    """Mermaid `flowchart` text of one flow; `flows` names the other flows, `rulebook` the rules."""
    if titles is None:
        titles = {f"form.{f.name}": f.title for p in flow.pages.values() for f in p.fields.values()}
    return _Drawing(flow, flows, rulebook, titles).draw()


def diagram_command(root: Path, flow_id: str, out: Path | None) -> int:
    """`govflow diagram FLOW [--out FILE]`: the Mermaid text on stdout or into FILE."""
    from .definitions import load_definitions
    definitions, problems = load_definitions(root)
    if definitions is None:
        for p in problems:
            print(f"{p.severity}: {p}  [{p.code}]")
        return 1
    flow = definitions.flows.get(flow_id)
    if flow is None:
        print(f"unknown flow '{flow_id}' (flows: {', '.join(sorted(definitions.flows))})")
        return 1
    text = flow_to_mermaid(flow, definitions.flows, definitions.rulebook,
                           fact_titles(root, definitions.flows))
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}")
    else:
        print(text, end="")
    return 0
