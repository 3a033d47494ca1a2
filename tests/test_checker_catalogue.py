"""The checker's catalogue (messages/checks/*.yaml, govflow/say.py): every key used in the code
exists, in both languages, with the same placeholders; Chinese is the default."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from govflow import say

PLATFORM = Path(__file__).resolve().parents[1] / "platform" / "govflow"
USED = re.compile(r"""\bsay\(\s*["']([a-z0-9_.]+)["']""")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_has_both_languages_with_the_same_placeholders():
    for key, langs in say.catalogue().items():
        assert set(langs) == set(say.LANGUAGES), f"{key}: needs exactly {say.LANGUAGES}, has {sorted(langs)}"
        assert _placeholders(langs["zh"]) == _placeholders(langs["en"]), key
        words = re.sub(r"\{[a-z_]+\}", "", langs["zh"])
        assert re.search(r"[\u4e00-\u9fff]", words) or not re.search(r"[a-z]{4}", words), \
            f"{key}: the Chinese text reads like English: {langs['zh']!r}"


def test_every_key_the_code_says_is_in_the_catalogue():
    known = say.catalogue()
    missing = []
    for path in PLATFORM.rglob("*.py"):
        for key in USED.findall(path.read_text("utf-8")):
            if key.endswith("."):           # a family: say("severity." + p.severity)
                if not any(k.startswith(key) for k in known):
                    missing.append(f"{path.relative_to(PLATFORM)}: {key}*")
            elif key not in known:
                missing.append(f"{path.relative_to(PLATFORM)}: {key}")
    assert not missing, "keys used but not in messages/checks/*.yaml:\n" + "\n".join(missing)


def test_chinese_by_default_english_on_request(monkeypatch):
    monkeypatch.delenv("GOVFLOW_LANG", raising=False)
    assert say.say("hint.did_you_mean", name="x") == "是否应为“x”？"
    monkeypatch.setenv("GOVFLOW_LANG", "en")
    assert say.say("hint.did_you_mean", name="x") == "did you mean 'x'?"
    with pytest.raises(ValueError):
        say.set_language("fr")


def test_a_key_written_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        import yaml
        yaml.load("a: {zh: 一, en: one}\na: {zh: 二, en: two}\n", Loader=say._UniqueKeys)
