"""Flow diagrams (govflow.diagram): every page and transition of the shipped flows is drawn, rule
branches are labelled with the rule, 【修改】 links are dashed, and the text is well-formed Mermaid."""
from __future__ import annotations

import re

from govflow.cli import main
from govflow.definitions.model import ActionDef, FlowDef, Origin, PageDef, ReviewSection, Target
from govflow.diagram import flow_to_mermaid, label
from govflow.yamlsource import Source

EDGE = re.compile(r'^    (\w+) (-->|==>|-\.->)(?:\|"([^"]*)"\|)? (\w+)$')
NODE = re.compile(r'^    (\w+)(\(\(|\(\[|\[\[|\[/|\{\{|\[)"([^"]*)"(\)\)|\]\)|\]\]|/\]|\}\}|\])$')
PAIRS = {"(": ")", "[": "]", "{": "}"}


def parse(text: str):
    """(nodes {id: (shape, label)}, edges [(src, arrow, label, dst)]); fails on any other line."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes, edges = {}, []
    for line in lines[1:]:
        if line.strip().startswith(("%%", "classDef ", "class ")):
            continue
        if m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(3) or "", m.group(4)))
            continue
        m = NODE.match(line)
        assert m, f"not a node or an edge: {line!r}"
        assert m.group(1) not in nodes, f"node {m.group(1)} defined twice"
        assert PAIRS.get(m.group(2)[0]) == m.group(4)[-1], f"unbalanced shape: {line!r}"
        nodes[m.group(1)] = (m.group(2), m.group(3))
    for src, _, _, dst in edges:
        assert src in nodes and dst in nodes, f"edge to an undefined node: {src} -> {dst}"
    assert "end" not in nodes
    return nodes, edges


def balanced(text: str) -> bool:
    """Brackets outside the quoted labels are balanced on every line."""
    for line in text.splitlines():
        outside = re.sub(r'"[^"]*"', "", line)
        stack = []
        for ch in outside:
            if ch in PAIRS:
                stack.append(PAIRS[ch])
            elif ch in PAIRS.values():
                if not stack or stack.pop() != ch:
                    return False
        if stack:
            return False
    return True


def adult(definitions):
    flow = definitions.flows["sscard_adult"]
    return flow, flow_to_mermaid(flow, definitions.flows, definitions.rulebook)


def test_every_page_is_one_node_with_its_chinese_title(definitions):
    flow, text = adult(definitions)
    nodes, _ = parse(text)
    assert balanced(text)
    for page in flow.pages.values():
        assert nodes[f"p_{page.id}"][1] == page.title


def test_every_transition_is_an_edge(definitions):
    flow, text = adult(definitions)
    nodes, edges = parse(text)
    out = {}
    for src, arrow, text_, dst in edges:
        out.setdefault(src, []).append((arrow, text_, dst))

    def reaches(src: str, dst: str) -> bool:
        """Directly, or through the face-verification / submission node of the button."""
        for _, _, mid in out.get(src, []):
            if mid == dst or (mid[:2] in ("v_", "s_") and any(d == dst for _, _, d in out.get(mid, []))):
                return True
        return False

    checked = 0
    for page in flow.pages.values():
        for action in page.actions:
            target = action.next or action.navigate
            assert any(text_ == action.label or text_.startswith(action.label)
                       for _, text_, _ in out.get(f"p_{page.id}", [])), f"button {action.label} not drawn"
            for dst in target.pages():
                assert reaches(f"p_{page.id}", f"p_{dst}"), f"{page.id} -> {dst} ({action.label}) missing"
                checked += 1
            if target.flow:
                assert any(n.startswith(f"f_{target.flow}") for n in nodes)
            if action.on_failure:
                assert any(dst == f"p_{action.on_failure}" and "失败" in t
                           for s, _, t, dst in edges if s.startswith("s_"))
            if action.verify_identity:
                assert any(n.startswith(f"v_{page.id}_") and shape == "{{" for n, (shape, _) in nodes.items())
    assert checked >= len(flow.pages) - 1


def test_eligibility_redirect_to_cleanup_is_a_labelled_decision_edge(definitions):
    flow, text = adult(definitions)
    _, edges = parse(text)
    rule = next(r for rs in definitions.rulebook.rulesets.values() for r in rs.rules if r.id == "ELIG-001")
    page = next(p for p in flow.pages.values() if any(r.id == "ELIG-001" for name in p.checks
                                                      for r in definitions.rulebook.rulesets[name].rules))
    found = [e for e in edges if e[0] == f"p_{page.id}" and e[3] == "f_cleanup"]
    assert found and found[0][1] == "==>"
    assert "ELIG-001" in found[0][2] and rule.title in found[0][2]
    # a refusing rule (PRE-001, run before eligibility is entered) keeps the citizen where they are
    assert any(src == dst and arrow == "==>" and "PRE-001" in t for src, arrow, t, dst in edges)
    # and the cleanup flow leads back (its `parent:` buttons)
    assert any(src == "f_cleanup" and dst == f"p_{page.id}" for src, _, _, dst in edges)


def test_edit_links_of_the_review_page_are_dashed_and_nothing_else_is(definitions):
    flow, text = adult(definitions)
    _, edges = parse(text)
    dashed = {(src, dst) for src, arrow, _, dst in edges if arrow == "-.->"}
    expected = {(f"p_{p.id}", f"p_{s.edit}") for p in flow.pages.values() for s in p.review}
    assert expected and dashed == expected
    assert all(t.startswith("修改") for _, arrow, t, _ in edges if arrow == "-.->")


def test_cleanup_diagram_shows_how_it_is_opened_and_the_way_back(definitions):
    flow = definitions.flows["cleanup"]
    nodes, edges = parse(flow_to_mermaid(flow, definitions.flows, definitions.rulebook))
    assert any(dst == f"p_{flow.start}" and "ELIG-001" in t for src, _, t, dst in edges if src.startswith("f_"))
    parents = {dst for src, _, _, dst in edges if src.startswith("p_") and dst.startswith("f_sscard_adult")}
    assert "f_sscard_adult_eligibility" in parents
    assert nodes["f_sscard_adult_eligibility"][0] == "[["


def test_quotes_and_brackets_in_titles_are_escaped():
    origin = Origin(Source(file="x.yaml", data={}), ())
    nasty = 'A "quoted" [page] (1) {x} | #5; <b>'
    pages = {
        "a-b": PageDef(id="a-b", title=nasty, origin=origin,
                       actions=[ActionDef(id="go", label='按 "这里" [下一步]', origin=origin,
                                          next=Target(page="end"))]),
        "end": PageDef(id="end", title="结束", origin=origin, final=True,
                       review=[ReviewSection(title='个人"信息"', edit="a-b", origin=origin)],
                       actions=[ActionDef(id="back", label="返回", origin=origin, navigate=Target(page="a-b"))]),
    }
    flow = FlowDef(id="x", title="X", start="a-b", origin=origin, version="0", files=[], pages=pages)
    text = flow_to_mermaid(flow, {"x": flow}, None)
    nodes, edges = parse(text)
    assert balanced(text)
    assert "end" not in nodes and "p_end" in nodes and "p_a_b" in nodes
    assert '"' not in nodes["p_a_b"][1] and "#quot;" in nodes["p_a_b"][1] and "#91;" in nodes["p_a_b"][1]
    assert ("p_end", "-.->", "修改：个人#quot;信息#quot;", "p_a_b") in edges
    assert label("a\nb") == '"a<br/>b"'


def test_cli_writes_the_diagram(tmp_path, capsys):
    out = tmp_path / "adult.mmd"
    assert main(["diagram", "sscard_adult", "--out", str(out)]) == 0
    parse(out.read_text(encoding="utf-8"))
    assert main(["diagram", "cleanup"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "flowchart TD"
    assert main(["diagram", "no_such_flow"]) == 1
