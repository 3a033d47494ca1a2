"""Turn untrusted upload bytes into a clean JPEG, or say why not.

The type is decided by the content (Pillow, restricted to the JPEG (incl. MPO),
PNG and WEBP decoders), never by the file name. Every accepted image is decoded and
re-encoded: this drops EXIF (GPS, device), comments, ICC profiles and
anything appended after the image, applies the EXIF orientation first so the
picture stands upright, flattens transparency on white, downscales when the
longer side exceeds `max_side`, and saves a baseline JPEG at `quality`.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

DECODERS = ["JPEG", "PNG", "WEBP"]   # the JPEG decoder also opens MPO (multi-picture JPEG from phones)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024
    min_side: int = 200            # both sides at least this many pixels (after rotation)
    max_side: int = 2400           # longer side is downscaled to this
    max_pixels: int = 40_000_000   # refuse before decoding (decompression bombs)
    quality: int = 85


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


class ImageRefused(Exception):
    """A problem code from the store's catalog plus the values its message needs."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(code)


def clean_image(data: bytes, limits: Limits) -> CleanImage:
    if not data:
        raise ImageRefused("upload.empty")
    if len(data) > limits.max_bytes:
        raise ImageRefused("upload.too_large", max_mb=_mb(limits.max_bytes))
    image = _decode(data, limits)
    image = _upright(image)
    if min(image.size) < limits.min_side:
        raise ImageRefused("upload.too_small", min_px=limits.min_side)
    image = _flatten(image)
    if max(image.size) > limits.max_side:
        image.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=limits.quality, optimize=True)
    return CleanImage(data=out.getvalue(), width=image.width, height=image.height)


def _decode(data: bytes, limits: Limits) -> Image.Image:
    # Pillow raises many exception types on hostile input (OSError, SyntaxError,
    # struct.error, IndexError, DecompressionBombError ...): all mean "not an image we take".
    try:
        image = Image.open(io.BytesIO(data), formats=DECODERS)
    except Exception as exc:  # noqa: BLE001 - untrusted input boundary, see above
        raise ImageRefused("upload.not_image") from exc
    if image.width * image.height > limits.max_pixels:
        raise ImageRefused("upload.too_many_pixels")
    try:
        image.seek(0)
        image.load()
    except Exception as exc:  # noqa: BLE001 - truncated or corrupt data
        raise ImageRefused("upload.not_image") from exc
    return image


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - broken EXIF: keep the pixels as they are
        return image


def _flatten(image: Image.Image) -> Image.Image:
    """RGB without alpha, EXIF or other metadata (a fresh image, not a copy of info)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    rgb = image.convert("RGB")
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    return clean


def _mb(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:g}" if value >= 1 else f"{value:.1f}"
