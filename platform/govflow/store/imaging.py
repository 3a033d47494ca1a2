"""Turn untrusted upload bytes into a clean JPEG, or say why not.

The type is decided by the content (Pillow, restricted to the JPEG (incl. MPO),
PNG and WEBP decoders), never by the file name. Decompression bombs (a few KB of PNG that
decode to gigabytes) are refused from the header, before any pixel is decoded: more than
`max_pixels` (25 megapixels) is refused, and Pillow's own guard (DecompressionBombWarning) is
an error, not a warning. A JPEG much larger than `max_side` is decoded at a reduced scale
(`Image.draft`), so one upload's memory stays bounded (measured by bench/bench_upload.py).
Every accepted image is decoded and
re-encoded: this drops EXIF (GPS, device), comments, ICC profiles and
anything appended after the image, applies the EXIF orientation first so the
picture stands upright, flattens transparency on white, downscales when the
longer side exceeds `max_side`, and saves a baseline JPEG at `quality`.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

DECODERS = ["JPEG", "PNG", "WEBP"]   # the JPEG decoder also opens MPO (multi-picture JPEG from phones)


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024
    min_side: int = 200            # both sides at least this many pixels (after rotation)
    max_side: int = 2400           # longer side is downscaled to this
    max_pixels: int = 25_000_000   # refuse from the header, before decoding (decompression bombs)
    quality: int = 85
    max_files: int = 20                      # per application (a slot holds one file; replacing frees it)
    max_total_bytes: int = 30 * 1024 * 1024  # per application, of the stored (re-encoded) files


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
    refuse_decompression_bombs()
    if not data:
        raise ImageRefused("upload.empty")
    if len(data) > limits.max_bytes:
        raise ImageRefused("upload.too_large", max_mb=megabytes(limits.max_bytes))
    image = _resizable(_upright(_decode(data, limits)))
    if max(image.size) > limits.max_side:       # downscaled first: the copies below are small
        image.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    image = _flatten(image)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=limits.quality, optimize=True)
    return CleanImage(data=out.getvalue(), width=image.width, height=image.height)


def refuse_decompression_bombs() -> None:
    """Make Pillow's DecompressionBombWarning an error in this process. Called by every
    clean_image: adding the same filter again only moves it to the front, so it stays in force
    even after something (a test harness, another library) reset the warning filters."""
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def _decode(data: bytes, limits: Limits) -> Image.Image:
    # Pillow raises many exception types on hostile input (OSError, SyntaxError,
    # struct.error, IndexError, DecompressionBombError ...): all mean "not an image we take".
    try:
        image = Image.open(io.BytesIO(data), formats=DECODERS)     # lazy: reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("upload.too_many_pixels") from exc
    except Exception as exc:  # noqa: BLE001 - untrusted input boundary, see above
        raise ImageRefused("upload.not_image") from exc
    _check_size(image, limits)
    try:
        image.seek(0)
        _check_size(image, limits)          # the first frame's own header (MPO, WEBP)
        _reduce_jpeg(image, limits.max_side)
        image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("upload.too_many_pixels") from exc
    except Exception as exc:  # noqa: BLE001 - truncated or corrupt data
        raise ImageRefused("upload.not_image") from exc
    return image


def _check_size(image: Image.Image, limits: Limits) -> None:
    """From the header: too many pixels, or a side too short (the shorter side is the same
    whichever way up the picture is meant)."""
    if image.width * image.height > limits.max_pixels:
        raise ImageRefused("upload.too_many_pixels")
    if min(image.size) < limits.min_side:
        raise ImageRefused("upload.too_small", min_px=limits.min_side)


def _reduce_jpeg(image: Image.Image, max_side: int) -> None:
    """A JPEG at least twice `max_side` is decoded at 1/2, 1/4 or 1/8 scale (still at least
    `max_side` on its longer side): a quarter of the memory or less, the same picture after
    the downscale that follows anyway."""
    longer = max(image.size)
    if image.format in ("JPEG", "MPO") and longer >= 2 * max_side:
        factor = max_side / longer
        image.draft("RGB", (max(1, int(image.width * factor)), max(1, int(image.height * factor))))


def _upright(image: Image.Image) -> Image.Image:
    """Turned as its EXIF orientation says, in place (no copy of a picture that stands upright)."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # noqa: BLE001 - broken EXIF: keep the pixels as they are
        pass
    return image


def _resizable(image: Image.Image) -> Image.Image:
    """A mode that resizes smoothly (palette and 1-bit images only resize by nearest neighbour)."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    transparent = image.mode == "PA" or (image.mode == "P" and "transparency" in image.info)
    return image.convert("RGBA" if transparent else "RGB")


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


def megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:g}" if value >= 1 else f"{value:.1f}"
