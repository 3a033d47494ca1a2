"""Document number checks and masks (govflow.formats)."""
import json
import re
from datetime import date
from pathlib import Path

import pytest

from govflow import formats as f

REF = Path(__file__).resolve().parents[1] / "reference"
TODAY = date(2026, 11, 27)


def _gb11643():
    return json.loads((REF / "id_number_gb11643.json").read_text(encoding="utf-8"))


def test_check_digits_of_the_standard_and_synthetic_examples():
    data = _gb11643()
    numbers = [e["number"] for e in data["examples_from_standard_appendix"]]
    numbers += [e["number"] for e in data["synthetic_examples_computed_here"]]
    assert len(numbers) == 7
    for number in numbers:
        check = f.check_residence_permit if number[:2] in ("81", "82", "83") else f.check_resident_id
        assert check(number, TODAY) is None, number
        assert f.make_resident_id(number[:6], f.birth_date_from_id(number), int(number[14:17])) == number


def test_negative_examples_from_the_reference():
    bad = {e["number"]: e["why_invalid"] for e in _gb11643()["negative_examples"]}
    assert f.check_resident_id("440106199003071230", TODAY) == "format.check_digit"
    assert f.check_resident_id("440106199002301234", TODAY) == "format.date"
    assert set(bad) == {"440106199003071230", "440106199002301234"}


@pytest.mark.parametrize("value, code", [
    ("44010619900307123", "format.shape"),
    ("4401061990030712311", "format.shape"),
    ("44010619900307123A", "format.shape"),
    ("", "format.shape"),
    (None, "format.shape"),
    ("440106199013071231", "format.date"),            # month 13
    (f.make_resident_id("440106", date(2027, 1, 1), 123), "format.future_date"),
    (f.make_resident_id("990106", date(1990, 3, 7), 123), "format.area"),
    (f.make_resident_id("810000", date(1990, 3, 7), 123), "format.area"),   # a residence permit
])
def test_resident_id_errors(value, code):
    assert f.check_resident_id(value, TODAY) == code


def test_lowercase_x_is_normalised_and_accepted():
    assert f.normalize_id(" 11010519491231002x ") == "11010519491231002X"
    assert f.check_resident_id("11010519491231002x", TODAY) is None


def test_birth_date_and_sex():
    assert f.birth_date_from_id("11010519491231002X") == date(1949, 12, 31)
    assert f.sex_from_id("11010519491231002X") == "female"
    assert f.sex_from_id("440106199003071231") == "male"
    assert f.birth_date_from_id("440106199002301234") is None
    assert f.sex_from_id("H12345678") is None


def test_make_resident_id_refuses_bad_input():
    with pytest.raises(ValueError):
        f.make_resident_id("4401", date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        f.make_resident_id("440106", date(1990, 1, 1), 1000)


def test_residence_permit():
    hk = f.make_resident_id("810000", date(1992, 8, 21), 24)
    assert f.check_residence_permit(hk) is None
    assert f.check_residence_permit(f.make_resident_id("830000", date(1993, 4, 18), 26)) is None
    assert f.check_residence_permit("440106199003071231") == "format.area"
    assert f.check_residence_permit(hk[:-1] + ("0" if hk[-1] != "0" else "1")) == "format.check_digit"
    assert f.check_residence_permit("8100001992") == "format.shape"


@pytest.mark.parametrize("name, good, bad", [
    ("hk_macao_permit", ["H12345678", "M87654321", "h12345678"], ["H1234567", "A12345678", "H123456789"]),
    ("taiwan_permit", ["05123468"], ["0512346", "051234680", "0512346A"]),
    ("sms_code", ["000123", " 654321 "], ["12345", "1234567", "12a456"]),
    ("foreign_pr_id", ["ABC123456789012", f.make_resident_id("900000", date(1980, 1, 1), 1)],
     ["AB123456789012", "440106199003071231"]),
])
def test_other_document_shapes(name, good, bad):
    for value in good:
        assert f.CHECKS[name](value) is None, value
    for value in bad:
        assert f.CHECKS[name](value) is not None, value


def test_mobile_uses_the_reference_regex():
    pattern = json.loads((REF / "mobile_number_prefixes.json").read_text(encoding="utf-8"))["simple_regex_equivalent"]
    assert f.load_format_data(REF).mobile_pattern.pattern == pattern
    assert f.check_mobile("13800138001") is None
    assert f.check_mobile("+86 138-0013-8001") is None
    assert f.check_mobile("16100138001") is None
    assert f.check_mobile("14600138001") == "format.prefix"     # IoT range, not in the list
    assert f.check_mobile("12000138001") == "format.prefix"
    assert f.check_mobile("1380013800") == "format.shape"


def test_mobile_pattern_is_data_not_code():
    data = f.FormatData(re.compile(r"^199\d{8}$"), frozenset({"44"}))
    assert f.check_mobile("13800138001", data=data) == "format.prefix"
    assert f.check_resident_id("11010519491231002X", TODAY, data=data) == "format.area"


def test_check_table_and_dispatch():
    assert set(f.CHECKS) >= {"resident_id", "residence_permit", "hk_macao_permit", "taiwan_permit",
                             "mobile", "sms_code"}
    assert "photo_receipt" not in f.CHECKS        # a procedure's receipt number is a `pattern:` in its flow
    assert f.check("resident_id", "440106199003071230", TODAY) == "format.check_digit"
    assert f.check("no_such_format", "x") == "format.unknown"
    assert set(f.ID_TYPE_FORMATS.values()) <= set(f.CHECKS)
    ids = json.loads((REF / "id_types.json").read_text(encoding="utf-8"))["id_types"]
    assert {t["code"]: t["format"] for t in ids} == f.ID_TYPE_FORMATS


def test_masks():
    assert f.mask_id("440106199003071231") == "4401**********1231"
    assert f.mask_id("H60218347") == "H602*8347"
    assert f.mask_phone("13812341234") == "138****1234"
    assert f.mask_name("张三") == "张*"
    assert f.mask_name("张三丰") == "张**"
    assert f.mask_name("欧阳娜娜") == "欧阳**"
    assert f.mask_name("欧阳") == "欧*"
    assert f.mask_name("") == ""
