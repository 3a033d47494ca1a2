"""Finds procedure knowledge written in the platform's code (tests/test_no_procedure_in_code.py).

The procedure's words are taken from the data, never listed here: flow ids, fragment names, page
ids and field names (flows/), rule set ids and rule ids (rules/*.yaml except facts.yaml),
pick-list names (reference/picklists.yaml), connector ids, worlds, look-up names, fact prefixes,
returned facts and operation names (connectors/*.yaml, read as YAML), persona ids
(demo/personas.yaml). They are searched in platform/ and renderers/: Python, templates, scripts,
style sheets, JSON schemas and message catalogues.

The rule, so that an ordinary English word used as a page id (a page named `reason`) is not a leak:

- a *distinctive* word (it has an underscore, a hyphen, a digit or a non-ASCII letter:
  `guangdong_regions`, `ELIG-001`, `sscard_adult`) is a leak anywhere, as a whole token: in an
  identifier, a string, a docstring, a comment, a template's text;
- a *plain* word (one lowercase ASCII word: `pickup`, `registry`, `reason`) is English too, so it
  is a leak only where code uses it as a name: a string literal that is the word or a path of
  words (`"pickup"`, `"registry.cards"`, `"flows/cleanup.yaml"`), a JSON schema string, a message
  key, a template's attribute (`answers.pickup`) or quoted value, a style sheet's selector, or a
  word in backticks or quotes inside prose (`` `pickup` page ``). "Give a reason" is no leak;
- a plain word the platform's own formats define (a property name or an enum value of a JSON schema
  under platform/: `kind` of a content block, the `failed` status) is the platform's vocabulary, so
  a page or field may be called so (a distinctive word never is: `card_application` in a schema's
  enum stays a leak);
- PLATFORM_WORDS (in the test) are the platform's own vocabulary and never leaks, each with why.
"""
from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import yaml

TOKEN = re.compile(r"[^\W]+(?:-[^\W]+)*")                 # words, letters of any script, joined by "-"
PLAIN = re.compile(r"[a-z]+")
NAME_LITERAL = re.compile(r"[\w.\-/:]*")                  # a literal that names something: no spaces
QUOTED = re.compile(r"`([^`\n]+)`|“([^”\n]+)”|'([\w.\-/:]+)'|\"([\w.\-/:]+)\"")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
ATTRIBUTE = re.compile(r"\.([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\]")
CSS_SELECTOR = re.compile(r"[.#]([A-Za-z_][\w-]*)")


def distinctive(word: str) -> bool:
    return not PLAIN.fullmatch(word)


@dataclass(frozen=True)
class Leak:
    file: str
    line: int
    word: str
    source: str                                           # where the data defines the word

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.word!r} ({self.source})"


# ---- the words, from the data ----------------------------------------------------------------

def _yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError):
        return None


def _flow_words(node, source: str, words: dict[str, str], top: bool = True) -> None:
    """The flow's id (or fragment name), the ids of its pages, the names of its fields."""
    if isinstance(node, dict):
        for key in ("id", "fragment") if top else ():
            if isinstance(node.get(key), str):
                words.setdefault(node[key], source)
        for page in node.get("pages") if isinstance(node.get("pages"), list) else ():
            if isinstance(page, dict) and isinstance(page.get("id"), str):
                words.setdefault(page["id"], source)
        if isinstance(node.get("fields"), dict):
            for name in node["fields"]:
                words.setdefault(str(name), source)
        for value in node.values():
            _flow_words(value, source, words, False)
    elif isinstance(node, list):
        for item in node:
            _flow_words(item, source, words, False)


def _connector_words(doc: dict, source: str, words: dict[str, str]) -> None:
    for key in ("id", "world"):
        if isinstance(doc.get(key), str):
            words.setdefault(doc[key], source)
    for name, lookup in (doc.get("lookups") or {}).items():
        words.setdefault(str(name), source)
        if isinstance(lookup, dict):
            if isinstance(lookup.get("facts"), str):
                words.setdefault(lookup["facts"], source)
            for fact in lookup.get("returns") or {}:
                words.setdefault(str(fact), source)
    for name in doc.get("operations") or {}:
        words.setdefault(str(name), source)


def procedure_words(root: Path) -> dict[str, str]:
    """Every word of the procedures -> the file that defines it."""
    words: dict[str, str] = {}
    for path in sorted((root / "flows").rglob("*.yaml")):
        _flow_words(_yaml(path), str(path.relative_to(root)), words)
    for path in sorted((root / "rules").glob("*.yaml")):
        doc = _yaml(path)
        if path.name == "facts.yaml" or not isinstance(doc, dict):
            continue
        source = str(path.relative_to(root))
        if isinstance(doc.get("ruleset"), str):
            words.setdefault(doc["ruleset"], source)
        for rule in doc.get("rules") or []:
            if isinstance(rule, dict) and isinstance(rule.get("id"), str):
                words.setdefault(rule["id"], source)
    picklists = _yaml(root / "reference" / "picklists.yaml")
    for name in picklists if isinstance(picklists, dict) else {}:
        words.setdefault(str(name), "reference/picklists.yaml")
    for path in sorted((root / "connectors").glob("*.yaml")):
        doc = _yaml(path)
        if isinstance(doc, dict):
            _connector_words(doc, str(path.relative_to(root)), words)
    personas = _yaml(root / "demo" / "personas.yaml")
    for persona in (personas or {}).get("personas") or [] if isinstance(personas, dict) else []:
        if isinstance(persona, dict) and isinstance(persona.get("id"), str):
            words.setdefault(persona["id"], "demo/personas.yaml")
    return words


