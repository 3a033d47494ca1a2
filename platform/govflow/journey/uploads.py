"""Taking an uploaded file into an application: the one path of the HTML pages and the API.

In this order, each refusal a Refusal (code, params) and nothing stored:
1. the person is face-verified (`context.identity`, set by the hand-off): no file before that;
2. the slot is an upload field (`type: upload`) of a page the citizen may open now: the page
   posted (HTML), or for the API any such page of the draft (the current page, or a done page
   they can go back to with 【修改】); `slot=../../etc/passwd` names no field;
3. the size: more than `Limits.max_bytes` is refused before anything reads it further;
4. the virus scanner (services/scanning.py), before the image is even opened: a file it finds
   something in is refused (the signature is logged, nothing about the person); a scanner that
   cannot answer refuses the upload ("暂时无法上传，请稍后再试");
5. the store (store/uploads.py): decoded and re-encoded (store/imaging.py), the quota, and
   replacing the slot's earlier file.
An answer that pointed at the replaced file points at the new one (same slot, same field).
"""
from __future__ import annotations

import logging
from typing import IO

from ..definitions.model import PageDef
from ..store.imaging import megabytes
from ..store.records import Refusal, Upload
from . import entries

log = logging.getLogger("govflow.uploads")


def read_limited(stream: IO[bytes], max_bytes: int) -> bytes:
    """At most `max_bytes` + 1 bytes of an uploaded file (one more tells it was too large):
    a big file stays in the request's temporary file, never whole in memory."""
    return stream.read(max_bytes + 1)


def upload_pages(journey, draft, page_id: str | None = None) -> list[PageDef]:
    """The pages whose upload fields take a file now."""
    pages = [draft.flow.pages[page_id]] if page_id in draft.flow.pages else []
    if page_id is None:
        pages = list(draft.flow.pages.values())
    return [p for p in pages if journey.can_open(draft, p.id)]


def slot_open(journey, draft, slot: str, page_id: str | None = None) -> bool:
    return any(f.name == slot and f.type == "upload"
               for page in upload_pages(journey, draft, page_id) for f in page.input_fields())


def accept(journey, draft, slot: str, data: bytes, page_id: str | None = None) -> Upload | Refusal:
    env = draft.env
    if not (draft.app.context.get("identity") or {}).get("ssn"):
        return Refusal("upload.not_verified")
    if not slot_open(journey, draft, slot, page_id):
        return Refusal("upload.unknown_slot")
    limits = env.store.uploads.limits
    if not data:
        return Refusal("upload.empty")
    if len(data) > limits.max_bytes:
        return Refusal("upload.too_large", {"max_mb": megabytes(limits.max_bytes)})
    scanner = env.services.scanner
    try:
        verdict = scanner.scan(data)
    except Exception as exc:  # noqa: BLE001 - any failure of the scanner: refuse, store nothing
        log.warning("upload refused: the virus scanner (%s) did not answer: %s", scanner.name, exc)
        return Refusal("upload.scanner_unavailable")
    if not verdict.clean:
        log.warning("upload refused: the virus scanner (%s) found %s (application %s, slot %s)",
                    scanner.name, verdict.signature, draft.app.id, slot)
        return Refusal("upload.infected")
    uploads = env.store.uploads
    before = set(uploads.slot_ids(draft.app.id, slot))
    saved = uploads.save(draft.app.id, slot, data, "")
    if isinstance(saved, Upload) and before:
        _repoint(draft, before, saved.id)
    return saved


def _repoint(draft, old_ids: set[str], new_id: str) -> None:
    changed = draft.dirty
    for answers in draft.app.answers.values():
        for name in [n for n, v in answers.items() if v in old_ids]:
            answers[name] = new_id
            draft.changed()
    if entries.repoint(draft.app, old_ids, new_id) and not changed and not draft.dirty:
        entries.count_save(draft.app)         # only the page's entries changed: not a change of answers
        draft.dirty = True
