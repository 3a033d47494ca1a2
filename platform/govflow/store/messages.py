"""The store's message texts: codes to Chinese, from the platform catalog.

The platform's one catalog (govflow/messages/zh_CN.yaml) wins for every code it
defines, so a citizen reads the same words whichever layer reported the problem;
store/messages.yaml only supplies the codes that catalog does not (yet) have.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from ..errors import Problem

DEFAULTS = Path(__file__).with_name("messages.yaml")
PLATFORM = ("govflow", "messages/zh_CN.yaml")


class Messages:
    """Loaded once per Store (not at import time); unknown codes fall back to the code."""

    def __init__(self, texts: dict[str, str]):
        self._texts = dict(texts)

    @classmethod
    def load(cls) -> "Messages":
        texts = yaml.safe_load(DEFAULTS.read_text("utf-8")) or {}
        platform = resources.files(PLATFORM[0]).joinpath(PLATFORM[1])
        if platform.is_file():
            texts.update(yaml.safe_load(platform.read_text("utf-8")) or {})
        return cls(texts)

    def text(self, code: str, **params) -> str:
        template = self._texts.get(code, code)
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template

    def problem(self, code: str, path: str, **params) -> Problem:
        return Problem(code=code, path=path, message=self.text(code, **params))
