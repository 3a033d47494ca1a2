"""The export formats (cases/export.py), read back: the case PDF with pypdf, CSV with csv,
XLSX with openpyxl; Hypothesis puts arbitrary text into every cell of each."""
from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pypdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from govflow.cases.export import case_pdf, guard, sheet_title, table_csv, table_xlsx

FIXTURE = Path(__file__).parent / "fixtures" / "case_document.json"
COLUMNS = [("reference", "受理编号"), ("name", "申请人"), ("submitted", "已提交"), ("tags", "标签"),
           ("at", "提交时间"), ("day", "日期"), ("count", "材料数")]


def document() -> dict:
    return json.loads(FIXTURE.read_text("utf-8"))


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    # table cells wrap long text: compare without the line breaks
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


# --- PDF ----------------------------------------------------------------------------------

def test_case_pdf_holds_the_case():
    data = case_pdf(document())
    assert data.startswith(b"%PDF")
    pages, text = pdf_text(data)
    assert "SB20261204000137" in text
    assert "社保卡申领" in text and "2026.11.3" in text
    assert "ID-004" in text and "《广东省社会保障卡管理办法》第五条" in text
    assert "触发" in text and "通过" in text
    assert "是否长期居住外地" in text
    assert "黄**" in text                          # masked: full is null
    assert "440106199003151234" in text            # full given (revealed)
    assert "4401**********1234" not in text
    assert "<b>& 谢谢</b>" in text                 # user markup printed as written
    assert "=HYPERLINK" in text
    assert "被退回" in text and "已送达" in text and "HRSS-2026-889120" in text
    assert "本人近期正面免冠彩色照片" in text
    assert "2026-12-04 10:30:00" in text           # export time in Shanghai time
    assert "个人信息已遮蔽" in text
    assert f"第 {pages} 页" in text


def test_masked_value_only_when_full_is_null():
    doc = document()
    doc["contents"] = [{"section": "申请人信息", "title": "姓名", "shown": "黄**", "full": None}]
    _pages, text = pdf_text(case_pdf(doc))
    assert "黄**" in text and "黄丽华" not in text
    doc["contents"][0]["full"] = "黄丽华"
    doc["exported"] = {"by": "staff", "at": "2026-12-04T10:00:00+08:00", "personal": True, "reason": "核对身份"}
    _pages, text = pdf_text(case_pdf(doc))
    assert "黄丽华" in text and "核对身份" in text


def test_long_case_takes_several_pages():
    doc = document()
    doc["evaluations"] = [copy.deepcopy(doc["evaluations"][0]) for _ in range(200)]
    doc["contents"][0]["shown"] = "很长的内容" * 400
    pages, text = pdf_text(case_pdf(doc))
    assert pages > 5
    assert "第 1 页" in text and f"第 {pages} 页" in text


def test_empty_document_still_prints():
    data = case_pdf({})
    assert data.startswith(b"%PDF")
    _pages, text = pdf_text(data)
    assert "第 1 页" in text and "（无）" in text


def _fill(value, text):
    if isinstance(value, dict):
        return {key: _fill(item, text) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, text) for item in value]
    return text if isinstance(value, str) or value is None else value


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_any_text_in_every_field_prints(text):
    doc = _fill(document(), text)
    doc["exported"]["personal"] = True
    assert case_pdf(doc).startswith(b"%PDF")


# --- CSV ----------------------------------------------------------------------------------

ROWS = [
    {"reference": "SB1", "name": "黄**", "submitted": True, "tags": ["加急", "邮寄"],
     "at": datetime(2026, 12, 4, 2, 0, tzinfo=timezone.utc), "day": date(2026, 12, 4), "count": 3},
    {"reference": "=1+1", "name": None, "submitted": False, "tags": [], "count": -2},
    {"reference": "@SUM(A1)", "name": "+86 138", "tags": ["-x"], "at": datetime(2026, 12, 4, 9, 30)},
    {"reference": "\tx", "name": "\rcmd", "count": 1.5},
]


def test_csv_reads_back():
    rows = csv_rows(table_csv(COLUMNS, ROWS))
    assert rows[0] == [title for _key, title in COLUMNS]
    assert rows[1] == ["SB1", "黄**", "是", "加急、邮寄", "2026-12-04T10:00:00+08:00", "2026-12-04", "3"]
    assert rows[2] == ["'=1+1", "", "否", "", "", "", "-2"]     # numbers stay numbers
    assert rows[3][:4] == ["'@SUM(A1)", "'+86 138", "", "'-x"]
    assert rows[3][4] == "2026-12-04T09:30:00+08:00"          # naive: Shanghai time already
    assert rows[4][:2] == ["'\tx", "'\rcmd"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=4))
def test_csv_round_trips_any_text(texts):
    columns = [(f"k{index}", text) for index, text in enumerate(texts)]
    row = {f"k{index}": text for index, text in enumerate(texts)}
    rows = csv_rows(table_csv(columns, [row]))
    expected = [guard(text) for text in texts]
    assert rows == [expected, expected]


# --- XLSX ---------------------------------------------------------------------------------

def test_xlsx_reads_back():
    ws = sheet(table_xlsx(COLUMNS, ROWS, "申请列表"))
    assert ws.title == "申请列表"
    assert [cell.value for cell in ws[1]] == [title for _key, title in COLUMNS]
    assert all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws["E2"].value == datetime(2026, 12, 4, 10, 0)       # naive Shanghai time, a real datetime
    assert ws["E4"].value == datetime(2026, 12, 4, 9, 30)
    assert ws["F2"].value == datetime(2026, 12, 4, 0, 0)        # dates read back as midnight datetimes
    assert ws["G2"].value == 3 and ws["G3"].value == -2 and ws["G5"].value == 1.5
    assert ws["C2"].value == "是" and ws["C3"].value == "否"
    assert ws["D2"].value == "加急、邮寄"
    assert ws["A3"].value == "'=1+1" and ws["A3"].data_type == "s"
    assert ws["A4"].value == "'@SUM(A1)" and ws["B4"].value == "'+86 138"
    assert ws.column_dimensions["A"].width >= 10


def test_sheet_title_is_cleaned():
    assert sheet_title("a[b]:c*d?e/f\\g") == "a b  c d e f g"
    assert len(sheet_title("很" * 50)) == 31
    assert sheet_title("[]:*") == "数据"
    assert sheet_title("'x'") == "x"
    ws = sheet(table_xlsx(COLUMNS, [], "2026/12 申请:列表?"))
    assert ws.title == "2026 12 申请 列表"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=3), st.text())
def test_xlsx_takes_any_text(texts, title):
    columns = [(f"k{index}", text) for index, text in enumerate(texts)]
    row = {f"k{index}": text for index, text in enumerate(texts)}
    ws = sheet(table_xlsx(columns, [row], title))
    expected = [guard(ILLEGAL_CHARACTERS_RE.sub("", text)) or None for text in texts]
    for line in (1, 2):
        assert [_xml_lines(cell.value) for cell in ws[line]] == [_xml_lines(value) for value in expected]


def _xml_lines(value):
    """XML reads a CR (or CR LF) back as LF: compare the text modulo that."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def test_shanghai_offset_of_other_zones():
    moment = datetime(2026, 12, 4, 0, 0, tzinfo=timezone(timedelta(hours=-5)))
    ws = sheet(table_xlsx([("at", "时间")], [{"at": moment}], "t"))
    assert ws["A2"].value == datetime(2026, 12, 4, 13, 0)
