"""An API client for tests: creates applications and walks pages like a mobile app would."""
from __future__ import annotations

import io
import re

from PIL import Image


def jpeg(width=640, height=400, color=(200, 180, 150)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


ADULT_INFO = {"ethnicity": "01", "valid_from": "2020-03-01", "valid_to": "2040-03-01", "occupation": "2",
              "residence_region": "440106", "residence_address": "天河路100号3栋501房", "service_bank": "ICBC",
              "insurance_type": None}


# ID card validity that fits each persona's age at issue (居民身份证法 第五条)
VALIDITY = {"rejected_once": ("2020-03-01", "2030-03-01")}


def last_code(journey, phone=None) -> str:
    """The code of the newest SMS to `phone` (or of the newest SMS): other walks send some too."""
    sent = journey.env.services.sms_gateway.outbox()
    mine = [m for m in sent if phone is None or m.phone == str(phone).replace(" ", "")]
    text = (mine or sent)[-1].text
    return "".join(ch for ch in text if ch.isdigit())[:6]


class ApiWalker:
    def __init__(self, client, app):
        self.client = client
        self.app = app
        self.journey = app.extensions["govflow"]
        self.id = None
        self.token = None
        self.last = None

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def create(self, flow="sscard_adult"):
        r = self.client.post("/api/v1/applications", json={"flow": flow})
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        self.id, self.token = body["id"], body["token"]
        return body

    def act(self, page, action, data=None, expect=None, **query):
        r = self.client.post(f"/api/v1/applications/{self.id}/pages/{page}/actions/{action}",
                             json=data or {}, headers=self.headers, query_string=query)
        self.last = r
        if expect is not None:
            assert r.status_code == expect, (r.status_code, r.get_json())
        return r.get_json()

    def page(self, page):
        r = self.client.get(f"/api/v1/applications/{self.id}/pages/{page}", headers=self.headers)
        return r.status_code, r.get_json()

    def state(self):
        return self.client.get(f"/api/v1/applications/{self.id}", headers=self.headers).get_json()

    def verify(self, persona, passed=True):
        """Guide: consent + 【完成人脸核验开始办理】, the simulator hand-off, back to the API."""
        body = self.act("guide", "start", {"consent": True}, expect=202)
        token = body["handoff"]["token"]
        r = self.client.post(body["handoff"]["url"], json={"persona": persona, "passed": passed})
        assert r.status_code == 200, r.get_json()
        r = self.client.post(f"/api/v1/applications/{self.id}/verification", json={"token": token},
                             headers=self.headers)
        self.last = r
        return r.get_json()

    def upload(self, slot):
        r = self.client.post(f"/api/v1/applications/{self.id}/uploads", headers=self.headers,
                             data={"slot": slot, "file": (io.BytesIO(jpeg()), "photo.jpg")})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    def sms(self, page, field, phone, expect=200):
        r = self.client.post(f"/api/v1/applications/{self.id}/pages/{page}/sms", headers=self.headers,
                             json={"field": field, "phone": phone})
        assert r.status_code == expect, r.get_json()
        if expect != 200:
            return None
        return last_code(self.journey, phone)

    def branch(self, keyword="天河"):
        r = self.client.get("/api/v1/branches", query_string={"q": keyword})
        return r.get_json()["branches"][0]["id"]

    def insurance_type(self):
        return self.journey.env.picklists.get("insurance_types").options[0]["value"]

    # -- whole pages ---------------------------------------------------------------------
    def eligibility(self, city="440100", expect=200):
        return self.act("eligibility", "check", {"issuing_city": city}, expect=expect)

    def upload_page(self, document_set="id_card", expect=200):
        slots = {"id_card": ["id_card_emblem", "id_card_portrait"],
                 "hk_macao_permit": ["permit_front", "permit_back"],
                 "taiwan_permit": ["permit_front", "permit_back"],
                 "residence_permit": ["residence_permit_emblem", "residence_permit_portrait"]}[document_set]
        data = {"document_set": document_set, **{s: self.upload(s) for s in slots}}
        return self.act("upload", "next", data, expect=expect)

    def photo_page(self, receipt=None, expect=200):
        data = {"photo_source": "receipt", "photo_receipt_number": receipt} if receipt else \
            {"photo_source": "system", "use_system_photo": True}
        return self.act("photo", "use_photo", data, expect=expect)

    def persona_phone(self):
        ssn = self.journey.env.store.applications.get(self.id).context["identity"]["ssn"]
        return next(p.person.phone for p in self.journey.env.services.personas if p.person.ssn == ssn)

    def info_page(self, phone=None, expect=200, **changes):
        phone = phone or self.persona_phone()
        code = self.sms("info", "mobile_code", phone)
        data = {**ADULT_INFO, "insurance_type": self.insurance_type(), "mobile": phone, "mobile_code": code}
        data.update(changes)
        return self.act("info", "next", data, expect=expect)

    def pickup_branch(self, expect=200):
        return self.act("pickup", "next", {"pickup_method": "branch", "branch_id": self.branch()}, expect=expect)

    def walk_to_info(self, persona="mainland_adult"):
        """Guide, eligibility, upload and photo done: the citizen stands on 申请信息."""
        self.create()
        assert self.verify(persona)["page"] == "eligibility", self.last.get_json()
        self.eligibility()
        self.upload_page()
        assert self.photo_page()["page"] == "info", self.last.get_json()

    def walk_to_confirm(self, persona="mainland_adult", document_set="id_card", receipt=None):
        self.create()
        assert self.verify(persona)["page"] == "eligibility", self.last.get_json()
        assert self.eligibility()["page"] == "upload", self.last.get_json()
        assert self.upload_page(document_set)["page"] == "photo", self.last.get_json()
        assert self.photo_page(receipt)["page"] == "info", self.last.get_json()
        valid_from, valid_to = VALIDITY.get(persona, ("2020-03-01", "2040-03-01"))
        assert self.info_page(valid_from=valid_from, valid_to=valid_to)["page"] == "pickup", self.last.get_json()
        assert self.pickup_branch()["page"] == "confirm", self.last.get_json()


class HtmlWalker:
    """The same walk through the HTML forms (no JavaScript): form posts, redirects, CSRF token."""

    def __init__(self, client, app):
        self.client = client
        self.journey = app.extensions["govflow"]
        self.id = None
        self.token = None
        self.last = None

    def _csrf(self):
        """The session's CSRF token (none before the session exists: the index page makes none)."""
        if self.token is None:
            html = self.client.get("/").get_data(as_text=True)
            self.token = re.search(r'name="_csrf" value="([^"]*)"', html).group(1) or None
        return self.token or ""

    def start(self, flow="sscard_adult"):
        r = self.client.post(f"/start/{flow}", data={"_csrf": self._csrf()})
        assert r.status_code == 302, r.status_code
        self.id = r.headers["Location"].split("/")[2]
        return r

    def get(self, page, **query):
        self.last = self.client.get(f"/a/{self.id}/{page}", query_string=query)
        return self.last

    def post(self, page, action, data=None, files=None, expect=None, **extra):
        form = {"_csrf": self._csrf(), "_action": action, **(data or {}), **extra}
        for name, content in (files or {}).items():
            form[name] = (io.BytesIO(content), f"{name}.jpg")
        self.last = self.client.post(f"/a/{self.id}/{page}", data=form, content_type="multipart/form-data")
        if expect is not None:
            assert self.last.status_code == expect, (self.last.status_code, self.text()[:2000])
        return self.last

    def text(self):
        return self.last.get_data(as_text=True)

    def location(self):
        return self.last.headers.get("Location", "")

    def verify(self, persona, passed=True):
        r = self.post("guide", "start", {"consent": "true"}, expect=302)
        face_url = r.headers["Location"]
        assert face_url.startswith("/sim/face/")
        page = self.client.get(face_url)
        assert persona in page.get_data(as_text=True)
        r = self.client.post(face_url, data={"_csrf": self._csrf(), "persona": persona,
                                             "result": "pass" if passed else "fail"})
        assert r.status_code == 302 and r.headers["Location"].startswith("/verify/return")
        self.last = self.client.get(r.headers["Location"])
        return self.last

    def walk_to_info(self, persona="mainland_adult"):
        """Guide, eligibility, upload (ID card) and photo (the system's) done: the citizen stands on 申请信息."""
        self.start()
        assert self.verify(persona).headers["Location"].endswith("/eligibility")
        self.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
        self.post("upload", "next", {"document_set": "id_card"},
                  files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}, expect=302)
        self.post("photo", "use_photo", {"photo_source": "system", "use_system_photo": "true"}, expect=302)

    def walk_to_pickup(self, persona="mainland_adult") -> str:
        """As walk_to_info, then 申请信息 filled in (SMS code included): on 选择领卡方式. A branch's id."""
        self.walk_to_info(persona)
        data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001"}
        data["mobile_code"] = self.sms("info", "mobile_code", data)
        self.post("info", "next", data, expect=302)
        assert self.location().endswith("/pickup")
        return self.journey.env.services.branches.search(None, "天河")[0].id

    def sms(self, page, field, data):
        form = {"_csrf": self._csrf(), **data}
        self.last = self.client.post(f"/a/{self.id}/{page}/sms/{field}", data=form)
        assert self.last.status_code == 303, self.text()[:2000]      # Post/Redirect/Get: a reload sends nothing
        self.last = self.client.get(self.last.headers["Location"])
        assert self.last.status_code == 200, self.text()[:2000]
        phone_field = next((k for k in ("mobile", "recipient_mobile") if k in data), None)
        return last_code(self.journey, data.get(phone_field) if phone_field else None)

    def errors(self):
        """(field, code) pairs shown next to the fields."""
        return sorted(set(re.findall(r'<p class="error" id="e-([a-z_]+)" data-code="([^"]+)"', self.text())))


