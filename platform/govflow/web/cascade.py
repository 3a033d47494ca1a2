"""Region pickers: a cascading pick-list (province → city → district) as one select per level,
the next level rendered by the server for the one chosen above — with JavaScript (the level's own
htmx re-check of the field) and without (a 【下一级】 button, a named submit that saves nothing and
shows the page again with the next level). No select ever lists all the leaves.

The level selects are named `_level-<field>-<depth>` (a leading `_`: never an answer themselves);
`chosen` turns them into the field's value, the deepest level that follows from the one above
(a province changed: its old city is dropped). That value is a leaf when the choice is complete,
an inner code while it is not (validation then asks for the next level), "" when nothing is
chosen. A hidden input holds the value as rendered, for posts that do not read the levels.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from .. import catalog, hant

LEVEL = "_level-"
STEP = "_cascade"        # the 【下一级】 button's name: the page is shown again, nothing saved


def _picklist(field, picklists):
    pl = picklists.get(field.options) if field.widget == "region" and isinstance(field.options, str) else None
    return pl if pl is not None and pl.is_cascade else None


def chosen(form, page_def, picklists) -> dict:
    """The value of each region field of the page whose level selects were posted."""
    out: dict = {}
    for f in page_def.input_fields():
        pl = _picklist(f, picklists)
        prefix = f"{LEVEL}{f.name}-"
        if pl is None or not any(k.startswith(prefix) for k in form):
            continue
        value, offered, depth = "", pl.options, 0
        while offered:
            picked = form.get(f"{prefix}{depth}") or ""
            if not any(o["value"] == picked for o in offered):
                break
            value, offered, depth = picked, pl.children(picked), depth + 1
        out[f.name] = value
    return out


def _levels(pl, path: list) -> list[tuple[list, str | None]]:
    """(options, selected) per level shown: the first level, then the children of each chosen one."""
    levels = [(pl.options, path[0] if path else None)]
    for depth, code in enumerate(path):
        children = pl.children(code)
        if not children:
            break
        levels.append((children, path[depth + 1] if depth + 1 < len(path) else None))
    return levels


def region(f: dict, name: Markup, view: dict, label: str, aria: str, option_tags) -> str:
    """The widget: a select per level (the first one labelled by the field's label), the value as
    rendered in a hidden input, and the no-JS 【下一级】/【确定】 button."""
    pl = view["ui"]["picklists"].get(f.get("picklist"))
    if pl is None:
        return label
    path = [str(p) for p in f.get("path") or ()]
    refresh = escape(view["urls"].page("html.refresh"))
    target = "#form-body" if f.get("controls") else f"#f-{name}"
    blank = escape(catalog.text("ui.please_choose"))
    selects = []
    for depth, (options, selected) in enumerate(_levels(pl, path)):
        options = hant.localised(options)      # 繁體: the labels (a shared level is converted once)
        ident = f"i-{name}" if depth == 0 else f"i-{name}-{depth}"
        named = aria if depth == 0 else \
            f' aria-label="{escape(f["title"])}{escape(catalog.text("region.level", n=depth + 1))}"'
        selects.append(
            f'<select id="{ident}" name="{LEVEL}{name}-{depth}" data-no-refresh\n'
            f'          hx-post="{refresh}?field={LEVEL}{name}" hx-trigger="change" hx-include="closest form"\n'
            f'          hx-target="{target}" hx-select="{target}" hx-swap="outerHTML" '
            f'hx-encoding="multipart/form-data"\n          hx-sync="closest form:queue last"{named}>\n'
            f'    <option value="">{blank}</option>{option_tags(options, selected)}\n  </select>')
    complete = bool(path) and pl.contains(path[-1])
    button = catalog.text("region.done" if complete else "region.next")
    value = escape(f["value"] or "")
    return (f'{label}\n<div class="cascade">\n  ' + "\n  ".join(selects) +
            f'\n  <input type="hidden" name="{name}" value="{value}">\n'
            f'  <button type="submit" name="{STEP}" value="{name}" class="secondary nojs-only">'
            f'{escape(button)}</button>\n</div>')
