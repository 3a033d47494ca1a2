"""Keep a draft consistent: answers that no longer apply are dropped, pages that no longer pass are reopened.

Switching 领卡方式 or the document type must not leave stale answers (or files) behind. After a
page is saved, only the completed pages whose inputs changed (`PageDef.reads`: their fields,
what their conditions and rule sets read) are validated again.
"""
from __future__ import annotations

from ..rules import holds
from . import entries
from .validation import validate_page


def _forget_upload(env, draft, value) -> None:
    if value:
        env.store.uploads.delete(draft.app.id, value)


def store_answers(env, draft, page, check) -> None:
    """Save the page's cleaned values (replacing the old ones) and the phones proven by SMS code."""
    draft.begin_change()
    app = draft.app
    old = dict(app.answers.get(page.id, {}))
    # an SMS code proves the phone once; it is not an answer and is not kept
    app.answers[page.id] = {k: v for k, v in check.values.items()
                            if not (page.fields.get(k) and page.fields[k].sms_phone_field)}
    for name, value in old.items():
        field = page.fields.get(name)
        if field is not None and field.type == "upload" and check.values.get(name) != value:
            _forget_upload(env, draft, value)
    app.context.setdefault("verified_phones", {}).update(check.verified)
    entries.drop(app, page.id)                 # the answers hold what was entered now
    draft.changed()
    drop_inapplicable(env, draft)


def drop_inapplicable(env, draft) -> None:
    facts = draft.facts
    app = draft.app
    dropped = False
    for page in draft.flow.pages.values():
        answers = app.answers.get(page.id)
        if not answers:
            continue
        for f in page.conditional_inputs:         # a field without `when:` always applies
            if f.name in answers and not holds(f.condition, facts):
                value = answers.pop(f.name)
                dropped = True
                if f.type == "upload":
                    _forget_upload(env, draft, value)
        for name in [n for n in answers if n not in page.input_names]:   # fields no longer in the flow
            del answers[name]
            dropped = True
    if dropped:
        draft.changed()
    phones = app.context.get("verified_phones") or {}
    stale = [n for n, phone in phones.items() if draft.answers.get(n) != phone]
    for name in stale:
        del phones[name]
    if stale:
        draft.changed()


def changed_facts(draft) -> set[str] | None:
    """Fact paths whose value the step changed; None when unknown (then everything is re-checked)."""
    if draft.baseline is None:
        return set()
    before, after = draft.baseline, draft.snapshot()
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def recheck_changed(env, draft, page_id: str) -> None:
    """Re-validate the other completed pages whose inputs changed; one that no longer passes
    must be filled in again."""
    changed = changed_facts(draft)
    if not changed:
        return
    prefixes = tuple(p + "." for p in changed)
    for other in [p for p in draft.app.done if p != page_id]:
        page = draft.flow.pages.get(other)
        if page is None or page.final or not (page.input_fields() or page.checks):
            continue
        if not (page.reads & changed) and not any(r.startswith(prefixes) for r in page.reads):
            continue
        check = validate_page(env, draft.flow, page, draft.app.answers.get(other, {}), draft)
        if not check.ok:
            draft.reopen(other)
