"""The case PDF's content (export.case_pdf): a platypus story built from the case document.

Every text from the document goes through export.pdf_text (escaped Paragraph markup), so an
answer containing < & > prints as written. Tables hold Paragraphs, which wrap long text, and
repeat their header row on each page. Keys the document lacks are simply left out.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Paragraph, Table, TableStyle

from ..catalog import text as msg
from .export import cell_text, flow_title, pdf_text, when

_GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
])
_PAIRS = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.92, 0.92, 0.92)),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


def footer_painter(footer: str, font: str) -> Callable[[Any, Any], None]:
    """A page callback drawing the export line on the left and 第 N 页 on the right."""
    plain = "".join(char for char in footer if unicodedata.category(char) not in ("Cc", "Cs", "Co", "Cn"))

    def paint(canvas, page) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawString(page.leftMargin, page.bottomMargin / 2, plain[:80])
        canvas.drawRightString(page.leftMargin + page.width, page.bottomMargin / 2,
                               msg("staff.export.page", n=canvas.getPageNumber()))
        canvas.restoreState()
    return paint


def story(doc: dict, width: float, styles: dict[str, Any]) -> list:
    """The flowables of the whole case, in reading order."""
    parts: list = [Paragraph(pdf_text(msg("staff.export.title", flow=flow_title(doc))), styles["title"])]
    parts.append(_pairs(_header(doc), width, styles))
    sections: list[tuple[str, list]] = [
        ("contents", _contents(doc, width, styles)),
        ("uploads", _uploads(doc, width, styles)),
        ("path", _path(doc, width, styles)),
        ("evaluations", _evaluations(doc, width, styles)),
        ("submissions", _submissions(doc, width, styles)),
        ("files", _files(doc, width, styles)),
        ("export", [Paragraph(pdf_text(_export_line(doc)), styles["body"])]),
    ]
    for name, flowables in sections:
        parts.append(Paragraph(pdf_text(msg(f"staff.export.section.{name}")), styles["section"]))
        parts.extend(flowables or [Paragraph(pdf_text(msg("staff.export.none")), styles["body"])])
    return parts


def _header(doc: dict) -> list[tuple[str, str]]:
    flow = doc.get("flow") or {}
    flow_line = " ".join(cell_text(part) for part in (flow.get("title") or flow.get("id"), flow.get("version"))
                         if part)
    rule_versions = "\n".join(f"{cell_text(name)} {cell_text(version)}"
                              for name, version in (doc.get("rule_versions") or {}).items())
    pairs = [
        ("reference", cell_text(doc.get("reference"))),
        ("id", cell_text(doc.get("id"))),
        ("flow", flow_line),
        ("status", cell_text(doc.get("status_title") or doc.get("status"))),
        ("created_at", when(doc.get("created_at"))),
        ("updated_at", when(doc.get("updated_at"))),
        ("bundle", cell_text(doc.get("bundle"))),
        ("rule_versions", rule_versions),
        ("parent", cell_text(doc.get("parent_id"))),
    ]
    return [(msg(f"staff.export.head.{key}"), value) for key, value in pairs if value]


def _pairs(pairs: list[tuple[str, str]], width: float, styles: dict[str, Any]) -> Table:
    body = styles["body"]
    table = Table([[Paragraph(pdf_text(label), body), Paragraph(pdf_text(value), body)] for label, value in pairs]
                  or [["", ""]], colWidths=[width * 0.22, width * 0.78], splitInRow=1)
    table.setStyle(_PAIRS)
    return table


def _table(titles: list[str], rows: list[list[Any]], shares: list[float], width: float,
           styles: dict[str, Any]) -> list:
    """A wrapped table (header row repeated on each page), or nothing when there are no rows."""
    if not rows:
        return []
    body = styles["body"]
    data = [[Paragraph(pdf_text(msg(f"staff.export.col.{title}")), body) for title in titles]]
    data += [[Paragraph(pdf_text(value), body) for value in row] for row in rows]
    total = sum(shares)
    table = Table(data, colWidths=[width * share / total for share in shares], repeatRows=1,
                  splitInRow=1)   # a cell longer than a page continues on the next
    table.setStyle(_GRID)
    return [table]


def _contents(doc: dict, width: float, styles: dict[str, Any]) -> list:
    rows = []
    last_section = None
    for item in doc.get("contents") or []:
        section = cell_text(item.get("section"))
        value = item.get("full") if item.get("full") is not None else item.get("shown")
        rows.append([section if section != last_section else "", item.get("title") or item.get("key"), value])
        last_section = section
    return _table(["section", "field", "value"], rows, [2, 2.5, 5], width, styles)


def _uploads(doc: dict, width: float, styles: dict[str, Any]) -> list:
    rows = []
    for item in doc.get("uploads") or []:
        size = item.get("size")
        dimensions = f"{item['width']}×{item['height']}" if item.get("width") and item.get("height") else ""
        rows.append([item.get("title") or item.get("slot"), item.get("content_type"),
                     msg("staff.export.bytes", size=size) if size is not None else "", dimensions,
                     when(item.get("created_at"))])
    return _table(["title", "type", "size", "dimensions", "at"], rows, [3, 2, 1.6, 1.6, 2.4], width, styles)


def _path(doc: dict, width: float, styles: dict[str, Any]) -> list:
    rows = [[when(step.get("at")), step.get("page_title") or step.get("page"),
             step.get("action_title") or step.get("action"), step.get("status_title") or step.get("status"),
             step.get("to_page_title") or step.get("to_page")] for step in doc.get("path") or []]
    return _table(["at", "page", "action", "result", "to_page"], rows, [2.4, 2.5, 2, 1.6, 2.5], width, styles)


def _evaluations(doc: dict, width: float, styles: dict[str, Any]) -> list:
    parts: list = []
    for evaluation in doc.get("evaluations") or []:
        line = msg("staff.export.evaluation", at=when(evaluation.get("at")),
                   step=cell_text(evaluation.get("step_title") or evaluation.get("step")),
                   ruleset=cell_text(evaluation.get("ruleset_title") or evaluation.get("ruleset")),
                   version=cell_text(evaluation.get("version")), file=cell_text(evaluation.get("file")))
        parts.append(Paragraph(pdf_text(line.strip()), styles["sub"]))
        rows = [_rule_row(rule) for rule in evaluation.get("rules") or []]
        parts.extend(_table(["rule", "result", "title", "basis", "facts"], rows, [1.4, 2, 2.6, 2.4, 3.6],
                            width, styles))
    return parts


def _rule_row(rule: dict) -> list[str]:
    result = msg("staff.export.rule.fired") if rule.get("fired") else msg("staff.export.rule.passed")
    if rule.get("outcome"):
        result += "\n" + cell_text(rule["outcome"])
    facts = "\n".join(f"{cell_text(fact.get('title') or fact.get('path'))}：{cell_text(fact.get('value'))}"
                      for fact in rule.get("facts") or [])
    return [cell_text(rule.get("id")), result, cell_text(rule.get("title")), cell_text(rule.get("basis")), facts]


def _submissions(doc: dict, width: float, styles: dict[str, Any]) -> list:
    rows = [[when(item.get("at")), item.get("operation"), _attempt(item),
             item.get("status_title") or item.get("status"),
             " ".join(cell_text(part) for part in (item.get("reason_code"), item.get("reason")) if part),
             item.get("reference")] for item in doc.get("submissions") or []]
    return _table(["at", "operation", "attempt", "status", "reason", "reference"], rows, [2.4, 2, 1, 1.4, 3, 2],
                  width, styles)


def _attempt(item: dict) -> str:
    """The submission's number, and which try of its delivery an answer was (when the document says)."""
    attempt = cell_text(item.get("attempt"))
    return f"{attempt}（{msg('staff.case.try', n=item['try'])}）" if item.get("try") else attempt


def _files(doc: dict, width: float, styles: dict[str, Any]) -> list:
    rows = [[item.get("name"), item.get("url")] for item in doc.get("files") or []]
    return _table(["file", "url"], rows, [1, 1.6], width, styles)


def _export_line(doc: dict) -> str:
    exported = doc.get("exported") or {}
    line = msg("staff.export.line", by=cell_text(exported.get("by")), at=when(exported.get("at")))
    if exported.get("personal"):
        return line + msg("staff.export.line_personal", reason=cell_text(exported.get("reason")))
    return line + msg("staff.export.line_masked")
