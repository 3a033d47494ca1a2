"""Simulated outside systems and demo personas (govflow.services)."""
import importlib.util
import io
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from apptools import registry_record
from govflow import formats as f
from govflow.errors import DefinitionError
from govflow.services import ServiceConfigError, ServiceError, build_services
from govflow.services.face_sim import FaceSimulator
from govflow.services.personas import load_personas

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo"
TODAY = date(2026, 11, 27)


@pytest.fixture
def services():
    return build_services({}, DEMO)


def personas_by_id():
    personas, problems = load_personas(DEMO)
    assert problems == []
    return {p.id: p for p in personas}


# ---- personas -----------------------------------------------------------------------------

def test_persona_ids_are_valid_and_consistent():
    people = personas_by_id()
    assert len(people) >= 8
    for persona in people.values():
        person = persona.person
        assert f.check_mobile(person.phone) is None, persona.id
        fmt = f.ID_TYPE_FORMATS[person.id_type]
        assert f.check(fmt, person.id_number, TODAY) is None, persona.id
        if person.residency in ("mainland", "hk", "macau", "taiwan"):
            check = f.check_resident_id if person.residency == "mainland" else f.check_residence_permit
            assert check(person.ssn, TODAY) is None, persona.id
            assert f.birth_date_from_id(person.ssn) == person.birth_date, persona.id
            assert f.sex_from_id(person.ssn) == person.sex, persona.id
            assert f.make_resident_id(person.ssn[:6], person.birth_date, int(person.ssn[14:17])) == person.ssn


def test_personas_cover_the_branches():
    people = personas_by_id()
    kinds = {p.person.residency for p in people.values()}
    assert {"mainland", "hk", "macau", "taiwan", "foreign"} <= kinds
    assert people["hong_kong_resident"].person.id_type == "hk_macao_permit"
    assert people["hong_kong_resident"].person.ssn.startswith("810000")
    assert people["macau_resident"].person.id_type == "hmt_residence_permit"
    assert people["macau_resident"].person.id_number.startswith("820000")
    assert people["taiwan_resident"].person.id_type == "taiwan_permit"
    assert people["foreign_national"].person.id_type == "passport"
    assert people["pending_application"].worlds["registry"]["pending_applications"] == 1
    assert sum(c["cleanable"] for c in people["two_cards"].worlds["registry"]["cards"]) == 2
    assert "card_application" in people["rejected_once"].refuse_first
    assert people["mainland_adult"].system_photo
    children = {p.id for p in people.values() if any(g == "guardian_parent" for g, _, _ in p.guardians)}
    assert children == {"child_with_id_card", "child_with_household_register", "teen_aged_17",
                        "child_with_pending_application", "child_with_two_cards"}
    assert people["child_with_grandparent_guardian"].guardians == (("grandparent_guardian", "62",
                                                                    "guardianship_record"),)


