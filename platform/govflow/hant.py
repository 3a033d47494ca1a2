"""繁體中文 for residents of Hong Kong, Macau and Taiwan: every text a citizen reads, written once
in Simplified Chinese (the message catalogue, flow and rule files, pick-lists), converted at
render time by OpenCC (s2hk: the Traditional characters of Hong Kong and Macau, 為 not
爲, read in Taiwan as well) — once per distinct text, then cached — with
messages/zh_Hant.yaml for what the automatic conversion gets wrong:

    messages:   {catalogue code: its Traditional text}       # used as written, not converted
    phrases:    {converted phrase: the right one}             # corrected in every converted text

Only texts of the service are converted, never what a citizen typed or a register holds (a
name, an address, a posted value): the catalogue converts its templates before filling them in,
the renderers convert the texts of flows and rules (`localised` for data, `finalize` for what a
template prints), and a `Localised` string is never converted twice.

The script is chosen per request (`use`, from the web layer's cookie or Accept-Language) and
kept in a context variable, so the engine needs no web framework to speak it.
"""
from __future__ import annotations

from contextvars import ContextVar, Token
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

LANG = "zh-Hant"
_on: ContextVar[bool] = ContextVar("govflow_hant", default=False)
# the keys of a page's data that hold texts of the service (journey/views.py, web/html.py)
TEXT_KEYS = frozenset({"title", "label", "help", "placeholder", "notice", "error", "error_basis", "message",
                       "text", "reason", "note", "restricted", "basis", "confirm_label",
                       "cancel_label", "empty", "items", "description", "columns", "heading"})


class Localised(str):
    """A text already in the reader's script (a catalogue message with its values filled in)."""


def active() -> bool:
    return _on.get()


def use(on: bool) -> Token:
    """Render in Traditional Chinese (or not) from now on in this context; `reset` the token after."""
    return _on.set(on)


def reset(token: Token) -> None:
    _on.reset(token)


@lru_cache(maxsize=None)
def overrides() -> dict[str, dict[str, str]]:
    text = resources.files("govflow").joinpath("messages/zh_Hant.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {"messages": dict(data.get("messages") or {}), "phrases": dict(data.get("phrases") or {})}


@lru_cache(maxsize=1)
def _converter():
    import opencc  # loaded on first use: a Simplified-only site never needs its dictionaries
    return opencc.OpenCC("s2hk")


@lru_cache(maxsize=65536)
def convert(text: str) -> str:
    """`text` in Traditional Chinese, the phrase corrections applied (computed once per text)."""
    if text.isascii():
        return text
    out = _converter().convert(text)
    for wrong, right in overrides()["phrases"].items():
        out = out.replace(wrong, right)
    return out


def message(key: str, template: str) -> str:
    """The catalogue template of `key` in Traditional Chinese: its override, else converted."""
    return overrides()["messages"].get(key) or convert(template)


def text(value):
    """A service text as the reader reads it (unchanged in Simplified mode or if not a plain str).
    Also Jinja's finalize: every plain string a template prints is a text of the service."""
    if type(value) is not str or not _on.get():
        return value
    return Localised(convert(value))


def verbatim(value):
    """A template's `|verbatim`: what a citizen typed, printed as it is (not converted)."""
    return value if value is None else Localised(value)


_SHARED: dict[int, tuple[Any, Any]] = {}     # id(shared tuple) -> (it, its converted copy)


def localised(data, texts: bool = False):
    """A copy of page data with the texts under TEXT_KEYS converted (nothing else: values, names,
    ids and what a citizen typed stay as they are); shared tuples (pick-list options) are
    converted once per process. Unchanged when Traditional Chinese is not on."""
    if not _on.get():
        return data
    return _walk(data, texts)


def _walk(data, texts: bool):
    if isinstance(data, str):
        return Localised(convert(data)) if texts and type(data) is str else data
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            out[key] = _walk(value, key in TEXT_KEYS) if isinstance(value, (str, dict, list, tuple)) else value
        if "display" in data and data.get("options") and isinstance(data["display"], str):
            out["display"] = _walk(data["display"], True)      # a chosen option's label
        return out
    if isinstance(data, tuple):
        cached = _SHARED.get(id(data))
        if cached is None or cached[0] is not data:
            cached = _SHARED[id(data)] = (data, tuple(_walk(v, texts) for v in data))
        return cached[1]
    if isinstance(data, list):
        return [_walk(v, texts) for v in data]
    return data
