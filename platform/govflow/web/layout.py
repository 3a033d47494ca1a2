"""How a page's fields are laid out in the HTML form: its groups as fieldsets, and the values of
fields that no longer apply, carried in hidden inputs (web/html.py builds the view with these)."""
from __future__ import annotations


def groups(view: dict) -> dict:
    """The page's field groups (fieldsets, in the flow's order) and the fields in none of them."""
    by_name = {f["name"]: f for f in view["fields"]}
    groups: list[dict] = []
    grouped: set[str] = set()
    for g in view["groups"]:
        fields = [by_name[n] for n in g["fields"] if n in by_name]
        grouped.update(f["name"] for f in fields)
        groups.append({"title": g["title"], "fields": fields})
    return {"groups": groups, "rest": [f for f in view["fields"] if f["name"] not in grouped]}


def form_text(value) -> str | None:
    """A value as a form sends it back (a ticked box is "true")."""
    if value is None or value is False:
        return None
    return "true" if value is True else str(value)


def kept(page, posted: dict | None, view: dict) -> dict:
    """What the citizen typed into fields that no longer apply (another answer changed): not
    shown, but carried in hidden inputs so that switching back during this visit brings it
    back. It is never checked, and it is not saved (journey/invalidation.py)."""
    if not posted:
        return {}
    shown = {f["name"] for f in view["fields"]}
    inputs = page.input_names
    return {name: text for name, value in posted.items()
            if name in inputs and name not in shown and (text := form_text(value))}
