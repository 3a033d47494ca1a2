"""Pick-lists declared in reference/picklists.yaml (govflow.picklists)."""
import shutil
from pathlib import Path

import pytest

from govflow.picklists import load_picklists

REF = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def lists():
    picklists, problems = load_picklists(REF)
    assert problems == []
    return picklists


def test_every_needed_list_is_declared(lists):
    assert set(lists.names()) >= {"ethnic_groups", "occupations", "guangdong_cities", "guangdong_regions",
                                  "china_regions", "provinces", "service_banks", "insurance_types",
                                  "guardian_relationships", "id_types"}


def test_ethnic_groups(lists):
    groups = lists.get("ethnic_groups")
    assert groups.title == "民族"
    assert len(groups.options) == 56
    assert groups.options[0] == {"value": "01", "label": "汉族"}
    assert groups.label("02") == "蒙古族"
    assert not groups.is_cascade
    assert groups.contains("56") and not groups.contains("97")


def test_cities_and_small_lists(lists):
    cities = lists.get("guangdong_cities")
    assert len(cities.options) == 21
    assert cities.label("440100") == "广州市"
    assert all(len(o["value"]) == 6 for o in cities.options)
    assert len(lists.get("occupations").options) == 8
    assert len(lists.get("provinces").options) == 34
    assert len(lists.get("guardian_relationships").options) == 12
    banks = lists.get("service_banks")
    assert banks.label("ICBC") == "工商银行" and banks.contains("CGB")
    insurance = [o["label"] for o in lists.get("insurance_types").options]
    assert insurance[-3:] == ["工伤保险", "失业保险", "生育保险"]
    assert lists.get("id_types").label("hk_macao_permit") == "港澳居民来往内地通行证"
    assert lists.get("no_such_list") is None and "no_such_list" not in lists


def test_guangdong_cascade(lists):
    regions = lists.get("guangdong_regions")
    assert regions.is_cascade
    assert len(regions.options) == 21
    assert {"value": "440106", "label": "天河区"} in regions.children("440100")
    assert regions.children("441900") == ()
    leaves = set(regions.leaves())
    assert "441900" in leaves and "442000" in leaves          # 东莞, 中山: the city is the leaf
    assert "440100" not in leaves and "440106" in leaves
    assert len(leaves) == 122 + 2
    assert regions.contains("441900") and not regions.contains("440100")
    assert regions.path("440106") == ["广东省", "广州市", "天河区"]
    assert regions.path("441900") == ["广东省", "东莞市"]
    assert regions.path("999999") == []


def test_china_cascade(lists):
    china = lists.get("china_regions")
    assert len(china.options) == 34
    assert len(china) == 3213
    assert china.path("440106") == ["广东省", "广州市", "天河区"]
    assert china.path("110105") == ["北京市", "朝阳区"]           # municipality: no prefecture level
    assert china.contains("440106") and not china.contains("440100") and not china.contains("440000")
    tree = china.tree()
    assert tree[0]["value"] == "110000" and "children" in tree[0]


def test_missing_file_and_key_are_problems(tmp_path):
    for name in ("ethnic_groups_gbt3304.json", "provinces.json"):
        shutil.copy(REF / name, tmp_path / name)
    (tmp_path / "picklists.yaml").write_text(
        "ethnic_groups: {title: 民族, file: ethnic_groups_gbt3304.json, items: groups, value: code, label: name}\n"
        "gone: {title: x, file: missing.json, items: a, value: v, label: l}\n"
        "no_label: {title: x, file: provinces.json, items: provinces, value: code}\n"
        "bad_items: {title: x, file: provinces.json, items: nothing, value: code, label: name}\n"
        "bad_keys: {title: x, file: provinces.json, items: provinces, value: code, label: nom}\n",
        encoding="utf-8")
    lists, problems = load_picklists(tmp_path)
    codes = sorted(p.code for p in problems)
    assert codes == ["picklist.file_missing", "picklist.key_missing", "picklist.key_missing",
                     "picklist.key_missing"]
    assert lists.names() == ["ethnic_groups"]
    missing = next(p for p in problems if p.code == "picklist.file_missing")
    assert missing.line == 2 and missing.file.endswith("picklists.yaml")
    bad_item = [p for p in problems if p.path == "provinces.json:provinces[0]"]   # reported once, not 34 times
    assert len(bad_item) == 1 and bad_item[0].code == "picklist.key_missing"


def test_missing_declarations(tmp_path):
    lists, problems = load_picklists(tmp_path)
    assert lists.names() == [] and [p.code for p in problems] == ["picklist.declarations_missing"]
