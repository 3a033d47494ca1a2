"""Placeholder portraits (JPEG) for the registry's system photos and photo receipts.

The simulators need real image bytes so the photo page and the review page can show
something; a plain silhouette with the person's initials is enough and contains no one's
likeness. Same input, same bytes (no randomness, fixed JPEG settings).
"""
from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

SIZE = (358, 441)              # 社保卡 photo size in pixels (26 x 32 mm at 350 dpi)
SYSTEM_BACKGROUND = (214, 232, 248)   # light blue, as registry photos usually are
RECEIPT_BACKGROUND = (255, 255, 255)  # studio photos: white


def portrait_jpeg(initials: str, background: tuple[int, int, int] = SYSTEM_BACKGROUND) -> bytes:
    width, height = SIZE
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    body = (120, 132, 150)
    draw.ellipse((width * 0.30, height * 0.16, width * 0.70, height * 0.55), fill=body)       # head
    draw.pieslice((width * 0.08, height * 0.58, width * 0.92, height * 1.40), 180, 360, fill=body)  # shoulders
    font = ImageFont.load_default(size=40) if _sized_default_font() else ImageFont.load_default()
    text = (initials or "?")[:4].upper()
    box = draw.textbbox((0, 0), text, font=font)
    x = (width - (box[2] - box[0])) / 2
    draw.text((x, height * 0.30), text, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=False, progressive=False)
    return out.getvalue()


def _sized_default_font() -> bool:
    """Pillow >= 10.1 can size its built-in font; older versions cannot."""
    try:
        ImageFont.load_default(size=10)
        return True
    except TypeError:
        return False
