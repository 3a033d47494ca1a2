"""办件进度 and the 电子回执 as data, and the receipt as a PDF and its QR code as SVG.

`progress_view` is one accepted application as the status page shows it: the steps of its
status operation's `statuses` (the final ones as one step, "已寄出/可领取", until one is
reached), the reported branch or parcel number with the titles the connector gives them.
`receipt_view` adds the review sections the flow marks `receipt: true` (flow-format.md).
The PDF (ReportLab, its built-in CID font prints Chinese with no font file) holds the
reference, the date, what was applied for, those sections and a QR code of the reference.
"""
from __future__ import annotations

import io
from typing import Any

from ..catalog import text as msg
from ..formats import SHANGHAI
from .views import page_view

_FONT = "STSong-Light"


def progress_view(journey, app, progress) -> dict:
    env = journey.env
    flow = env.flows.get(app.flow_id)
    operation = env.connectors.catalog.operations.get(progress.operation) if progress is not None else None
    view: dict[str, Any] = {"id": app.id, "reference": app.reference, "flow": flow.title if flow else app.flow_id,
                            "steps": [], "report": [], "status": None,
                            "accepted": _date(progress.accepted_at if progress else app.updated_at)}
    if operation is None or progress is None:
        return view
    statuses = list(operation.statuses.values())
    current = operation.statuses.get(progress.status)
    view["status"] = current.title if current else progress.status
    plain = [s for s in statuses if not s.final]
    final = [s for s in statuses if s.final]
    reached = plain.index(current) if current in plain else len(plain)
    steps = [{"title": s.title, "state": "done" if i < reached else "current" if i == reached else "todo"}
             for i, s in enumerate(plain)]
    if final:
        last = current if current in final else None
        steps.append({"title": last.title if last else "/".join(s.title for s in final),
                      "state": "current" if last else "todo"})
    view["steps"] = steps
    shown = journey.deliverer.progress.shown(progress.report)
    view["report"] = [{"title": (operation.response[name].title if name in operation.response else None) or name,
                       "value": value} for name, value in shown.items()]
    return view


def receipt_view(journey, app, progress) -> dict:
    view = progress_view(journey, app, progress)
    draft = journey.draft(app)
    sections = []
    for page in draft.flow.pages.values():
        if any(s.receipt for s in page.review):
            sections += [s for s in page_view(draft, page.id)["review"] if s.get("receipt")]
    view["sections"] = [{"title": s["title"], "items": [{"title": i["title"], "display": str(i["display"])}
                                                        for i in s["items"]]}
                        for s in sections if s["items"]]
    return view


def _date(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d") if moment is not None else ""


def qr_drawing(text: str, size: float):
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(text)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def qr_svg(text: str, size: float = 160) -> str:
    from reportlab.graphics import renderSVG
    return renderSVG.drawToString(qr_drawing(text, size))


def receipt_pdf(view: dict) -> bytes:
    """The 电子回执: an A4 page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ..cases.export import pdf_text

    pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    body = ParagraphStyle("receipt", fontName=_FONT, fontSize=11, leading=16, wordWrap="CJK")
    title = ParagraphStyle("receipt-title", parent=body, fontSize=18, leading=26, spaceAfter=10)
    head = ParagraphStyle("receipt-section", parent=body, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=msg("receipt.title"))
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.93, 0.93, 0.93))])

    def pairs(rows: list[tuple[str, str]]) -> Table:
        table = Table([[Paragraph(pdf_text(k), body), Paragraph(pdf_text(v), body)] for k, v in rows],
                      colWidths=[doc.width * 0.3, doc.width * 0.7])
        table.setStyle(grid)
        return table

    story: list = [Paragraph(pdf_text(msg("receipt.title")), title),
                   pairs([(msg("receipt.reference"), view["reference"] or ""), (msg("receipt.date"), view["accepted"]),
                          (msg("receipt.applied_for"), view["flow"]), (msg("progress.status"), view["status"] or "")])]
    for section in view.get("sections") or []:
        story += [Paragraph(pdf_text(section["title"]), head),
                  pairs([(i["title"], i["display"]) for i in section["items"]])]
    story += [Spacer(1, 8 * mm), qr_drawing(view["reference"] or "", 40 * mm),
              Paragraph(pdf_text(msg("receipt.qr_note")), body)]
    doc.build(story)
    return out.getvalue()
