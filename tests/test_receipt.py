"""The 电子回执 after submitting: a PDF that downloads and reads back (reference, date, what was
applied for, the pickup sections the flow marks `receipt: true`, a QR code of the reference),
and a printable page."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from apptools import ROOT
from test_progress import submit


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_receipt_pdf_downloads_and_reads_back(app):
    web = submit(app)
    reference = web.journey.env.store.applications.get(web.id).reference
    r = web.client.get(f"/progress/{web.id}/receipt.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == f'attachment; filename="receipt-{reference}.pdf"'
    assert r.data.startswith(b"%PDF")
    text = _pdf_text(r.data)
    for expected in ("社会保障卡业务电子回执", reference, "受理编号", "提交日期", "社保卡申领", "领卡方式", "网点领卡",
                     web.branch.name):
        assert expected in text, (expected, text)
    assert re.search(r"20\d\d-\d\d-\d\d", text)
    drawn = PdfReader(io.BytesIO(r.data)).pages[0].get_contents().get_data()
    assert drawn.count(b" re") > 100                           # the QR code: its modules, drawn as squares


def test_printable_receipt_page_and_qr_svg(app):
    web = submit(app)
    reference = web.journey.env.store.applications.get(web.id).reference
    page = web.client.get(f"/progress/{web.id}/receipt")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and reference in html and "电子回执" in html and "网点领卡" in html
    assert f'src="/progress/{web.id}/qr.svg"' in html and "打印" in html and 'class="no-print"' in html
    assert "上传材料" not in html                               # only the sections marked receipt: true
    qr = web.client.get(f"/progress/{web.id}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    css = (ROOT / "renderers" / "html" / "static" / "app.css").read_text("utf-8")
    assert "@media print" in css and ".no-print" in css         # printed without the site's chrome
