"""What the checker says to policy staff, in their language: Simplified Chinese by default,
English for developers (`govflow check --lang en`, or GOVFLOW_LANG=en).

Every sentence of `make check`, of the server's refusal of broken definitions and of the staff
pages' check results comes from the catalogue in messages/checks/*.yaml, where each key holds
both languages side by side:

    flow.unknown_page.next:
      zh: 下一页“{page}”不存在
      en: next page '{page}' does not exist

Problem codes stay English and stable; only the words change with the language. A key missing
in the catalogue is a programming error (tests/test_checker_catalogue.py finds every `say(` key
used in the code), never a silent fallback to another language.
"""
from __future__ import annotations

import os
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources

import yaml

LANGUAGES = ("zh", "en")
_language: ContextVar[str] = ContextVar("govflow_checker_language", default="")


class _UniqueKeys(yaml.SafeLoader):
    """A catalogue key written twice is refused (the second would silently win)."""


def _mapping(loader, node, deep=False):
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ValueError(f"{node.start_mark.name}:{key_node.start_mark.line + 1}: key {key!r} is written twice")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@lru_cache(maxsize=None)
def catalogue() -> dict[str, dict[str, str]]:
    """Every key of messages/checks/*.yaml -> {language: template}; a key in two files is refused."""
    out: dict[str, dict[str, str]] = {}
    folder = resources.files("govflow").joinpath("messages/checks")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        texts = yaml.load(entry.read_text("utf-8"), Loader=_UniqueKeys) or {}
        for key, langs in texts.items():
            if key in out:
                raise ValueError(f"messages/checks/{entry.name}: key {key!r} is also in another file")
            out[key] = langs
    return out


def language() -> str:
    lang = _language.get() or os.environ.get("GOVFLOW_LANG", "zh")
    return lang if lang in LANGUAGES else "zh"


def set_language(lang: str) -> None:
    """Speak `lang` ('zh' or 'en') from now on in this context (the CLI's --lang)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    _language.set(lang)


def say(key: str, /, **values) -> str:
    """The catalogue's sentence for `key` in the current language, {placeholders} filled."""
    template = catalogue()[key][language()]
    return template.format(**values)


def names(items, lang: str | None = None) -> str:
    """A list of names joined as the language writes lists: 、 in Chinese, ', ' in English."""
    return ("、" if (lang or language()) == "zh" else ", ").join(str(i) for i in items)
