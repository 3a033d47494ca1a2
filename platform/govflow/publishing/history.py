"""Rule ids across every version ever published: a retired id is not reused for another rule.

Auditors read a decision by its rule id (the decision trail keeps the id, the outcome and the rule
file's version). An id that once meant one restriction and, after being retired, comes back
meaning something else makes old and new decisions look alike. So a draft (and `make check`, when
a store is present) is checked against the version store:

- `rule.id_reused` (error): the draft has a rule whose id is absent from the live version but was
  in an earlier published one (retired), and its meaning differs from the last published version
  that had it. The meaning of a rule is its normalised condition (definitions.analysis.canonical:
  `in [x]` is `eq x`, the order of `all`/`any` items does not count) and its outcome without the
  message text (refuse/restrict/redirect, the field, the allowed values, the target flow and page):
  rewording a message does not change what a rule decides.
- Reinstating a retired rule with the same meaning is allowed (it is the same rule again).
- A rule that is in the live version may change its meaning under the same id: that is an amendment
  of a rule in force (e.g. a new age limit); the decision trail tells the versions apart by the rule
  file's version, and the draft's changes show old → new to the reviewer.

The meanings of a published version are kept in the store's archive (kind `rule_meanings`), written
when a draft is published and, for versions published before, computed once from the archived
bundle when first needed.
"""
from __future__ import annotations

import hashlib
import json

from ..definitions.analysis import canonical
from ..definitions.bundle import load_files
from ..errors import Problem
from ..formats import SHANGHAI
from ..say import say

KIND, NAME = "rule_meanings", "v1"      # NAME: the form of `meaning`; a new form is a new name


def meaning(rule) -> str:
    """What a rule decides, as a short digest: its normalised condition and its outcome without the message."""
    kind, body = next(iter(rule.then.items()))
    outcome: dict = {"kind": kind}
    for key in ("field", "flow", "page"):
        if key in body:
            outcome[key] = str(body[key])
    if "to" in body:
        outcome["to"] = sorted(map(str, body["to"]))
    text = repr((canonical(rule.when), sorted(outcome.items())))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def meanings_of(rulebook) -> dict[str, dict]:
    """rule id -> {meaning, title, file} for every rule of a loaded RuleBook."""
    return {rule.id: {"meaning": meaning(rule), "title": rule.title, "file": rule.file}
            for rs in rulebook.rulesets.values() for rule in rs.rules}


class RuleHistory:
    """The rule ids of the published versions of one store. What is missing (versions published
    before the meanings were kept) is computed from the archived bundle once and kept, also by
    `make check`; `keep=False` does not write it."""

    def __init__(self, store, bundles, keep: bool = True):
        self.store = store
        self.bundles = bundles
        self.keep = keep

    def remember(self, version: str, rulebook) -> dict[str, dict]:
        found = meanings_of(rulebook)
        if self.keep:
            try:
                self.store.versions.remember(KIND, NAME, version, json.dumps(found, sort_keys=True, ensure_ascii=False))
            except ValueError:      # kept before with other words (e.g. titles of another code version)
                pass
        return found

    def meanings(self, version: str) -> dict[str, dict] | None:
        """The rules of a published version; None when its bundle can no longer be read."""
        text = self.store.versions.get(KIND, NAME, version)
        if text is not None:
            return json.loads(text)
        definitions = self.bundles.current if version == self.bundles.current_version else None
        if definitions is None:      # an older bundle: loaded for this once, not kept in memory
            try:
                definitions, _ = load_files(self.bundles.files(version))
            except LookupError:
                return None
        if definitions is None:      # it no longer loads: its rules cannot be read
            return None
        return self.remember(version, definitions.rulebook)

    def mark(self) -> int:
        """Changes whenever something is published (what a cached verdict depends on)."""
        newest = self.store.publications.history(limit=1)
        return newest[0].id if newest else 0

    def problems(self, rulebook) -> list[Problem]:
        """`rule.id_reused` for each rule of `rulebook` that reuses a retired id with another meaning."""
        publications = list(reversed(self.store.publications.history(limit=None)))   # oldest first
        if not publications:
            return []
        live = self.store.publications.live()
        current = (self.meanings(live.version) or {}) if live is not None else {}
        last: dict[str, tuple] = {}
        seen: dict[str, dict | None] = {}
        for pub in publications:
            if pub.version not in seen:
                seen[pub.version] = self.meanings(pub.version)
            for rule_id, entry in (seen[pub.version] or {}).items():
                last[rule_id] = (pub, entry)
        out: list[Problem] = []
        for rs in rulebook.rulesets.values():
            for rule in rs.rules:
                if rule.id in current or rule.id not in last:
                    continue
                pub, entry = last[rule.id]
                if entry["meaning"] == meaning(rule):
                    continue
                when = pub.effective_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
                values = {"id": rule.id, "title": rule.title, "old_title": entry.get("title") or rule.id,
                          "version": pub.version, "when": when, "old_file": entry.get("file") or ""}
                out.append(Problem("rule.id_reused", rule.id, say("history.id_reused.message", **values),
                                   rule.file, rule.line, say("history.id_reused.hint", **values)))
        return out
