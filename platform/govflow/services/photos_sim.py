"""Photo receipt simulator (相片回执号): demo/photo_receipts.yaml lists the valid numbers.

A photo studio gives the citizen a receipt number; the card system fetches the photo by
it. The simulator answers a listed number with a placeholder portrait, anything else
with None (the photo page shows its popup).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import Problem
from ..formats import check_photo_receipt, normalize_id
from ..yamlsource import load_file
from .interfaces import Photo
from .portraits import RECEIPT_BACKGROUND, portrait_jpeg

RECEIPTS_FILE = "photo_receipts.yaml"


class PhotoReceiptSimulator:
    def __init__(self, receipts: dict[str, str]):
        """receipts: receipt number -> initials drawn on the photo."""
        self._photos = {n: portrait_jpeg(i, RECEIPT_BACKGROUND) for n, i in receipts.items()}

    def lookup(self, receipt_number: str) -> Photo | None:
        number = normalize_id(receipt_number)
        if check_photo_receipt(number) is not None:
            return None
        jpeg = self._photos.get(number)
        return Photo(number, jpeg) if jpeg is not None else None

    def numbers(self) -> list[str]:
        return sorted(self._photos)


def load_receipts(demo_dir: Path) -> tuple[dict[str, str], list[Problem]]:
    source, problems = load_file(Path(demo_dir) / RECEIPTS_FILE)
    if source is None:
        return {}, problems
    items = source.data.get("receipts") if isinstance(source.data, dict) else None
    if not isinstance(items, list):
        return {}, problems + [source.problem((), "receipt.shape", "photo_receipts.yaml needs a 'receipts' list")]
    receipts: dict[str, str] = {}
    for i, item in enumerate(items):
        number = normalize_id(item.get("number")) if isinstance(item, dict) else ""
        if check_photo_receipt(number) is not None:
            problems.append(source.problem(("receipts", i), "receipt.format",
                                           f"'{number}' is not XP + 10 digits"))
            continue
        receipts[number] = str(item.get("initials", ""))
    return receipts, problems
