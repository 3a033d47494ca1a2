"""`format: email`: checked on the server (the same check for HTML and API), with a Chinese
message, and rendered as the browser's e-mail box."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.provisional import domains
from markupsafe import Markup

from govflow import formats
from govflow.definitions.model import FieldDef, Origin
from govflow.journey.fieldcheck import check_value, coerce
from govflow.web import widgets
from govflow.yamlsource import Source

TODAY = dt.date(2026, 12, 3)


def _field() -> FieldDef:
    return FieldDef(name="email", title="电子邮箱", page_id="p", origin=Origin(Source("flows/x.yaml", {}, {}), ()),
                    format="email")


def test_good_and_bad_addresses():
    for good in ["zhang.san@example.com", "a+b@mail.example.cn", "x_1@sub-domain.example.org"]:
        assert formats.check_email(good) is None, good
    for bad in ["", "zhang", "zhang@", "@example.com", "a@b", "a@@b.cn", "a b@example.com", "a..b@example.com",
                ".a@example.com", "a@-x.com", "a@x-.com", "a@example.123", "a@exa_mple.com", "张三@example.com",
                "a" * 65 + "@example.com", "a@" + "b" * 64 + ".com"]:
        assert formats.check_email(bad) == "format.email", bad
    assert formats.check("email", "a@b.cn") is None


@settings(max_examples=200, deadline=None)
@given(st.emails(domains=domains(max_length=60)))
def test_every_address_hypothesis_makes_is_accepted(address):
    if len(address) <= 254 and len(address.rpartition("@")[0]) <= 64:
        assert formats.check_email(address) is None, address


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_text_without_exactly_a_local_part_and_a_dotted_domain_is_refused(text):
    code = formats.check_email(text)
    assert code in (None, "format.email")
    if code is None:
        local, _, domain = text.strip().rpartition("@")
        assert local and "." in domain and " " not in text.strip()


def test_server_side_message_is_chinese_and_names_the_field():
    field = _field()
    value = coerce(field, "  not-an-address ", from_form=True)
    problem = check_value(field, value, None, TODAY)
    assert problem is not None and problem.code == "format.email"
    assert "电子邮箱" in problem.message and "有效的电子邮箱地址" in problem.message
    assert check_value(field, coerce(field, " zhang@example.com ", from_form=True), None, TODAY) is None
    assert check_value(field, coerce(field, "zhang＠example.com", from_form=True), None, TODAY) is None   # 全角＠


def test_an_email_field_is_rendered_as_an_email_input():
    f = {"name": "email", "title": "电子邮箱", "placeholder": None, "value": "", "required": True, "help": None,
         "error": None, "format": "email", "readonly": False}
    html = widgets.WIDGETS["text"](f, Markup("email"), {})
    assert '<input type="email" inputmode="email"' in html
    f["format"] = None
    assert '<input type="text"' in widgets.WIDGETS["text"](f, Markup("email"), {})
