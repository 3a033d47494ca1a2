"""What an access log records of whole walks holds no face hand-off token and no photo receipt
number: gunicorn's access log (ACCESS_LOG=1) and every proxy log the request line (method, path,
query string) and the Referer; the walks below go through the HTML pages (face check, receipt
photo shown and fetched, 继续办理) and the JSON API, and every request line is kept."""
from __future__ import annotations

import html
import re

from apptools import ROOT
from walkers import ADULT_INFO, ApiWalker, HtmlWalker

OWN_RECEIPT = "XP2025010316"            # 陈志明's (demo/photo_receipts.yaml)
HK_RECEIPT = "XP2024051301"             # 李嘉欣's


class AccessLog:
    """WSGI middleware writing what gunicorn's access log writes of each request: `%(r)s` (the
    request line) and `%(f)s` (the Referer)."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.lines = wsgi_app, []

    def __call__(self, environ, start_response):
        query = environ.get("QUERY_STRING")
        self.lines.append(f'"{environ["REQUEST_METHOD"]} {environ.get("PATH_INFO", "")}'
                          f'{"?" + query if query else ""} HTTP/1.1" "{environ.get("HTTP_REFERER", "-")}"')
        return self.wsgi_app(environ, start_response)


def _record_tokens(app) -> list[str]:
    face = app.extensions["govflow"].env.services.face
    tokens: list[str] = []
    start = face.start

    def recording(role, return_to):
        handoff = start(role, return_to)
        tokens.append(handoff.token)
        return handoff
    face.start = recording
    return tokens


def _images(web, html_text: str) -> None:
    """Fetch every image of a page, as the browser does."""
    for src in re.findall(r'<img [^>]*src="([^"]+)"', html_text):
        photo = web.client.get(html.unescape(src))
        assert photo.status_code == 200 and photo.data[:2] == b"\xff\xd8", src


def _html_walk_with_receipt_photo(app) -> None:
    web = HtmlWalker(app.test_client(), app)
    web.walk_to_info("mainland_adult")                           # face check; the registry's photo
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001"}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, expect=302)
    branch = web.journey.env.services.branches.search(None, "天河")[0].id
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": branch}, expect=302)
    # 【修改】 the photo on the review page: the receipt number, 【获取图片】, 【使用相片】
    receipt = {"photo_source": "receipt", "photo_receipt_number": OWN_RECEIPT, "_return_to": "confirm"}
    shown = web.post("photo", "", receipt, _preview="photo_receipt_number", expect=200).get_data(as_text=True)
    assert "_photo?ref=" in shown
    _images(web, shown)
    web.post("photo", "use_photo", receipt, expect=302)
    review = web.get("confirm").get_data(as_text=True)
    assert OWN_RECEIPT in review and "_photo?ref=" in review     # shown on the page, not in its URLs
    _images(web, review)
    # 继续办理: another face check, from the home page
    resumed = web.client.post("/resume", data={"_csrf": web._csrf()})
    face_page = resumed.headers["Location"]
    web.client.post(face_page, data={"_csrf": web._csrf(), "persona": "mainland_adult", "result": "pass"},
                    follow_redirects=True)
    assert f'data-application="{web.id}"' in web.client.get("/resume").get_data(as_text=True)


def test_no_face_token_or_receipt_number_reaches_the_access_log(app):
    log = AccessLog(app.wsgi_app)
    app.wsgi_app = log                                           # type: ignore[method-assign]
    tokens = _record_tokens(app)
    _html_walk_with_receipt_photo(app)
    ApiWalker(app.test_client(), app).walk_to_confirm("hong_kong_resident", "hk_macao_permit", HK_RECEIPT)
    assert len(tokens) == 3 and len(log.lines) > 30
    assert any("/sim/face/" in line for line in log.lines) and any("_photo?ref=" in line for line in log.lines)
    secrets = [*tokens, OWN_RECEIPT, HK_RECEIPT]
    leaked = [(secret, line) for line in log.lines for secret in secrets if secret in line]
    assert leaked == []


def test_no_url_is_built_with_a_token_or_receipt_number():
    """The walks above cover the pages they visit; this covers the code that builds URLs."""
    built = re.compile(r"url_for\([^)]*\b(receipt|token|ticket)\s*=|[?&](receipt|token)=")
    sources = [*(ROOT / "renderers/html/templates").rglob("*.html"), *(ROOT / "platform/govflow").rglob("*.py")]
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in sources for m in built.finditer(p.read_text("utf-8"))]
    assert found == []
