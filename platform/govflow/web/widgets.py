"""The HTML of one field: the wrapper every field shares, and one small function per widget,
dispatched from a table (as jsonschema's keywords are) — called `field(f, view, live_field)`
from the page templates.

Each function takes the field's view (journey/views.py `field_view`; the keys only some
widgets have are read with .get) and the page's view, and returns escaped HTML. Everything that
comes from a flow file or a citizen goes through `escape`; the citizen's text comes from the
message catalogue. A new widget is a function here and a name in the flow schema's `widget`
enum (a test checks that both lists agree).
"""
from __future__ import annotations

import re
from typing import Callable

from flask import request, url_for
from markupsafe import Markup, escape

from .. import catalog, hant
from ..store.crypto import CryptoError
from . import cascade, summary
from .common import journey
from .option_tags import option_tags
from .record_table import records_widget

PHOTO_REF = "photo-receipt-ref:"
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
_ROUTES: dict[tuple[str, str], str] = {}     # (mount point, endpoint) -> URL with placeholders


class PageUrls:
    """The URLs of one page and its fields. url_for costs more than most fields do, so each
    endpoint is built once per process with placeholders, and filled in per page and field
    (ids and names are plain URL-safe words; anything else goes through url_for)."""

    def __init__(self, app_id: str, page_id: str):
        self._app_id, self._page_id = app_id, page_id
        self._plain = bool(_PLAIN.fullmatch(app_id) and _PLAIN.fullmatch(page_id))

    def page(self, endpoint: str) -> str:
        if not self._plain:
            return url_for(endpoint, app_id=self._app_id, page_id=self._page_id)
        return self._route(endpoint, False).replace("__app__", self._app_id).replace("__page__", self._page_id)

    def field(self, endpoint: str, name: str) -> str:
        if not (self._plain and _PLAIN.fullmatch(name)):
            return url_for(endpoint, app_id=self._app_id, page_id=self._page_id, field=name)
        return (self._route(endpoint, True).replace("__app__", self._app_id)
                .replace("__page__", self._page_id).replace("__field__", name))

    @staticmethod
    def _route(endpoint: str, with_field: bool) -> str:
        key = (request.script_root, endpoint)
        url = _ROUTES.get(key)
        if url is None:
            url = _ROUTES[key] = (url_for(endpoint, app_id="__app__", page_id="__page__", field="__field__")
                                  if with_field else url_for(endpoint, app_id="__app__", page_id="__page__"))
        return url


_FIXED: dict[tuple[bool, str], Markup] = {}        # escaped catalogue texts without parameters, per script


def _msg(key: str, **params) -> Markup:
    if params:
        return escape(catalog.text(key, **params))
    text = _FIXED.get((hant.active(), key))
    if text is None:
        text = _FIXED[(hant.active(), key)] = escape(catalog.text(key))
    return text


def _value(f: dict) -> Markup:
    value = f["value"]
    return escape("" if value is None else value)


def _value_or_blank(f: dict) -> Markup:
    return escape(f["value"] or "")


def _aria(f: dict, name: Markup, hint: str = "") -> str:
    """aria-describedby (a widget's own hint, help, error), aria-invalid and required of a form control."""
    error = f["error"]
    ids = " ".join(i for i in (hint, f"h-{name}" if f["help"] else "", f"e-{name}" if error else "") if i)
    out = f' aria-describedby="{ids}"' if ids else ""
    if error:
        out += ' aria-invalid="true"'
    if f["required"]:
        out += " required"
    return out


def _label(f: dict, name: Markup) -> str:
    optional = ("" if f["required"] or f["readonly"]
                else f'<span class="optional">{_msg("ui.optional")}</span>')
    return f'<label for="i-{name}">{escape(f["title"])}{optional}</label>'