def test_a_bad_persona_file_is_refused_with_its_line(tmp_path):
    for name in ("photo_receipts.yaml", "branches.json"):
        (tmp_path / name).write_bytes((DEMO / name).read_bytes())
    (tmp_path / "personas.yaml").write_text("personas:\n  - id: x\n    person: {name: 张三}\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        build_services({}, tmp_path)
    assert [p.code for p in err.value.problems] == ["persona.key_missing"]
    assert err.value.problems[0].line == 3


def test_unknown_services_name_is_refused():
    with pytest.raises(ServiceConfigError, match="simulator"):
        build_services({"SERVICES": "production"}, DEMO)


# ---- face verification --------------------------------------------------------------------

def test_face_token_single_use(services):
    handoff = services.face.start("applicant", "/flows/sscard_adult/guide")
    assert handoff.url_path.startswith("/sim/face/") and handoff.token not in handoff.url_path
    assert services.face.token_of(handoff.url_path.rsplit("/", 1)[1]) == handoff.token
    assert services.face.result(handoff.token).status == "pending"
    assert services.face.consume(handoff.token).status == "pending"       # pending is not consumed
    services.face.complete(handoff.token, "mainland_adult", True)
    with pytest.raises(ServiceError) as err:
        services.face.complete(handoff.token, "mainland_adult", False)
    assert err.value.code == "face.already_completed"
    result = services.face.consume(handoff.token)
    assert (result.status, result.person_id, result.role) == ("passed", "mainland_adult", "applicant")
    assert result.return_to == "/flows/sscard_adult/guide"
    assert services.face.consume(handoff.token).status == "unknown"
    assert services.face.result(handoff.token).status == "unknown"


def test_face_failure_unknown_person_and_expiry():
    now = [0.0]
    face = FaceSimulator(["a"], ttl_seconds=600, clock=lambda: now[0])
    first, second = face.start("guardian", "/x"), face.start("applicant", "/y")
    assert first.token != second.token
    with pytest.raises(ServiceError) as err:
        face.complete(first.token, "nobody", True)
    assert err.value.code == "face.unknown_person"
    face.complete(first.token, "a", False)
    assert face.result(first.token).status == "failed" and face.result(first.token).person_id is None
    now[0] = 601
    assert face.result(second.token).status == "unknown"
    with pytest.raises(ServiceError) as err:
        face.complete(second.token, "a", True)
    assert err.value.code == "face.unknown_token"


# ---- registry -----------------------------------------------------------------------------

def test_registry_person_and_record(services):
    person = services.people.person("mainland_adult")
    assert person.name == "陈志明" and person.id_type == "resident_id_card"
    assert services.people.person("nobody") is None
    record = registry_record(services, person.ssn)
    assert (record["pending_applications"], record["cards"]) == (0, [])
    assert services.people.system_photo(person.ssn) is not None
    pending = services.people.person("pending_application")
    assert registry_record(services, pending.ssn)["pending_applications"] == 1
    assert registry_record(services, "440106200001010000") == {}        # unknown: no record
    assert services.people.system_photo("440106200001010000") is None


def test_system_photo_is_a_deterministic_jpeg(services):
    ssn = services.people.person("mainland_adult").ssn
    jpeg = services.people.system_photo(ssn)
    assert jpeg[:3] == b"\xff\xd8\xff"
    assert Image.open(io.BytesIO(jpeg)).size == (358, 441)
    assert build_services({}, DEMO).people.system_photo(ssn) == jpeg
    assert services.people.system_photo(services.people.person("hong_kong_resident").ssn) is None


# ---- photo receipts -----------------------------------------------------------------------

def test_photo_receipts(services):
    photo = services.photos.lookup("XP2024051301")
    assert photo.receipt_number == "XP2024051301" and photo.jpeg[:2] == b"\xff\xd8"
    assert services.photos.lookup("xp2024051301") is not None
    assert services.photos.lookup("XP9999999999") is None
    assert services.photos.lookup("not a number") is None


def test_every_photo_receipt_belongs_to_one_person(services):
    people = personas_by_id()
    assert services.photos.lookup("XP2024051301").ssn == people["hong_kong_resident"].person.ssn
    assert services.photos.lookup("XP2025010316").ssn == people["mainland_adult"].person.ssn
    owners = {services.photos.lookup(n).ssn for n in services.photos.numbers()}
    assert owners <= {p.person.ssn for p in people.values()} and "" not in owners


def test_a_receipt_without_its_person_is_refused_with_its_line(tmp_path):
    for name in ("personas.yaml", "branches.json"):
        (tmp_path / name).write_bytes((DEMO / name).read_bytes())
    (tmp_path / "photo_receipts.yaml").write_text(
        "receipts:\n  - {number: XP2024051301, initials: LJX}\n  - {number: XP2024062718, persona: nobody}\n",
        encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        build_services({}, tmp_path)
    assert [(p.code, p.line) for p in err.value.problems] == [("receipt.persona", 2), ("receipt.persona", 3)]


# ---- guardianship in the registry ------------------------------------------------------------

def test_registry_knows_who_is_whose_guardian(services):
    people = personas_by_id()
    father, grandmother = people["guardian_parent"].person.ssn, people["grandparent_guardian"].person.ssn
    xinyi = people["child_with_id_card"].person.ssn
    assert services.people.guardianship(xinyi, father).relationship == "51"
    assert services.people.guardianship(xinyi, father).basis == "birth_medical_certificate"
    siqi = people["child_with_grandparent_guardian"].person.ssn
    held = services.people.guardianship(siqi, grandmother)
    assert (held.relationship, held.basis) == ("62", "guardianship_record")
    assert services.people.guardianship(siqi, people["grandparent_without_record"].person.ssn) is None
    assert services.people.guardianship(siqi, father) is None and services.people.guardianship(siqi, None) is None
    assert services.people.guardians(father) == ()              # an adult: nobody's ward
    assert services.people.guardians("440305201511200057") == ()   # unknown to the registry


def test_a_guardian_needs_a_known_persona_and_basis(tmp_path):
    for name in ("photo_receipts.yaml", "branches.json"):
        (tmp_path / name).write_bytes((DEMO / name).read_bytes())
    text = (DEMO / "personas.yaml").read_text(encoding="utf-8")
    bad = text.replace("{persona: grandparent_guardian, relationship: \"62\", basis: guardianship_record}",
                       "{persona: grandparent_guardian, relationship: \"62\", basis: hearsay}")
    assert bad != text
    (tmp_path / "personas.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        build_services({}, tmp_path)
    assert "persona.guardian" in [p.code for p in err.value.problems]
    unknown = text.replace("{persona: grandparent_guardian,", "{persona: grandma,")
    (tmp_path / "personas.yaml").write_text(unknown, encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        build_services({}, tmp_path)
    assert "persona.unknown_guardian" in [p.code for p in err.value.problems]


# ---- branches -----------------------------------------------------------------------------

def test_every_city_has_at_least_two_branches():
    data = json.loads((DEMO / "branches.json").read_text(encoding="utf-8"))
    cities = json.loads((ROOT / "reference" / "guangdong_divisions.json").read_text(encoding="utf-8"))["cities"]
    per_city = Counter(b["city_code"] for b in data["branches"])
    assert set(per_city) == {c["code"] for c in cities}
    assert min(per_city.values()) >= 2
    assert len({b["id"] for b in data["branches"]}) == len(data["branches"])


def test_branches_file_is_the_generator_output():
    spec = importlib.util.spec_from_file_location("make_branches", DEMO / "make_branches.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    divisions = json.loads((ROOT / "reference" / "guangdong_divisions.json").read_text(encoding="utf-8"))
    banks = json.loads((ROOT / "reference" / "service_banks.json").read_text(encoding="utf-8"))["banks"]
    committed = json.loads((DEMO / "branches.json").read_text(encoding="utf-8"))["branches"]
    assert module.branches(divisions, banks) == committed


def test_branch_search_by_area(services):
    city = services.branches.search("440100")
    assert len(city) > 11 and {b.city_code for b in city} == {"440100"}
    county = services.branches.search("440106")
    assert county and {b.county_code for b in county} == {"440106"}
    assert "广州市天河区社保卡服务网点" in [b.name for b in county]
    dongguan = services.branches.search("441900")
    assert len(dongguan) >= 2 and all(b.county_code is None for b in dongguan)
    assert services.branches.search("999999") == []
    assert len(services.branches.search("440100", limit=3)) == 3


def test_branch_search_by_keyword(services):
    exact = services.branches.search(keyword="天河区社保卡")
    assert exact[0].name == "广州市天河区社保卡服务网点"
    fuzzy = services.branches.search(keyword="广州天河网点")            # not a substring, in order
    assert fuzzy[0].name == "广州市天河区社保卡服务网点"
    ranked = services.branches.search(keyword="天河", limit=500)
    hits = ["天河" in b.name or "天河" in b.address for b in ranked]
    assert hits[0] and hits == sorted(hits, reverse=True)               # substring hits rank first
    assert services.branches.search(keyword="网点天河广州") == []          # characters out of order
    assert services.branches.search("440300", "天河") == []             # area and keyword combine
    found = services.branches.search(keyword="天河")[0]
    assert services.branches.get(found.id) == found and services.branches.get("nope") is None


# ---- the connectors' implementation ------------------------------------------------------

def test_the_simulator_is_the_default_and_the_failure_rate_is_its_setting():
    services = build_services({}, DEMO)
    assert type(services.connector_implementation).__name__ == "SimulatorImplementation"
    with pytest.raises(ValueError):
        build_services({"SIMULATOR_FAILURE_RATE": 2}, DEMO)
    with pytest.raises(ServiceConfigError):
        build_services({"CONNECTORS": "carrier-pigeon"}, DEMO)


# ---- SMS ----------------------------------------------------------------------------------

def test_sms_outbox(services):
    services.sms_gateway.send("138 0013 8001", "验证码 123456")
    sent = services.sms_gateway.outbox()
    assert [(m.phone, m.text) for m in sent] == [("13800138001", "验证码 123456")]
    with pytest.raises(ServiceError) as err:
        services.sms_gateway.send("12345", "x")
    assert err.value.code == "sms.bad_number"
    assert len(services.sms_gateway.outbox()) == 1
