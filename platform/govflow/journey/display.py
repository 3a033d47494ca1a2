"""How a stored value is shown to a citizen: option labels, masked numbers, 是/否, branch names."""
from __future__ import annotations

from .. import catalog, formats
from ..definitions.model import FieldDef

MASKS = {"id": formats.mask_id, "phone": formats.mask_phone, "name": formats.mask_name}


def option_label(field: FieldDef, value, picklists) -> str | None:
    if isinstance(field.options, list):
        return next((o["label"] for o in field.options if o["value"] == value), None)
    if isinstance(field.options, str):
        pl = picklists.get(field.options)
        if pl is None:
            return None
        if pl.is_cascade:
            path = pl.path(value)
            return " / ".join(path) if path else None
        return pl.label(value)
    return None


PERSONAL_FORMATS = {"mobile": formats.mask_phone, "resident_id": formats.mask_id}


def masked(field: FieldDef, value):
    """The value as far as it may be shown back when the citizen did not type it on the page
    being shown: ID numbers and phones (a field's `mask:` or its format) masked, others as they are."""
    if value is None or value == "" or not isinstance(value, str):
        return value
    mask = MASKS.get(field.mask) if field.mask else None
    mask = mask or (PERSONAL_FORMATS.get(field.format) if field.format else None)
    return mask(value) if mask is not None else value


def display(field: FieldDef, value, env, masked: bool = True) -> str:
    if value is None or value == "":
        return ""
    if field.type == "boolean":
        return catalog.text("ui.yes" if value else "ui.no")
    if field.type == "upload":
        return catalog.text("ui.uploaded_value")
    if field.verify == "branch":
        branch = env.services.branches.get(value)
        return f"{branch.name}（{branch.address}）" if branch else str(value)
    if field.type == "date":
        return formats.show_date(value)
    label = option_label(field, value, env.picklists)
    if label:
        return label
    text = str(value.isoformat() if hasattr(value, "isoformat") else value)
    if masked and field.mask in MASKS:
        return MASKS[field.mask](text)
    if masked and field.format == "mobile":
        return formats.mask_phone(text)
    return text