def _notice(f: dict) -> str:
    notice = f["notice"]
    if not notice:
        return ""
    title = escape(notice.get("title") or catalog.text("ui.notice"))
    return f'<aside class="notice" role="note"><h2>{title}</h2><p>{escape(notice.get("text"))}</p></aside>\n'


def _checked(f: dict) -> str:
    return " checked" if f["value"] else ""


# -- the widgets ---------------------------------------------------------------------------------

def _input(kind: str, extra: str = "") -> Callable[[dict, Markup, dict], str]:
    def render(f: dict, name: Markup, view: dict) -> str:
        placeholder = f' placeholder="{escape(f["placeholder"])}"' if f["placeholder"] else ""
        return (f'{_label(f, name)}\n<input type="{kind}"{extra} id="i-{name}" name="{name}" value="{_value(f)}"'
                f'{placeholder}{_aria(f, name)}>')
    return render


def _date(f: dict, name: Markup, view: dict) -> str:
    """A date picker on a phone, with the format said (年-月-日): a browser without one shows a text
    box, and 2024年5月12日, 2024-5-12 or 20240512 typed there are read too (fieldcheck.coerce)."""
    return (f'{_label(f, name)}\n<p class="help date-hint" id="d-{name}">{_msg("date.hint")}</p>\n'
            f'<input type="date" id="i-{name}" name="{name}" value="{_value(f)}"'
            f'{_aria(f, name, f"d-{name}")}>')


def _textarea(f: dict, name: Markup, view: dict) -> str:
    return f'{_label(f, name)}\n<textarea id="i-{name}" name="{name}" rows="3"{_aria(f, name)}>{_value(f)}</textarea>'


def _select(f: dict, name: Markup, view: dict) -> str:
    options = f.get("options") or ()
    searchable = f' data-searchable data-filter-text="{_msg("select.filter")}"' if len(options) > 20 else ""
    return (f'{_label(f, name)}\n<select id="i-{name}" name="{name}"{searchable}{_aria(f, name)}>\n'
            f'  <option value="">{_msg("ui.please_choose")}</option>\n'
            f'  {option_tags(options, f["value"])}\n</select>')


def _region(f: dict, name: Markup, view: dict) -> str:
    return cascade.region(f, name, view, _label(f, name), _aria(f, name), option_tags)


def _radio(f: dict, name: Markup, view: dict) -> str:
    described = f' aria-describedby="e-{name}"' if f["error"] else ""
    value = f["value"]
    choices = "".join(
        f'\n  <label class="choice"><input type="radio" name="{name}" value="{escape(o["value"])}"'
        f'{" checked" if o["value"] == value else ""}> {escape(o["label"])}</label>\n  '
        for o in (f.get("options") or ()))
    return f'<fieldset id="i-{name}"{described}>\n  <legend>{escape(f["title"])}</legend>\n  {choices}\n</fieldset>'


def _checkbox(f: dict, name: Markup, view: dict) -> str:
    return (f'{_notice(f)}<label class="choice"><input type="checkbox" id="i-{name}" name="{name}" value="true"'
            f'{_checked(f)}{_aria(f, name)}> {escape(f["title"])}</label>')


def _readonly(f: dict, name: Markup, view: dict) -> str:
    return (f'<p class="readonly"><span class="label" id="i-{name}">{escape(f["title"])}</span>'
            f'<span class="value">{escape(f["display"])}</span></p>')


def _sms_code(f: dict, name: Markup, view: dict) -> str:
    url = escape(view["urls"].field("html.send_code", f["name"]))
    sms = f.get("sms")
    countdown = f' data-countdown="{escape(sms["seconds"])}"' if sms else ""
    sent = f'\n<p class="note" role="status">{escape(sms["message"])}</p>' if sms else ""
    return (f'{_label(f, name)}\n<div class="sms">\n'
            f'  <input type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="6" id="i-{name}" '
            f'name="{name}" value="{_value_or_blank(f)}" data-no-refresh{_aria(f, name)}>\n'
            f'  <button type="submit" class="secondary send-code"\n          formaction="{url}"\n'
            f'          data-field="{name}" data-phone-field="{escape(f.get("phone_field"))}"\n'
            f'          data-sms-url="{url}"\n'
            f'          data-label="{_msg("sms.send")}" data-wait="{_msg("sms.resend_in", seconds="{seconds}")}"\n'
            f'          {countdown}>{_msg("sms.send")}</button>\n</div>{sent}')


