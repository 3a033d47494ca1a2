"""Photo receipt simulator (相片回执号): demo/photo_receipts.yaml lists the valid numbers.

A photo studio gives the citizen a receipt number; the card system fetches the photo by
it. The simulator answers a listed number with a placeholder portrait, anything else
with None (the photo page shows its popup). Each receipt belongs to one person (`persona:`
in the file): the photo comes back with that person's ssn, and the journey accepts it only
for the person the application is for.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import Problem
from ..formats import normalize_id
from ..yamlsource import load_file
from .interfaces import Photo
from .portraits import RECEIPT_BACKGROUND, portrait_jpeg

RECEIPTS_FILE = "photo_receipts.yaml"


class PhotoReceiptSimulator:
    def __init__(self, receipts: dict[str, tuple[str, str]]):
        """receipts: receipt number -> (initials drawn on the photo, ssn of the person photographed)."""
        self._photos = {n: portrait_jpeg(i, RECEIPT_BACKGROUND) for n, (i, _) in receipts.items()}
        self._owners = {n: ssn for n, (_, ssn) in receipts.items()}

    def lookup(self, receipt_number: str) -> Photo | None:
        number = normalize_id(receipt_number)
        jpeg = self._photos.get(number)
        return Photo(number, jpeg, self._owners[number]) if jpeg is not None else None

    def numbers(self) -> list[str]:
        return sorted(self._photos)


def load_receipts(demo_dir: Path, ssn_of: dict[str, str] | None) -> tuple[dict[str, tuple[str, str]], list[Problem]]:
    """receipt number -> (initials, ssn); `ssn_of`: persona id -> ssn (each receipt names its persona;
    None when the personas could not be read: the receipts' owners are not checked then)."""
    source, problems = load_file(Path(demo_dir) / RECEIPTS_FILE)
    if source is None:
        return {}, problems
    items = source.data.get("receipts") if isinstance(source.data, dict) else None
    if not isinstance(items, list):
        return {}, problems + [source.problem((), "receipt.shape", "photo_receipts.yaml needs a 'receipts' list")]
    written = source.data.get("pattern")
    pattern = re.compile(str(written)) if written else None        # the simulated studios' numbers
    receipts: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(items):
        number = normalize_id(item.get("number")) if isinstance(item, dict) else ""
        if not number or (pattern is not None and not pattern.fullmatch(number)):
            problems.append(source.problem(("receipts", i), "receipt.format",
                                           f"'{number}' does not match the file's pattern {written!r}"))
            continue
        owner = ssn_of.get(str(item.get("persona", ""))) if ssn_of is not None else ""
        if owner is None:
            problems.append(source.problem(("receipts", i), "receipt.persona",
                                           f"receipt '{number}' needs the persona whose photo it is"))
            continue
        receipts[number] = (str(item.get("initials", "")), owner)
    return receipts, problems
