"""The error summary at the top of a page says what is wrong on the page now, after every swap.

A field shown with an error carries it in the form (`_shown`: "field:code", web/widgets.py), so a
re-check that changes one field (htmx `_refresh`, a file chosen, a code sent, a no-JS 【获取图片】 or
X) knows which errors the page shows: it checks the page again and shows those that still hold,
plus the changed field's own. An error the re-check cannot decide (an SMS code is checked only by
the page's button, which may use it up) stays as shown until its field changes.
"""
from __future__ import annotations

from .. import catalog
from ..errors import Problem
from ..journey import validate_page
from ..journey.fieldcheck import problem

SHOWN = "_shown"


def shown(form) -> dict[str, str]:
    """The errors the page showed: field name -> error code."""
    out: dict[str, str] = {}
    for item in form.getlist(SHOWN):
        name, _, code = str(item).partition(":")
        if name:
            out[name] = code
    return out


def current(draft, page_def, data: dict, form, changed: str | None = None,
            extra: list[Problem] | None = None) -> tuple[list[Problem], object]:
    """The page's errors to show now (page order) and the page's check (to render it with): `extra`,
    what this request itself found (a refused file, a code not sent), and of the others those the
    page showed or that belong to the `changed` field."""
    check = validate_page(draft.env, draft.flow, page_def, data, draft, from_form=True, verify_sms=False)
    before = shown(form)
    wanted = set(before) | ({changed} if changed else set())
    found: dict[str, Problem] = {p.path: p for p in reversed(extra or []) if p.path}   # this request's own
    for p in check.problems:
        if p.path in wanted and p.path not in found:
            found[p.path] = p
    for name, code in before.items():      # shown, not decided by this check, and not changed since
        field = page_def.fields.get(name)
        if name not in found and name != changed and name in check.unchecked and field is not None \
                and catalog.has(code):
            found[name] = problem(field, code)
    order = {name: i for i, name in enumerate(page_def.fields)}
    pageless = [p for p in extra or [] if not p.path]
    return pageless + sorted(found.values(), key=lambda p: order.get(p.path, len(order))), check
