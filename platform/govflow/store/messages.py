"""The store's message texts: codes to Chinese, from the platform catalog.

The platform's one catalog (govflow/messages/zh_CN.yaml) holds every text, so a
citizen reads the same words whichever layer reported the problem.
"""
from __future__ import annotations

from importlib import resources

import yaml

from ..errors import Problem


PLATFORM = ("govflow", "messages/zh_CN.yaml")


class Messages:
    """Loaded once per Store (not at import time); unknown codes fall back to the code."""

    def __init__(self, texts: dict[str, str]):
        self._texts = dict(texts)

    @classmethod
    def load(cls) -> "Messages":
        platform = resources.files(PLATFORM[0]).joinpath(PLATFORM[1])
        return cls(yaml.safe_load(platform.read_text("utf-8")) or {})

    def text(self, code: str, **params) -> str:
        template = self._texts.get(code, code)
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template

    def problem(self, code: str, path: str, **params) -> Problem:
        return Problem(code=code, path=path, message=self.text(code, **params))