def photo_ref(app_id: str, receipt: str) -> str:
    """The photo's URL names the receipt number encrypted (AES-GCM, bound to the application):
    URLs end up in access logs and in the Referer, a receipt number must not."""
    return journey().env.store.keyring.seal(receipt, PHOTO_REF + app_id)


def receipt_of(app_id: str, ref: str) -> str | None:
    try:
        return journey().env.store.keyring.unseal(ref, PHOTO_REF + app_id)
    except CryptoError:
        return None


def _chosen_photo(f: dict, src: str) -> str:
    """The portrait of the source chosen (only that one is shown), said to be the one for the card."""
    return (f'<figure class="chosen-photo"><img class="thumb" alt="{escape(f["title"])}" src="{escape(src)}">'
            f'<figcaption>{_msg("ui.used_for_card")}</figcaption></figure>')


def _photo_receipt(f: dict, name: Markup, view: dict) -> str:
    found = ""
    if f.get("photo_found") and f["value"]:
        app_id = view["application"]["id"]     # the receipt number sealed, never plain in a URL (logged)
        found = "\n" + _chosen_photo(f, url_for("html.card_photo", app_id=app_id, ref=photo_ref(app_id, f["value"])))
    return (f'{_label(f, name)}\n<div class="sms">\n'
            f'  <input type="text" id="i-{name}" name="{name}" value="{_value_or_blank(f)}"{_aria(f, name)}>\n'
            f'  <button type="submit" name="_preview" value="{name}" class="secondary">'
            f'{_msg("ui.fetch_photo")}</button>\n</div>{found}')


def _system_photo(f: dict, name: Markup, view: dict) -> str:
    photo = ""
    if f.get("photo_available"):
        photo = _chosen_photo(f, url_for("html.card_photo", app_id=view["application"]["id"]))
    return (f'{photo}\n<label class="choice"><input type="checkbox" id="i-{name}" name="{name}" value="true"'
            f'{_checked(f)}> {escape(f["title"])}</label>')


def _upload(f: dict, name: Markup, view: dict) -> str:
    title = escape(f["title"])
    if f["value"]:
        src = escape(url_for("html.uploaded", app_id=view["application"]["id"], upload_id=f["value"]))
        inner = (f'<input type="hidden" name="{name}" value="{escape(f["value"])}">\n  <div class="preview">\n'
                 f'    <img class="thumb" alt="{_msg("ui.uploaded", title=f["title"])}" src="{src}">\n'
                 f'    <button type="submit" name="_delete" value="{name}" class="remove" '
                 f'aria-label="{_msg("ui.remove_upload", title=f["title"])}">X</button>\n  </div>')
    else:
        limit = view["ui"]["upload_max_bytes"]
        max_mb = int(limit / 1048576 + 0.5)
        data = (f'data-max-bytes="{escape(limit)}" data-msg-type="{_msg("upload.not_image")}" '
                f'data-msg-size="{_msg("upload.too_large", max_mb=max_mb)}" class="visually-hidden-file"')
        inner = (f'<div class="pickers">\n'
                 f'    <label class="picker">{_msg("ui.camera")}<input type="file" name="{name}" accept="image/*" '
                 f'capture="environment" {data}></label>\n'
                 f'    <label class="picker">{_msg("ui.album")}<input type="file" name="{name}" '
                 f'accept="image/jpeg,image/png,image/webp" {data}></label>\n  </div>\n'
                 f'  <progress class="upload-progress" max="100" value="0" hidden>'
                 f'{_msg("upload.uploading")}</progress>\n'
                 f'  <p class="help">{_msg("ui.upload_hint", max_mb=max_mb)}</p>')
    return f'<fieldset class="upload" id="i-{name}">\n  <legend>{title}</legend>\n  {inner}\n</fieldset>'


