"""The one message catalogue (Simplified Chinese): every sentence a citizen or staff member
reads that is not written in a flow or rule file, looked up by code (messages/zh_CN.yaml).

The engine and the store speak in codes; the web layer and the journey turn codes into text
here, so a citizen reads the same words whichever layer reported the problem. In 繁體 mode
(hant.py) the template is converted (or taken from messages/zh_Hant.yaml) before its values
are filled in, so what a citizen typed is never changed.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from . import hant
from .errors import Problem


@lru_cache(maxsize=None)
def catalog() -> dict[str, str]:
    text = resources.files("govflow").joinpath("messages/zh_CN.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def text(key: str, /, **values) -> str:
    """Message for code `key` with {placeholders} filled; unknown codes fall back to the
    message of their family (`sms.x` -> `sms`), then to the generic one."""
    texts = catalog()
    found = key if key in texts else key.split(".")[0] if key.split(".")[0] in texts else "generic"
    template = texts[found]
    if hant.active():
        template = hant.message(found, template)
    try:
        out = template.format(**values)
    except (KeyError, IndexError, ValueError):
        out = template
    return hant.Localised(out) if hant.active() else out


def has(key: str) -> bool:
    """Whether the catalogue has a message of its own for exactly this code."""
    return key in catalog()


def problem(code: str, path: str = "", /, **values) -> Problem:
    """A Problem for `code` with its catalogue message."""
    return Problem(code=code, path=path, message=text(code, **values))
