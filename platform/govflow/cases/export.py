"""Exports, as pure functions: one case as a PDF for the file, and any table as CSV or XLSX.

- `case_pdf(doc)` lays out the case document (cases/document.py) with ReportLab's platypus on
  A4: header, answers, uploads (a list, no images), the page path, every rule evaluation,
  the submissions and who exported it when. Chinese renders with ReportLab's built-in CID
  font STSong-Light (the viewer supplies the glyphs), so no font file is needed and the text
  can be extracted again. Answers are the masked `shown` unless the document carries `full`
  (revealed with a recorded reason).
- `table_csv(columns, rows)` and `table_xlsx(columns, rows, title)` take (key, Chinese title)
  columns and dict rows. Text beginning with = + - @ or a tab/CR gets a leading single quote
  (OWASP, CSV injection), so a spreadsheet never runs it as a formula.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..catalog import text as msg
from ..formats import SHANGHAI

Columns = list[tuple[str, str]]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31
_WIDTH_MIN, _WIDTH_MAX = 6, 60


def guard(value: str) -> str:
    """The text with a leading ' when a spreadsheet would read it as a formula (OWASP)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _local(moment: datetime) -> datetime:
    """An aware time in Asia/Shanghai; a naive one is taken to be Shanghai time already."""
    return moment.astimezone(SHANGHAI) if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def cell_text(value: Any) -> str:
    """One value as text: "" for None, ISO for dates and times, 是/否, lists joined by 、."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return msg("staff.export.yes") if value else msg("staff.export.no")
    if isinstance(value, datetime):
        return _local(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return msg("staff.export.list_separator").join(cell_text(item) for item in value)
    return str(value)


def table_csv(columns: Columns, rows: Iterable[dict]) -> bytes:
    """The rows as CSV, UTF-8 with a BOM (Excel then reads the Chinese correctly)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([guard(title) for _key, title in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key, _title in columns])
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any) -> str:
    text = cell_text(value)
    return text if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else guard(text)


def sheet_title(title: str) -> str:
    """A title Excel accepts: no []:*?/\\ or control characters, at most 31 characters."""
    cleaned = _SHEET_BAD.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", title)).strip().strip("'").strip()
    return cleaned[:_SHEET_MAX].strip() or msg("staff.export.sheet")


def _xlsx_cell(value: Any) -> Any:
    """A value openpyxl writes as itself: numbers, naive Shanghai datetimes, dates, or safe text."""
    if isinstance(value, bool) or value is None:
        return cell_text(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return _local(value).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return guard(ILLEGAL_CHARACTERS_RE.sub("", cell_text(value)))


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    text = str(value)
    longest = max(text.splitlines() or [""], key=len)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in longest)


def table_xlsx(columns: Columns, rows: Iterable[dict], title: str) -> bytes:
    """The rows as an XLSX workbook: a bold, frozen header row, widths from the content."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title(title)
    sheet.append([_xlsx_cell(column_title) for _key, column_title in columns])
    widths = [_width(column_title) for _key, column_title in columns]
    for row in rows:
        values = [_xlsx_cell(row.get(key)) for key, _title in columns]
        sheet.append(values)
        widths = [max(width, _width(value)) for width, value in zip(widths, values, strict=True)]
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, _WIDTH_MIN), _WIDTH_MAX)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the case PDF -------------------------------------------------------------------------

_FONT = "STSong-Light"


@lru_cache(maxsize=1)
def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=8),
        "section": ParagraphStyle("section", parent=body, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4),
        "sub": ParagraphStyle("sub", parent=body, fontSize=9.5, leading=13, spaceBefore=6, spaceAfter=2),
        "body": body,
    }


def pdf_text(value: Any) -> str:
    """Text as safe Paragraph markup: escaped, control characters gone, line breaks kept."""
    from xml.sax.saxutils import escape

    text = "".join(char for char in cell_text(value)
                   if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cs", "Co", "Cn"))
    return escape(text).replace("\t", " ").replace("\n", "<br/>")


def when(value: Any) -> str:
    """An ISO time as Shanghai wall time (2026-12-04 10:00:00); anything else as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M:%S")
    return cell_text(value)


def case_pdf(doc: dict) -> bytes:
    """The case document as an A4 PDF for the file (see the module docstring)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    from .export_pdf import footer_painter, story

    out = io.BytesIO()
    page = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                             bottomMargin=18 * mm, title=msg("staff.export.title", flow=flow_title(doc)),
                             author=cell_text((doc.get("exported") or {}).get("by")))
    paint = footer_painter(_footer(doc), _FONT)
    page.build(story(doc, page.width, _styles()), onFirstPage=paint, onLaterPages=paint)
    return out.getvalue()


def flow_title(doc: dict) -> str:
    flow = doc.get("flow") or {}
    return cell_text(flow.get("title") or flow.get("id") or doc.get("bundle") or "")


def _footer(doc: dict) -> str:
    exported = doc.get("exported") or {}
    return msg("staff.export.footer", by=cell_text(exported.get("by")), at=when(exported.get("at")))
