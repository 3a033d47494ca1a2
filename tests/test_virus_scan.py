"""Issue 11, part 5: every upload is scanned by a real ClamAV daemon (clamdaemon.py starts one with the
EICAR test signature) before it is accepted: EICAR is refused, also when appended to a valid JPEG
that Pillow would take; a clean photo is accepted; a scanner that is down or silent refuses the
upload with 暂时无法上传，请稍后再试 and nothing is stored."""
from __future__ import annotations

import io
import logging
import socket

import pytest
from PIL import Image

from apptools import make_app
from clamdaemon import EICAR, SIGNATURE
from govflow import catalog
from govflow.services import ServiceConfigError
from govflow.services.scanning import ClamdScanner, NoScanner, build_scanner
from govflow.store.imaging import Limits, clean_image
from walkers import ApiWalker, HtmlWalker, jpeg


def jpeg_with_eicar() -> bytes:
    return jpeg() + EICAR


def nothing_stored(app, app_id) -> bool:
    store = app.extensions["govflow"].env.store
    return store.uploads.for_application(app_id) == [] and \
        not [p for p in store.uploads.dir.iterdir() if p.is_file()]


def post_file(api, slot, data, name="photo.jpg"):
    return api.client.post(f"/api/v1/applications/{api.id}/uploads", headers=api.headers,
                           data={"slot": slot, "file": (io.BytesIO(data), name)})


def on_upload_page(app) -> ApiWalker:
    api = ApiWalker(app.test_client(), app)
    api.create()
    assert api.verify("mainland_adult")["page"] == "eligibility"
    assert api.eligibility()["page"] == "upload"
    return api


@pytest.fixture
def scanned(tmp_path, definitions, clamd):
    app = make_app(tmp_path, definitions, CLAMD_SOCKET=str(clamd.socket))
    assert app.extensions["govflow"].env.services.scanner.name == "clamd"
    yield app
    app.extensions["govflow"].env.store.close()


def test_the_real_clamd_knows_eicar(clamd):
    scanner = ClamdScanner(str(clamd.socket))
    assert scanner.ping()
    found = scanner.scan(EICAR)
    assert not found.clean and found.signature and SIGNATURE in found.signature
    assert scanner.scan(jpeg()).clean


def test_eicar_is_refused_over_the_api_and_nothing_is_stored(scanned, caplog):
    api = on_upload_page(scanned)
    with caplog.at_level(logging.WARNING, logger="govflow.uploads"):
        r = post_file(api, "id_card_emblem", EICAR, "eicar.jpg")
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.get_json()["errors"][0] == {"path": "id_card_emblem", "code": "upload.infected",
                                         "message": catalog.text("upload.infected")}
    assert nothing_stored(scanned, api.id)
    logged = [rec.getMessage() for rec in caplog.records if rec.name == "govflow.uploads"]
    assert any(SIGNATURE in m for m in logged)
    person = scanned.extensions["govflow"].env.store.applications.get(api.id).context["identity"]
    assert not any(person["id_number"] in m or person["name"] in m for m in logged)


def test_eicar_appended_to_a_valid_jpeg_is_refused_by_the_scanner(scanned):
    data = jpeg_with_eicar()
    assert clean_image(data, Limits()).width == 640          # Pillow alone would take it
    api = on_upload_page(scanned)
    r = post_file(api, "id_card_emblem", data)
    assert r.status_code == 422 and r.get_json()["errors"][0]["code"] == "upload.infected"
    assert nothing_stored(scanned, api.id)


def test_eicar_on_the_html_page_is_a_field_error_and_nothing_is_stored(scanned):
    web = html_on_upload_page(scanned)
    web.post("upload", "next", {"document_set": "id_card"},
             files={"id_card_emblem": jpeg_with_eicar(), "id_card_portrait": EICAR}, expect=422)
    assert ("id_card_emblem", "upload.infected") in web.errors()
    assert ("id_card_portrait", "upload.infected") in web.errors()
    assert catalog.text("upload.infected") in web.text()
    assert nothing_stored(scanned, web.id)


