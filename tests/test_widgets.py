"""The field widgets (web/widgets.py): one function per widget name of the flow schema, and
everything a flow file or a citizen supplies is escaped in every widget and state."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from apptools import KEYRING, ROOT
from govflow.web import widgets

SCHEMA = json.loads((ROOT / "platform/govflow/schemas/flow.schema.json").read_text(encoding="utf-8"))


def _widget_enum(node):
    if isinstance(node, dict):
        if "widget" in node and isinstance(node["widget"], dict) and "enum" in node["widget"]:
            return node["widget"]["enum"]
        for value in node.values():
            found = _widget_enum(value)
            if found:
                return found
    if isinstance(node, list):
        for value in node:
            found = _widget_enum(value)
            if found:
                return found
    return None


def test_every_widget_of_the_flow_schema_has_a_renderer_and_no_other():
    assert sorted(widgets.WIDGETS) == sorted(_widget_enum(SCHEMA))


@pytest.fixture(scope="module")
def request_context():
    app = Flask(__name__)
    for rule, endpoint in [("/a/<app_id>/<page_id>/_refresh", "html.refresh"),
                           ("/a/<app_id>/<page_id>/sms/<field>", "html.send_code"),
                           ("/a/<app_id>/<page_id>/branches/<field>", "html.branches"),
                           ("/a/<app_id>/<page_id>/_branches/<field>", "html.branch_results"),
                           ("/a/<app_id>/_photo", "html.card_photo"),
                           ("/a/<app_id>/_uploads/<upload_id>", "html.uploaded")]:
        app.add_url_rule(rule, endpoint, lambda **_: "")
    # what the photo widget needs of the journey: the keyring that seals receipt numbers in its URL
    app.extensions["govflow"] = SimpleNamespace(env=SimpleNamespace(store=SimpleNamespace(keyring=KEYRING)))
    with app.test_request_context("/"):
        yield


class _Regions:
    def __init__(self, text):
        self.options = [{"value": text, "label": text}]

    def children(self, value):
        return [{"value": "c", "label": "<county>"}] if value != "c" else []

    def contains(self, value):
        return value == "c"


def _views(widget: str, text: str, error: bool, value_set: bool):
    option = {"value": text, "label": text}
    f = {"name": "field_a", "title": text, "type": "string", "widget": widget, "required": error,
         "readonly": False, "help": text, "placeholder": text, "notice": {"title": text, "text": text},
         "value": text if value_set else None, "display": text, "error": text if error else None,
         "error_code": text if error else None, "error_basis": text if error else None,
         "conditional": True, "controls": error, "options": (option,), "picklist": text, "path": [text],
         "phone_field": text, "photo_found": True, "photo_available": True, "restricted": text,
         "sms": {"seconds": 30, "message": text},
         "regions": "areas", "records": [{"value": text, "cells": {"c": text}}], "columns": {"c": text},
         "empty": text}
    view = {"application": {"id": "app1"}, "page": {"id": "page1"}, "urls": widgets.PageUrls("app1", "page1"),
            "kept": {text: text},
            "ui": {"upload_max_bytes": 10 * 1048576, "picklists": {"areas": _Regions(text), text: _Regions(text)}},
            "layout": {"groups": [{"title": text, "fields": [f]}], "rest": [f]}}
    return f, view


class _Structure(HTMLParser):
    """The tags and attribute names of a fragment, in order (what escaping must not change)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.shape: list[tuple] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.shape.append((tag, tuple(name for name, _ in attrs)))
        self.texts.extend(value for _, value in attrs if value)

    def handle_endtag(self, tag):
        self.shape.append(("/" + tag,))

    def handle_data(self, data):
        self.texts.append(data)


def _parse(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser


HOSTILE = st.text(alphabet=st.sampled_from(list("<>&\"'/ab中=")), min_size=1, max_size=12)


@settings(max_examples=80, deadline=None)
@given(text=HOSTILE, widget=st.sampled_from(sorted(widgets.WIDGETS)), error=st.booleans(), value_set=st.booleans())
def test_every_widget_escapes_what_flows_and_citizens_supply(request_context, text, widget, error, value_set):
    """Whatever a title, help text, option or answer holds, the page has the same elements and
    attributes as with plain text, and the text reads back exactly as given."""
    hostile = _parse(str(widgets.fields(*_views(widget, text, error, value_set)[1:], live_field="field_a")))
    plain = _parse(str(widgets.fields(*_views(widget, "PLAIN", error, value_set)[1:], live_field="field_a")))
    assert hostile.shape == plain.shape
    assert any(text in t for t in hostile.texts)


def test_the_branch_widget_offers_the_areas_of_the_fields_regions_list(request_context):
    f, view = _views("branch", "说明", error=False, value_set=False)
    assert "&lt;county&gt;" in str(widgets.field(f, view, live_field=None))
    del f["regions"]                                   # no `regions:`: keyword search only
    html = str(widgets.field(f, view, live_field=None))
    assert "&lt;county&gt;" not in html and 'name="area"' in html


@pytest.mark.parametrize("widget", sorted(widgets.WIDGETS))
def test_each_widget_names_its_control_and_shows_the_error(request_context, widget):
    f, view = _views(widget, "说明", error=True, value_set=True)
    html = str(widgets.field(f, view, live_field="field_a"))
    assert 'id="f-field_a"' in html and 'class="field has-error conditional"' in html
    assert 'id="i-field_a"' in html                        # the summary's links point at the control
    assert 'data-code="说明" role="alert"' in html
    assert 'hx-post="/a/app1/page1/_refresh?field=field_a"' in html