def _branch(f: dict, name: Markup, view: dict) -> str:
    choose = escape(view["urls"].field("html.branches", f["name"]))
    results = escape(view["urls"].field("html.branch_results", f["name"]))
    regions = view["ui"]["picklists"].get(f["regions"]) if f.get("regions") else None
    areas = "" if regions is None else "".join(
        f'\n        <option value="{escape(city["value"])}">{escape(city["label"])}</option>\n        '
        + "".join(f'<option value="{escape(county["value"])}">　{escape(county["label"])}</option>'
                  for county in regions.children(city["value"]))
        for city in regions.options)
    shown = escape(f["display"] or catalog.text("ui.not_chosen"))
    return (f'<fieldset id="i-{name}" class="branch">\n  <legend>{escape(f["title"])}</legend>\n'
            f'  <input type="hidden" name="{name}" value="{_value_or_blank(f)}">\n'
            f'  <p class="value" aria-live="polite">{shown}</p>\n'
            f'  <button type="submit" class="secondary nojs-only" formaction="{choose}" formnovalidate>'
            f'{_msg("ui.choose_branch_link")}</button>\n'
            f'  <div class="js-only branch-search" hidden>\n'
            f'    <label for="bq-{name}">{_msg("ui.branch_keyword")}</label>\n'
            f'    <input type="search" id="bq-{name}" name="q" data-no-refresh autocomplete="off"\n'
            f'           hx-get="{results}"\n'
            f'           hx-trigger="input changed delay:300ms, search" hx-include="next select" '
            f'hx-target="#br-{name}" hx-select="#branch-results" hx-swap="innerHTML">\n'
            f'    <label for="ba-{name}">{_msg("ui.branch_area_or")}</label>\n'
            f'    <select id="ba-{name}" name="area" data-no-refresh\n'
            f'            hx-get="{results}"\n'
            f'            hx-trigger="change" hx-include="previous input[type=search]" hx-target="#br-{name}" '
            f'hx-select="#branch-results" hx-swap="innerHTML">\n'
            f'      <option value="">{_msg("ui.all_areas")}</option>\n      {areas}\n    </select>\n'
            f'    <div id="br-{name}" class="branch-results" aria-live="polite"></div>\n  </div>\n</fieldset>')


_EMAIL_INPUT = _input("email", ' inputmode="email" autocomplete="email" spellcheck="false"')
_TEXT_INPUT = _input("text")


def _text(f: dict, name: Markup, view: dict) -> str:
    """A text box; an e-mail address (`format: email`) gets the browser's e-mail keyboard."""
    return (_EMAIL_INPUT if f.get("format") == "email" else _TEXT_INPUT)(f, name, view)


WIDGETS: dict[str, Callable[[dict, Markup, dict], str]] = {
    "text": _text,
    "phone": _input("tel", ' inputmode="numeric" autocomplete="tel" maxlength="11"'),
    "date": _date,
    "textarea": _textarea,
    "select": _select,
    "region": _region,
    "radio": _radio,
    "records": records_widget,
    "checkbox": _checkbox,
    "toggle": _checkbox,
    "readonly": _readonly,
    "sms_code": _sms_code,
    "photo_receipt": _photo_receipt,
    "system_photo": _system_photo,
    "upload": _upload,
    "branch": _branch,
}


# -- the wrapper every field shares ----------------------------------------------------------------

def _classes(f: dict) -> str:
    out = "field"
    if f["error"]:
        out += " has-error"
    if f.get("conditional"):
        out += " conditional"
    return out


