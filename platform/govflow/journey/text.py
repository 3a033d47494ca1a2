"""Text a citizen typed, made safe in one place before any check, rule or page sees it.

`clean` runs on every posted string (JSON, form, htmx refresh): lone surrogates (possible in JSON
as "\\ud800", and unencodable in UTF-8 or by the rules engine) become U+FFFD; Unicode
normalisation (NFKC for numbers and codes, so full-width digits and letters become ASCII; NFC for
other text); trimming. `refusal` then names what cannot be accepted, as a catalogue code:

  text.unreadable   U+FFFD (a lone surrogate, or bytes that were not UTF-8)
  text.control      control characters (NUL, ESC, ...); line breaks only in multi-line fields
  text.bidi         bidirectional overrides and isolates (U+202A-202E, U+2066-2069), which can
                    make a name or address read differently from what is stored
  text.blank        nothing but invisible characters (zero-width spaces, joiners, BOM)
"""
from __future__ import annotations

import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = re.compile("[\\s\u00ad\u180e\u200b-\u200d\u2060\ufeff]")


def clean(value: str, compatibility: bool = False) -> str:
    """The string made encodable, normalised (NFKC if `compatibility`, else NFC) and trimmed."""
    if _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    if not value.isascii():
        value = unicodedata.normalize("NFKC" if compatibility else "NFC", value)
    return value.strip()


def refusal(value: str, multiline: bool = False) -> str | None:
    """The catalogue code of the first reason `value` (already cleaned) cannot be accepted."""
    if value.isascii():
        if (_CONTROL_MULTILINE if multiline else _CONTROL).search(value):
            return "text.control"
        return None
    if "\ufffd" in value:
        return "text.unreadable"
    if (_CONTROL_MULTILINE if multiline else _CONTROL).search(value):
        return "text.control"
    if _BIDI.search(value):
        return "text.bidi"
    if not _INVISIBLE.sub("", value):
        return "text.blank"
    return None
