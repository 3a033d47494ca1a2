"""Keep a draft consistent: answers that no longer apply are dropped, pages that no longer pass are reopened.

Switching 领卡方式 or the document type must not leave stale answers (or files) behind.
"""
from __future__ import annotations

from .facts import build_facts, flat_answers
from .validation import applicable, validate_page


def _drop(env, app, flow, page_id: str, name: str) -> None:
    value = app.answers.get(page_id, {}).pop(name, None)
    field = flow.field(name)
    if value and field is not None and field.type == "upload":
        env.store.uploads.delete(app.id, value)


def store_answers(env, app, flow, page, check) -> None:
    """Save the page's cleaned values (replacing the old ones) and the phones proven by SMS code."""
    old = dict(app.answers.get(page.id, {}))
    # an SMS code proves the phone once; it is not an answer and is not kept
    app.answers[page.id] = {k: v for k, v in check.values.items()
                            if not (page.fields.get(k) and page.fields[k].sms_phone_field)}
    for name, value in old.items():
        field = flow.field(name)
        if field is not None and field.type == "upload" and value and check.values.get(name) != value:
            env.store.uploads.delete(app.id, value)
    phones = app.context.setdefault("verified_phones", {})
    phones.update(check.verified)
    drop_inapplicable(env, app, flow)


def drop_inapplicable(env, app, flow) -> None:
    facts = build_facts(flow, app.context, flat_answers(app.answers), env.today())
    for page in flow.pages.values():
        answers = app.answers.get(page.id)
        if not answers:
            continue
        keep = {f.name for f in applicable(page, facts)}
        for name in [n for n in answers if n not in keep]:
            _drop(env, app, flow, page.id, name)
    phones = app.context.get("verified_phones") or {}
    answers = flat_answers(app.answers)
    for name in [n for n, phone in phones.items() if answers.get(n) != phone]:
        del phones[name]


def recheck_later_pages(engine, app, flow, page_id: str) -> None:
    """Re-validate every other completed page; one that no longer passes must be filled again."""
    for other in [p for p in app.done if p != page_id]:
        page = flow.page(other)
        if page is None or page.final or not (page.input_fields() or page.checks):
            continue
        check = validate_page(engine.env, flow, page, app.answers.get(other, {}), app)
        if not check.ok:
            app.done.remove(other)
