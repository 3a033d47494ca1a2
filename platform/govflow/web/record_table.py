"""The `records` widget: a table of the records a field offers (`options_from:`), one radio
button per record, the flow's columns shown (masked where a column says so); with no record,
the field's `empty` text and nothing to choose (journey/records.py checks the answer)."""
from __future__ import annotations

from markupsafe import Markup, escape


def records_widget(f: dict, name: Markup, view: dict) -> str:
    described = f' aria-describedby="e-{name}"' if f["error"] else ""
    legend = f'<legend>{escape(f["title"])}</legend>'
    rows = f.get("records") or []
    if not rows:
        empty = escape(f.get("empty") or "")
        return f'<fieldset id="i-{name}"{described}>\n  {legend}\n  <p class="empty">{empty}</p>\n</fieldset>'
    columns = f.get("columns") or {}
    head = "".join(f'<th scope="col">{escape(title)}</th>' for title in columns.values())
    body = ""
    for row in rows:
        checked = " checked" if row["value"] == f["value"] else ""
        shown = [str(row["cells"].get(key, "")) for key in columns]
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in shown)
        body += (f'\n    <tr><td><input type="radio" name="{name}" value="{escape(row["value"])}"{checked} '
                 f'aria-label="{escape(" ".join(shown))}"></td>{cells}</tr>')
    return (f'<fieldset id="i-{name}"{described} class="records">\n  {legend}\n  <table class="records">\n'
            f'    <thead><tr><td></td>{head}</tr></thead><tbody>{body}\n  </tbody></table>\n</fieldset>')