# ---- the places, in the code ------------------------------------------------------------------
# each scanner yields (line, word, is_name): is_name says the word stands where a name does

def _name_words(text: str):
    """The words of a literal, if it names something (no spaces): `registry.cards` -> both."""
    bare = re.sub(r"\{[^{}]*\}", "", text)
    return TOKEN.findall(bare) if NAME_LITERAL.fullmatch(bare) else []


def _prose(text: str, line: int):
    for number, row in enumerate(text.split("\n")):
        for word in TOKEN.findall(row):
            yield line + number, word, False
        for match in QUOTED.finditer(row):
            quoted = next(g for g in match.groups() if g is not None)
            for word in _name_words(quoted):
                yield line + number, word, True


def _literal(text: str, line: int):
    names = _name_words(text)
    if names and "\n" not in text:
        for word in names:
            yield line, word, True
    else:
        yield from _prose(text, line)


def _scan_python(text: str):
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        line = token.start[0]
        if token.type == tokenize.NAME:
            yield line, token.string, False
        elif token.type == tokenize.COMMENT:
            yield from _prose(token.string, line)
        elif token.type == tokenize.STRING:
            inner = re.sub(r"^[rbfuRBFU]*('''|\"\"\"|'|\")", "", token.string)
            yield from _literal(inner[:-3] if token.string.endswith(("'''", '"""')) else inner[:-1], line)
        elif token.type == getattr(tokenize, "FSTRING_MIDDLE", -1):     # Python 3.12+
            yield from _literal(token.string, line)


def _scan_markup(text: str):
    """Templates and scripts: prose everywhere, names in quotes and in template expressions."""
    yield from _prose(text, 1)
    for block in JINJA.finditer(text):
        line = text.count("\n", 0, block.start()) + 1
        for match in ATTRIBUTE.finditer(block.group()):
            for word in _name_words(match.group(1) or match.group(2)):
                yield line + block.group().count("\n", 0, match.start()), word, True


def _scan_css(text: str):
    yield from _prose(text, 1)
    for match in CSS_SELECTOR.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match.group(1), True


def _line_of(text: str, needle: str, near: int = 1) -> int:
    """The line of `needle`'s first occurrence from line `near` on (else from the top)."""
    start = sum(len(row) for row in text.splitlines(True)[:near - 1])
    at = text.find(needle, start)
    at = at if at >= 0 else text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else near


def _scan_data(node, text: str, near: int = 1):
    """JSON schemas and message catalogues: keys name things, string values are literals (a value
    is reported at its own line when its text is found as written, else at its key's)."""
    if isinstance(node, dict):
        for key, value in node.items():
            line = _line_of(text, str(key), near)
            for word in _name_words(str(key)):
                yield line, word, True
            yield from _scan_data(value, text, line)
    elif isinstance(node, list):
        for item in node:
            yield from _scan_data(item, text, near)
    elif isinstance(node, str):
        first = node.split("\n")[0]
        at = _line_of(text, first, near) if first and first in text else near
        for line, word, is_name in _literal(node, 0):
            yield at + line, word, is_name


def _scan_file(path: Path):
    text = path.read_text("utf-8")
    if path.suffix == ".py":
        return _scan_python(text)
    if path.suffix == ".json":
        return _scan_data(json.loads(text), text)
    if path.suffix == ".yaml":
        return _scan_data(yaml.safe_load(text), text)
    if path.suffix == ".css":
        return _scan_css(text)
    return _scan_markup(text)


def _schema_words(node, out: set[str]) -> None:
    if isinstance(node, dict):
        for key in ("properties", "$defs"):
            if isinstance(node.get(key), dict):
                out.update(str(k) for k in node[key])
        if isinstance(node.get("enum"), list):
            out.update(str(v) for v in node["enum"])
        for value in node.values():
            _schema_words(value, out)
    elif isinstance(node, list):
        for item in node:
            _schema_words(item, out)


def format_words(root: Path) -> set[str]:
    """The plain words the platform's formats define: keys and enum values of its JSON schemas."""
    out: set[str] = set()
    for path in sorted((root / "platform").rglob("*.schema.json")):
        try:
            _schema_words(json.loads(path.read_text("utf-8")), out)
        except (OSError, ValueError):
            continue
    return {word for word in out if not distinctive(word)}


CODE_SUFFIXES = {".py", ".html", ".js", ".css", ".json", ".yaml"}


def code_files(root: Path):
    for top in ("platform", "renderers"):
        for path in sorted((root / top).rglob("*")):
            if path.suffix in CODE_SUFFIXES and path.is_file() and "vendor" not in path.parts \
                    and "__pycache__" not in path.parts and "node_modules" not in path.parts:
                yield path


def find_leaks(root: Path, allowed: dict[str, str], exempt_files: dict[str, str] | None = None) -> list[Leak]:
    """Each place a procedure word stands in platform/ or renderers/ (see the module's rule)."""
    own = format_words(root)
    words = {w: s for w, s in procedure_words(root).items() if w not in allowed and w not in own}
    exempt = exempt_files or {}
    leaks = []
    for path in code_files(root):
        name = path.relative_to(root).as_posix()
        if name in exempt:
            continue
        for line, word, is_name in _scan_file(path):
            if word in words and (is_name or distinctive(word)):
                leaks.append(Leak(name, line, word, words[word]))
    return sorted(set(leaks), key=lambda leak: (leak.file, leak.line, leak.word))
