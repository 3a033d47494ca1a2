"""Uploads: checked by content, re-encoded (EXIF gone, orientation applied), random names,
reachable only through their application."""
import hashlib
import io
import os
import re

import pytest
from PIL import Image

from apptools import KEYRING
from apptools import STORE_SECRET as SECRET
from govflow import catalog
from govflow.store import Limits, Upload, open_store
from govflow.store.records import Refusal

RED, BLUE = (220, 20, 20), (20, 20, 220)



@pytest.fixture
def app_id(store):
    return store.applications.create("sscard_adult", "owner", "v", {}).id


def two_colour(size=(400, 300), mode="RGB"):
    """Left half red, right half blue."""
    image = Image.new(mode, size, BLUE)
    image.paste(Image.new(mode, (size[0] // 2, size[1]), RED), (0, 0))
    return image


def jpeg_with_exif(orientation=6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation          # Orientation: 6 = rotate 90 degrees clockwise to view
    exif[0x010F] = "PhoneMaker"         # Make
    exif[0x0131] = "SecretCamApp 1.0"   # Software
    out = io.BytesIO()
    two_colour().save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def close(pixel, colour, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(pixel, colour, strict=True))


def test_jpeg_exif_orientation_applied_and_metadata_stripped(store, app_id):
    raw = jpeg_with_exif(6) + b"<?php system($_GET['c']); ?>"   # trailing payload
    assert Image.open(io.BytesIO(raw)).getexif()[0x0112] == 6
    upload = store.uploads.save(app_id, "id_card_portrait", raw, "身份证人像面.jpg")
    assert isinstance(upload, Upload), upload
    assert (upload.width, upload.height) == (300, 400)           # rotated upright
    assert upload.content_type == "image/jpeg" and upload.slot == "id_card_portrait"
    data = store.uploads.read_bytes(upload)
    assert upload.size == len(data) and upload.sha256 == hashlib.sha256(data).hexdigest()
    assert b"<?php" not in data and b"SecretCamApp" not in data and b"PhoneMaker" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (300, 400)
    assert len(image.getexif()) == 0
    rgb = image.convert("RGB")
    assert close(rgb.getpixel((150, 50)), RED)      # the left (red) half is now on top
    assert close(rgb.getpixel((150, 350)), BLUE)


def test_png_with_alpha_becomes_jpeg_on_white(store, app_id):
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (150, 300), (*RED, 255)), (0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    upload = store.uploads.save(app_id, "permit_front", out.getvalue(), "front.png")
    assert isinstance(upload, Upload)
    stored = Image.open(io.BytesIO(store.uploads.read_bytes(upload))).convert("RGB")
    assert close(stored.getpixel((20, 150)), RED)
    assert close(stored.getpixel((280, 150)), (255, 255, 255))


def test_large_image_downscaled(store, app_id):
    out = io.BytesIO()
    two_colour((4800, 1200)).save(out, "JPEG", quality=70)
    upload = store.uploads.save(app_id, "permit_back", out.getvalue(), "big.jpg")
    assert (upload.width, upload.height) == (2400, 600)


def test_text_file_named_jpg_refused(store, app_id, tmp_path):
    result = store.uploads.save(app_id, "id_card_emblem", "这不是图片\n".encode() * 50, "photo.jpg")
    assert isinstance(result, Refusal)          # the store speaks in codes; the catalogue has the words
    assert result.code == "upload.not_image"
    assert catalog.text(result.code) != catalog.text("generic")
    assert list((tmp_path / "uploads").iterdir()) == []


def test_gif_refused_even_if_valid(store, app_id):
    out = io.BytesIO()
    two_colour().save(out, "GIF")
    assert store.uploads.save(app_id, "s", out.getvalue(), "a.jpg").code == "upload.not_image"


def test_truncated_jpeg_refused(store, app_id):
    raw = jpeg_with_exif()
    assert store.uploads.save(app_id, "s", raw[: len(raw) // 2], "a.jpg").code == "upload.not_image"


def test_too_large_empty_and_too_small(store, app_id):
    big = b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024)
    problem = store.uploads.save(app_id, "s", big, "big.jpg")
    assert problem.code == "upload.too_large" and "5" in catalog.text(problem.code, **problem.params)
    assert store.uploads.save(app_id, "s", b"", "e.jpg").code == "upload.empty"
    out = io.BytesIO()
    two_colour((400, 150)).save(out, "PNG")
    assert store.uploads.save(app_id, "s", out.getvalue(), "small.png").code == "upload.too_small"


def test_limits_are_configurable(tmp_path):
    s = open_store("sqlite://", tmp_path / "up", SECRET, keyring=KEYRING,
                   upload_limits=Limits(max_bytes=10_000, max_pixels=100_000))
    try:
        app_id = s.applications.create("f", "o", "v", {}).id
        out = io.BytesIO()
        Image.new("L", (1000, 1000), 0).save(out, "PNG")       # small file, many pixels
        assert len(out.getvalue()) < 10_000
        assert s.uploads.save(app_id, "s", out.getvalue(), "x.png").code == "upload.too_many_pixels"
        noisy = io.BytesIO()
        Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(noisy, "JPEG", quality=95)
        assert len(noisy.getvalue()) > 10_000
        assert s.uploads.save(app_id, "s", noisy.getvalue(), "x.jpg").code == "upload.too_large"
    finally:
        s.close()


def test_stored_name_is_random(store, app_id, tmp_path):
    declared = "../../etc/passwd.jpg"
    first = store.uploads.save(app_id, "s", jpeg_with_exif(), declared)
    second = store.uploads.save(app_id, "t", jpeg_with_exif(), declared)
    names = sorted(p.name for p in (tmp_path / "uploads").iterdir())
    assert len(names) == 2 and names[0] != names[1]
    for name in names:
        assert re.fullmatch(r"[0-9a-f]{32}\.enc", name)      # encrypted: not a .jpg any more
        assert "passwd" not in name and first.id not in name and second.id not in name
    assert not (tmp_path / "etc").exists()


def test_only_the_owning_application_reaches_an_upload(store, app_id):
    other_app = store.applications.create("sscard_adult", "intruder", "v", {}).id
    upload = store.uploads.save(app_id, "s", jpeg_with_exif(), "a.jpg")
    assert store.uploads.get(app_id, upload.id) == upload
    assert store.uploads.get(other_app, upload.id) is None
    assert store.uploads.delete(other_app, upload.id) is False
    assert [u.id for u in store.uploads.for_application(app_id)] == [upload.id]
    assert store.uploads.for_application(other_app) == []


def test_delete_removes_file(store, app_id, tmp_path):
    upload = store.uploads.save(app_id, "s", jpeg_with_exif(), "a.jpg")
    assert len(list((tmp_path / "uploads").iterdir())) == 1
    assert store.uploads.delete(app_id, upload.id) is True
    assert list((tmp_path / "uploads").iterdir()) == []
    assert store.uploads.get(app_id, upload.id) is None
    assert store.uploads.delete(app_id, upload.id) is False
    with pytest.raises(FileNotFoundError):
        store.uploads.read_bytes(upload)
