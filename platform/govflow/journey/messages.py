"""The citizen-facing message catalog (Simplified Chinese), looked up by error code."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml


@lru_cache(maxsize=None)
def catalog() -> dict[str, str]:
    text = resources.files("govflow").joinpath("messages/zh_CN.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def text(key: str, /, **values) -> str:
    """Message for code `key` with {placeholders} filled; unknown codes fall back to the generic one."""
    template = catalog().get(key) or catalog().get(key.split(".")[0]) or catalog()["type"]
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