CHILDREN = {   # persona -> (name, ID type, ID number, photo receipt or None for the system photo, validity)
    "child_with_household_register": ("张子轩", "household_register", "440305201906010573", "XP2024090907",
                                      ("2019-06-01", "2035-06-01")),
    "child_with_id_card": ("张欣怡", "resident_id_card", "440305201511200049", None, ("2022-03-01", "2027-03-01")),
    "child_with_two_cards": ("张明辉", "resident_id_card", "440305201407070459", None, ("2022-03-01", "2027-03-01")),
    "child_with_pending_application": ("张雨彤", "household_register", "440305201804100324", "XP2025010316",
                                       ("2018-04-10", "2034-04-10")),
    "teen_aged_17": ("张浩宇", "resident_id_card", "440305200903150218", None, ("2022-03-01", "2027-03-01")),
    "child_with_grandparent_guardian": ("李思琪", "household_register", "440305201709050285", None,
                                        ("2017-09-05", "2033-09-05")),
}
MINOR_SLOTS = {"household_register": ["household_main_page", "household_head_page", "household_child_page"],
               "resident_id_card": ["applicant_id_emblem", "applicant_id_portrait", "birth_certificate"]}


class MinorWalker(ApiWalker):
    """The guardian's walk (SPEC.md flow 3) over the API; shared steps come from ApiWalker."""

    def start_for(self, child, guardian="guardian_parent"):
        self.child = child
        self.create("sscard_minor")
        return self.verify(guardian)

    def eligibility(self, city="440300", expect=200, **changes):
        name, id_type, number, _, _ = CHILDREN[self.child]
        data = {"relationship": "51", "applicant_name": name, "applicant_id_type": id_type,
                "applicant_id_number": number, "issuing_city": city, **changes}
        return self.act("eligibility", "check", data, expect=expect)

    def upload_page(self, expect=200):
        id_type = CHILDREN[self.child][1]
        names = ["guardian_id_emblem", "guardian_id_portrait"] + MINOR_SLOTS[id_type]
        return self.act("upload", "next", {n: self.upload(n) for n in names}, expect=expect)

    def photo_page(self, expect=200):
        return ApiWalker.photo_page(self, receipt=CHILDREN[self.child][3], expect=expect)

    def info_page(self, expect=200, **changes):
        phone = "13927781506"                      # the guardian's phone
        code = self.sms("info", "mobile_code", phone)
        valid_from, valid_to = CHILDREN[self.child][4]
        data = {**ADULT_INFO, "insurance_type": self.insurance_type(), "mobile": phone, "mobile_code": code,
                "valid_from": valid_from, "valid_to": valid_to}
        for name in ("occupation",):
            data.pop(name)
        data.update(changes)
        return self.act("info", "next", data, expect=expect)

    def walk_to_confirm(self, child="child_with_household_register"):
        assert self.start_for(child)["page"] == "eligibility", self.last.get_json()
        assert self.eligibility()["page"] == "upload", self.last.get_json()
        assert self.upload_page()["page"] == "photo", self.last.get_json()
        assert self.photo_page()["page"] == "info", self.last.get_json()
        assert self.info_page()["page"] == "pickup", self.last.get_json()
        assert self.pickup_branch()["page"] == "confirm", self.last.get_json()
