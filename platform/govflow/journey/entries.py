"""A page's entries: what the citizen typed and uploaded on a page that is not yet saved by its
button (下一步), kept in the draft so a reload, a closed browser or a lost session loses nothing.

Entries are not answers: nothing decides on them, the page is not done by them, and they are
kept as posted (strings, upload ids) in the application's sealed context under `entries`,
per page. A page's entries go when its answers are stored (the answers then hold them).

Saving entries bumps the application's revision like any save; the form's revision
(`form_revision`) does not count those saves (`context.entry_saves`), so the citizen's own next
post of the page is not taken for a stale one, while a save that changed answers still is.
"""
from __future__ import annotations

KEY, SAVES = "entries", "entry_saves"
MAX_CHARS = 2000          # per value: a form field, never a document


def form_revision(app) -> int:
    """The revision the page's form carries (`_revision`): saves of entries only do not count."""
    return app.revision - int(app.context.get(SAVES) or 0)


def of(app, page_id: str) -> dict:
    return dict((app.context.get(KEY) or {}).get(page_id) or {})


def _kept(page, data: dict) -> dict:
    """The page's own inputs as posted; an SMS code is not kept (it proves a phone once)."""
    fields = page.input_fields()
    return {f.name: data[f.name][:MAX_CHARS] for f in fields
            if isinstance(data.get(f.name), str) and not f.sms_phone_field}


def keep(journey, draft, page, data: dict) -> bool:
    """Save the page's entries into the draft now (its own save, so it is not counted as a change of
    answers); whether anything changed. Unsaved changes of the step are saved first, as they are."""
    if draft.app.status != "draft":
        return False
    kept = _kept(page, data)
    if kept == of(draft.app, page.id):
        return False
    journey.save(draft)
    context = draft.app.context
    entries = context.setdefault(KEY, {})
    if kept:
        entries[page.id] = kept
    else:
        entries.pop(page.id, None)
    count_save(draft.app)
    draft.env.store.applications.save(draft.app)
    return True


def drop(app, page_id: str) -> None:
    """The page's answers were stored: its entries are no longer needed."""
    entries = app.context.get(KEY)
    if entries and page_id in entries:
        del entries[page_id]


def repoint(app, old_ids: set[str], new_id: str | None) -> bool:
    """An uploaded file was replaced (or removed, `new_id` None): entries naming it follow.
    Whether any did."""
    found = False
    for values in (app.context.get(KEY) or {}).values():
        for name in [n for n, v in values.items() if v in old_ids]:
            found = True
            if new_id is None:
                del values[name]
            else:
                values[name] = new_id
    return found


def count_save(app) -> None:
    """The next save of `app` changes its entries only (see form_revision)."""
    app.context[SAVES] = int(app.context.get(SAVES) or 0) + 1


def shown(draft, page) -> dict | None:
    """What the page shows on GET when entries were kept (a whole post of the page: an unticked box
    is absent, as in the form), files still in the store only; None when there are none."""
    kept = of(draft.app, page.id)
    if not kept:
        return None
    uploads = draft.env.store.uploads
    for f in page.input_fields():
        if f.type == "upload" and kept.get(f.name) and uploads.get(draft.app.id, kept[f.name]) is None:
            del kept[f.name]
    return kept
