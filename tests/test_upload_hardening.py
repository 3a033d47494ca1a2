"""Issue 11, uploads: decompression bombs, slot names, identity first, a quota, one file per slot,
orphans purged, files served with nosniff and a server-chosen name, and the size limits (a file
too large is a field error with the form kept; a request too large a Chinese page or 413 problem+json)."""
from __future__ import annotations

import io
import warnings
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from apptools import Clock, make_app
from govflow import catalog
from govflow.store import Limits, open_store
from govflow.store.models import UploadRow
from govflow.store.records import Refusal, utcnow
from govflow.store.retention import Retention, purge
from walkers import ApiWalker, HtmlWalker, jpeg

MB = 1024 * 1024


def bomb_png(side=6000) -> bytes:
    """The issue's file: a 6000×6000 PNG of a few KB (one bit per pixel, all zero)."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def uploads_of(journey, app_id) -> list:
    return journey.env.store.uploads.for_application(app_id)


def files(journey) -> list[str]:
    return sorted(p.name for p in journey.env.store.uploads.dir.iterdir() if p.is_file())


def post_file(api, slot, data, name="photo.jpg"):
    return api.client.post(f"/api/v1/applications/{api.id}/uploads", headers=api.headers,
                           data={"slot": slot, "file": (io.BytesIO(data), name)})


@pytest.fixture
def on_upload_page(api):
    """An API application standing on 上传材料 (face-verified, eligibility passed)."""
    api.create()
    assert api.verify("mainland_adult")["page"] == "eligibility"
    assert api.eligibility()["page"] == "upload"
    return api


# -- decompression bombs ----------------------------------------------------------------------

def test_6000_by_6000_png_is_refused_from_its_header(store):
    data = bomb_png()
    assert len(data) < 10_000                      # 4.4 KB in the issue
    app_id = store.applications.create("sscard_adult", "o", "v", {}).id
    refused = store.uploads.save(app_id, "s", data, "bomb.png")
    assert isinstance(refused, Refusal) and refused.code == "upload.too_many_pixels"
    assert Limits().max_pixels == 25_000_000 and store.uploads.for_application(app_id) == []


def test_6000_by_6000_png_is_refused_over_the_api(on_upload_page, app):
    r = post_file(on_upload_page, "id_card_emblem", bomb_png(), "bomb.png")
    assert r.status_code == 422 and r.get_json()["errors"][0]["code"] == "upload.too_many_pixels"
    assert uploads_of(app.extensions["govflow"], on_upload_page.id) == []


def test_pillows_decompression_bomb_guard_is_an_error_not_a_warning(tmp_path, monkeypatch, definitions):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)      # Pillow's own guard, lowered
    s = open_store("sqlite://", tmp_path / "up", b"x" * 32, keyring=__import__("apptools").KEYRING,
                   upload_limits=Limits(max_pixels=500_000_000))   # our cap out of the way
    try:
        app_id = s.applications.create("f", "o", "v", {}).id
        out = io.BytesIO()
        Image.new("L", (1500, 1000), 0).save(out, "PNG")
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("default")
            refused = s.uploads.save(app_id, "s", out.getvalue(), "x.png")
        assert isinstance(refused, Refusal) and refused.code == "upload.too_many_pixels"
        assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
    finally:
        s.close()


def test_a_big_jpeg_is_decoded_at_a_reduced_scale_and_still_downscaled(store):
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), (200, 100, 50)).save(out, "JPEG", quality=80)
    app_id = store.applications.create("sscard_adult", "o", "v", {}).id
    saved = store.uploads.save(app_id, "s", out.getvalue(), "big.jpg")
    assert (saved.width, saved.height) == (2400, 1600)


# -- slots, identity, quota ---------------------------------------------------------------------

def test_a_slot_must_be_an_upload_field_of_an_open_page(on_upload_page, app):
    journey = app.extensions["govflow"]
    for slot in ("../../etc/passwd", "", "issuing_city", "photo_source", "nope"):
        r = post_file(on_upload_page, slot, jpeg())
        assert r.status_code == 422, (slot, r.get_json())
        assert r.mimetype == "application/problem+json"
        assert r.get_json()["errors"][0] == {"path": "slot", "code": "upload.unknown_slot",
                                             "message": catalog.text("upload.unknown_slot")}
    assert uploads_of(journey, on_upload_page.id) == [] and files(journey) == []
    assert post_file(on_upload_page, "id_card_emblem", jpeg()).status_code == 201


def test_a_slot_of_a_page_not_yet_open_is_refused(api, app):
    api.create()
    api.verify("mainland_adult")                    # on 申领资格校验: 上传材料 is not open yet
    r = post_file(api, "id_card_emblem", jpeg())
    assert r.status_code == 422 and r.get_json()["errors"][0]["code"] == "upload.unknown_slot"


def test_no_upload_before_identity_verification_api(api, app):
    api.create()
    r = post_file(api, "id_card_emblem", jpeg())
    assert r.status_code == 409 and r.get_json()["errors"][0]["code"] == "upload.not_verified"
    assert uploads_of(app.extensions["govflow"], api.id) == []


def test_no_upload_before_identity_verification_html(client, app):
    web = HtmlWalker(client, app)
    web.start()
    web.post("upload", "next", {"document_set": "id_card"},
             files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()})
    assert web.last.status_code in (302, 409, 422)
    journey = app.extensions["govflow"]
    assert uploads_of(journey, web.id) == [] and files(journey) == []


def test_quota_of_files_per_application(tmp_path, definitions):
    app = make_app(tmp_path, definitions, UPLOAD_MAX_FILES=1)
    api = ApiWalker(app.test_client(), app)
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    assert post_file(api, "id_card_emblem", jpeg()).status_code == 201
    assert post_file(api, "id_card_emblem", jpeg()).status_code == 201        # replacing is no new file
    r = post_file(api, "id_card_portrait", jpeg())
    assert r.status_code == 409 and r.get_json()["errors"][0]["code"] == "upload.quota_files"
    assert len(uploads_of(app.extensions["govflow"], api.id)) == 1
    app.extensions["govflow"].env.store.close()


def test_quota_of_bytes_per_application(tmp_path, definitions):
    app = make_app(tmp_path, definitions, UPLOAD_QUOTA_MB=0.01)               # about 10 KB
    api = ApiWalker(app.test_client(), app)
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    noisy = io.BytesIO()
    Image.effect_noise((640, 400), 90).convert("RGB").save(noisy, "JPEG", quality=95)
    r = post_file(api, "id_card_emblem", noisy.getvalue())
    assert r.status_code == 409 and r.get_json()["errors"][0]["code"] == "upload.quota_bytes"
    assert uploads_of(app.extensions["govflow"], api.id) == []
    app.extensions["govflow"].env.store.close()


# -- one file per slot ----------------------------------------------------------------------------

def test_replacing_a_slot_replaces_its_file_and_the_answer_follows(on_upload_page, app):
    journey, api = app.extensions["govflow"], on_upload_page
    assert api.upload_page()["page"] == "photo"
    emblem = journey.env.store.applications.get(api.id).answers["upload"]["id_card_emblem"]
    assert len(files(journey)) == 2
    again = api.upload("id_card_emblem")                  # 【修改】 the emblem side
    rows = uploads_of(journey, api.id)
    assert sorted(u.slot for u in rows) == ["id_card_emblem", "id_card_portrait"] and len(files(journey)) == 2
    assert emblem not in {u.id for u in rows}
    assert journey.env.store.applications.get(api.id).answers["upload"]["id_card_emblem"] == again
    assert api.photo_page()["page"] == "info"             # the draft is still whole


def test_failed_html_reposts_store_no_more_copies(client, app):
    web = HtmlWalker(client, app)
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    for _ in range(3):                                     # the portrait is missing: the page again
        web.post("upload", "next", {"document_set": "id_card"}, files={"id_card_emblem": jpeg()}, expect=422)
        assert ("id_card_portrait", "required.upload") in web.errors()
    journey = app.extensions["govflow"]
    assert [u.slot for u in uploads_of(journey, web.id)] == ["id_card_emblem"] and len(files(journey)) == 1


def test_an_upload_id_answers_only_its_own_field(on_upload_page):
    api = on_upload_page
    emblem = api.upload("id_card_emblem")
    body = api.act("upload", "next", {"document_set": "id_card", "id_card_emblem": emblem,
                                      "id_card_portrait": emblem}, expect=422)
    assert {"path": "id_card_portrait", "code": "upload.not_found"} in \
        [{k: e[k] for k in ("path", "code")} for e in body["errors"]]


# -- orphans ----------------------------------------------------------------------------------------

def test_orphans_are_purged_after_the_grace_period(tmp_path, definitions):
    clock = Clock(utcnow())
    app = make_app(tmp_path, definitions, CLOCK=clock, RETENTION=Retention(orphan_minutes=60))
    journey = app.extensions["govflow"]
    store = journey.env.store
    api = ApiWalker(app.test_client(), app)
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    api.upload_page()                                       # two files, named by the page's answers
    orphan = api.upload("residence_permit_emblem")          # sent, never used on the page
    clock.advance(minutes=59)
    assert purge(store, Retention(orphan_minutes=60))["orphans"] == 0
    clock.advance(minutes=2)
    counts = purge(store, Retention(orphan_minutes=60))
    assert counts["orphans"] == 1 and counts["drafts"] == 0
    left = uploads_of(journey, api.id)
    assert orphan not in {u.id for u in left} and len(left) == 2 and len(files(journey)) == 2
    with store.reading() as db:
        assert db.execute(select(func.count()).select_from(UploadRow)).scalar_one() == 2
    assert api.photo_page()["page"] == "info"
    store.close()


def test_retention_reads_the_orphan_grace_from_the_environment():
    assert Retention.from_env({"RETAIN_ORPHAN_MINUTES": "5"}).orphan_minutes == 5
    assert Retention.from_env({}).orphan_minutes == 60 and timedelta(minutes=Retention().orphan_minutes)


# -- serving ----------------------------------------------------------------------------------------

def test_files_are_served_with_nosniff_and_a_server_chosen_name(client, app):
    web = HtmlWalker(client, app)
    web.walk_to_info()
    upload = uploads_of(app.extensions["govflow"], web.id)[0]
    r = client.get(f"/a/{web.id}/_uploads/{upload.id}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"] == f'inline; filename="upload-{upload.id}.jpg"'
    photo = client.get(f"/a/{web.id}/_photo")
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.headers["Content-Disposition"].startswith("inline; filename=")


# -- size limits --------------------------------------------------------------------------------------

def test_a_15_mb_file_without_javascript_is_a_field_error_and_the_form_is_kept(client, app):
    web = HtmlWalker(client, app)
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    big = b"\xff\xd8\xff\xe0" + b"\0" * (15 * MB)
    web.post("upload", "next", {"document_set": "id_card"},
             files={"id_card_emblem": big, "id_card_portrait": jpeg()}, expect=422)
    assert ("id_card_emblem", "upload.too_large") in web.errors()
    text = web.text()
    assert 'value="id_card" checked' in text and "Request Entity Too Large" not in text
    journey = app.extensions["govflow"]
    assert [u.slot for u in uploads_of(journey, web.id)] == ["id_card_portrait"]   # the good one is kept
    assert f'name="id_card_portrait" value="{uploads_of(journey, web.id)[0].id}"' in text


def test_a_file_too_large_over_the_api_is_413_problem_json(on_upload_page):
    r = post_file(on_upload_page, "id_card_emblem", b"\xff\xd8\xff" + b"\0" * (6 * MB))
    assert r.status_code == 413 and r.mimetype == "application/problem+json"
    assert r.get_json()["errors"][0]["code"] == "upload.too_large"


@pytest.fixture
def small_requests(tmp_path, definitions):
    app = make_app(tmp_path, definitions, UPLOAD_REQUEST_MAX_MB=1)
    yield app
    app.extensions["govflow"].env.store.close()


def test_a_page_post_over_the_request_limit_is_the_page_again_in_chinese(small_requests):
    app = small_requests
    web = HtmlWalker(app.test_client(), app)
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    web.post("upload", "next", {"document_set": "id_card"}, files={"id_card_emblem": b"\0" * (2 * MB)}, expect=413)
    text = web.text()
    assert catalog.text("request.too_large", limit="1MB") in text and 'lang="zh-CN"' in text
    assert 'id="i-document_set"' in text and "Werkzeug" not in text      # the page itself, not an error page
    assert uploads_of(app.extensions["govflow"], web.id) == []


def test_an_api_upload_over_the_request_limit_is_413_problem_json(small_requests):
    app = small_requests
    api = ApiWalker(app.test_client(), app)
    api.create()
    api.verify("mainland_adult")
    api.eligibility()
    r = post_file(api, "id_card_emblem", b"\0" * (2 * MB))
    assert r.status_code == 413 and r.mimetype == "application/problem+json"
    assert r.get_json()["errors"][0]["code"] == "request.too_large"
    assert r.get_json()["title"] == catalog.text("request.too_large", limit="1MB")