def _after(f: dict, name: Markup, live_field: str | None) -> str:
    """What follows the control: why options are missing, the help, the error and its basis."""
    out = ""
    if f.get("restricted"):
        out += f'\n    <p class="note restricted" role="note">{escape(f.get("restricted"))}</p>'
    if f["help"]:
        out += f'\n    <p class="help" id="h-{name}">{escape(f["help"])}</p>'
    if f["error"]:
        alert = ' role="alert"' if f["name"] == live_field else ""
        out += (f'\n    <p class="error" id="e-{name}" data-code="{escape(f["error_code"])}"{alert}>'
                f'{escape(f["error"])}</p>\n    <input type="hidden" name="{summary.SHOWN}" '
                f'value="{name}:{escape(f["error_code"])}">')
        if f["error_basis"]:
            out += "\n    " + str(why(f["error_basis"], f["error_code"]))
    return out


def why(basis: str | None, rule_id: str | None = None) -> Markup:
    """A rule's basis and id, folded under “为什么？” below its message (fields and popups alike);
    the texts are the rule's citizen texts (rules/citizen_text.py checks them)."""
    if not basis:
        return Markup("")
    rule = f'<p class="rule-id">{_msg("ui.rule_id", id=rule_id)}</p>' if rule_id else ""
    return Markup(f'<details class="why"><summary>{_msg("ui.why")}</summary>'
                  f'<p class="basis">{_msg("ui.basis")}{escape(basis)}</p>{rule}</details>')


def field(f: dict, view: dict, live_field: str | None = None, refresh: str | None = None) -> Markup:
    """One field: its widget, help and error (and 【确定】 without JavaScript for an answer that
    shows or hides others), in the htmx wrapper
    that re-checks it (or the whole form, when it shows or hides others) on change (not of a control
    marked data-no-refresh: app.js, since a trigger filter would need eval). `refresh`:
    the page's escaped re-check URL, when the caller has it already."""
    f = hant.localised(f)                 # 繁體: the field's texts, not its value (hant.py)
    name = escape(f["name"])
    if refresh is None:
        refresh = escape(view["urls"].page("html.refresh"))
    target = ('hx-target="#form-body" hx-select="#form-body"' if f["controls"]
              else f'hx-target="this" hx-select="#f-{name}"')
    control = WIDGETS[f["widget"]](f, name, view)
    if f["controls"]:                  # 【确定】 (no JavaScript) shows the fields this answer opens
        control += (f'\n    <button type="submit" name="_preview" value="{name}" class="secondary nojs-only">'
                    f'{_msg("ui.confirm_choice")}</button>')
    return Markup(
        f'<div class="{_classes(f)}" id="f-{name}"\n'
        f'       hx-post="{refresh}?field={name}"\n'
        f'       hx-trigger="change" hx-include="closest form"\n'
        f'       {target}\n       hx-swap="outerHTML" hx-encoding="multipart/form-data"\n'
        f'       hx-sync="closest form:queue last">\n    {control}{_after(f, name, live_field)}\n  </div>')


def fields(view: dict, live_field: str | None = None) -> Markup:
    """All the page's fields: its groups as fieldsets (in the flow's order), then the others.
    One call from the template for the whole form, not one per field."""
    layout = view["layout"]
    refresh = escape(view["urls"].page("html.refresh"))
    out: list[str] = []
    for g in layout["groups"]:
        out.append(f'<fieldset class="group card"><legend>{escape(hant.text(g["title"]))}</legend>\n    ')
        out.extend(field(f, view, live_field, refresh) for f in g["fields"])
        out.append("\n  </fieldset>\n  ")
    out.extend(field(f, view, live_field, refresh) for f in layout["rest"])
    out.extend(f'\n  <input type="hidden" name="{escape(name)}" value="{escape(value)}">'
               for name, value in (view.get("kept") or {}).items())
    return Markup("".join(out))
