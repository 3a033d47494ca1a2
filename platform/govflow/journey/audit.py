"""The decision trail: which rule decided what, with personal data masked before it is stored."""
from __future__ import annotations

import re

from .. import formats

_ID_LIKE = re.compile(r"^[0-9A-Za-z]{8,18}$")
_PHONE = re.compile(r"^1\d{10}$")


def mask_value(path: str, value):
    """Names, ID numbers, phone numbers and birth dates never reach the audit log in clear."""
    leaf = path.rsplit(".", 1)[-1]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if leaf == "name" or leaf.endswith("_name"):
        return formats.mask_name(text)
    if leaf == "birth_date":
        return text[:4] + "-**-**"
    if _PHONE.match(text):
        return formats.mask_phone(text)
    if _ID_LIKE.match(text) and any(ch.isdigit() for ch in text):
        return formats.mask_id(text)
    return text


def mask_facts(facts: dict) -> dict:
    return {path: mask_value(path, value) for path, value in facts.items()}


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def record(env, draft, evaluations, when: str, view=None) -> None:
    """Store each evaluation in which at least one rule fired (those are the ones that steer),
    in the step's transaction; and every evaluation's inputs (`view`: the FactView the rule sets
    read), sealed, for replaying a changed rule set on past decisions."""
    app, flow = draft.app, draft.flow
    if view is not None and evaluations:
        book = env.rulebook
        entries = []
        for ev in evaluations:
            paths = book.catalogue.input_paths(book.rulesets[ev.ruleset].facts_read)
            inputs = {p: _plain(v) for p in paths if (v := view.seen(p)) is not None}
            entries.append((ev.ruleset, ev.version, [f.rule_id for f in ev.fired], inputs))
        env.store.rule_inputs.record(app.id, when, entries)
    for ev in evaluations:
        if not ev.fired:
            continue
        facts: dict = {}
        for fired in ev.fired:
            facts.update(fired.facts_used)
        env.store.decisions.record(
            application_id=app.id, ruleset=ev.ruleset, ruleset_version=ev.version, flow_id=flow.id,
            flow_version=flow.version, rule_ids=[f.rule_id for f in ev.fired],
            outcome={"when": when, "outcomes": {f.rule_id: f.outcome for f in ev.fired}},
            facts=mask_facts(facts))