def test_a_clean_photo_is_accepted_after_the_scan(scanned):
    api = on_upload_page(scanned)
    assert post_file(api, "id_card_emblem", jpeg()).status_code == 201
    assert api.act("upload", "next", {"document_set": "id_card", "id_card_emblem": api.upload("id_card_emblem"),
                                      "id_card_portrait": api.upload("id_card_portrait")})["page"] == "photo"


def html_on_upload_page(app) -> HtmlWalker:
    """The same citizen through the HTML pages, on 上传材料."""
    web = HtmlWalker(app.test_client(), app)
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    return web


@pytest.fixture
def scanner_down(tmp_path, definitions):
    app = make_app(tmp_path, definitions, CLAMD_SOCKET=str(tmp_path / "no-clamd-here.sock"))
    yield app
    app.extensions["govflow"].env.store.close()


def test_scanner_down_refuses_the_upload_and_stores_nothing_api(scanner_down):
    api = on_upload_page(scanner_down)
    r = post_file(api, "id_card_emblem", jpeg())
    assert r.status_code == 503 and r.headers["Retry-After"]
    error = r.get_json()["errors"][0]
    assert error["code"] == "upload.scanner_unavailable" and error["message"] == "暂时无法上传，请稍后再试"
    assert nothing_stored(scanner_down, api.id)


def test_scanner_down_refuses_the_upload_and_stores_nothing_html(scanner_down):
    web = html_on_upload_page(scanner_down)
    web.post("upload", "next", {"document_set": "id_card"},
             files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}, expect=422)
    assert ("id_card_emblem", "upload.scanner_unavailable") in web.errors()
    assert "暂时无法上传，请稍后再试" in web.text() and 'value="id_card" checked' in web.text()
    assert nothing_stored(scanner_down, web.id)


def test_a_scanner_that_does_not_answer_in_time_refuses(tmp_path, definitions):
    path = tmp_path / "silent.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.bind(str(path))
        silent.listen(8)                             # accepts connections, never answers
        app = make_app(tmp_path, definitions, CLAMD_SOCKET=str(path), CLAMD_TIMEOUT_SECONDS=0.5)
        try:
            api = on_upload_page(app)
            r = post_file(api, "id_card_emblem", jpeg())
            assert r.status_code == 503 and r.get_json()["errors"][0]["code"] == "upload.scanner_unavailable"
            assert nothing_stored(app, api.id)
        finally:
            app.extensions["govflow"].env.store.close()


def test_simulator_mode_without_clamd_says_files_are_not_scanned(caplog):
    with caplog.at_level(logging.WARNING, logger="govflow.scanner"):
        scanner = build_scanner({}, simulated=True)
    assert isinstance(scanner, NoScanner)
    assert any("NOT scanned" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_real_services_never_run_without_a_scanner():
    with pytest.raises(ServiceConfigError):
        build_scanner({}, simulated=False)
    assert isinstance(build_scanner({"CLAMD_HOST": "127.0.0.1", "CLAMD_PORT": 1}, simulated=False), ClamdScanner)


def test_tcp_clamd_that_is_not_listening_is_unavailable():
    from govflow.services import ServiceError
    with socket.socket() as probe:                   # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServiceError) as refused:
        ClamdScanner(host="127.0.0.1", port=port, timeout=2).scan(b"x")
    assert refused.value.code == "scanner.unavailable"


def test_eicar_is_checked_before_the_image(scanned):
    """EICAR is no image: refused as infected, not as 'not an image' (the scan comes first)."""
    api = on_upload_page(scanned)
    r = post_file(api, "id_card_emblem", EICAR)
    assert r.get_json()["errors"][0]["code"] == "upload.infected"
    out = io.BytesIO()
    Image.new("RGB", (300, 300)).save(out, "GIF")
    assert post_file(api, "id_card_emblem", out.getvalue()).get_json()["errors"][0]["code"] == "upload.not_image"
