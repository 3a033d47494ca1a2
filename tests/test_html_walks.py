"""The citizen's walks through the plain HTML forms (no JavaScript), persona by persona."""
from __future__ import annotations

import pytest

from govflow.web.widgets import photo_ref
from walkers import ADULT_INFO, HtmlWalker, jpeg


@pytest.fixture
def web(app):
    return HtmlWalker(app.test_client(), app)


def _to_confirm(web, persona="mainland_adult", phone="13800138001", **info):
    web.walk_to_info(persona)
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": phone, **info}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, expect=302)
    branch = web.journey.env.services.branches.search(None, "天河")[0].id
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": branch}, expect=302)
    assert web.location().endswith("/confirm")


def test_every_page_renders_with_labels_and_step(web):
    web.start()
    guide = web.get("guide").get_data(as_text=True)
    for text in ("质量管理卡", "同步申领告知书", "办理须知", "所需材料", "办理流程", "完成人脸核验开始办理",
                 "第 1 步，共 7 步"):
        assert text in guide
    assert web.last.headers["Cache-Control"] == "no-store"
    _to_confirm(web)
    for page, texts in {"eligibility": ["陈志明", "4401**********3510", "意向发卡地"],
                        "upload": ["身份证国徽面", "身份证人像面", "删除身份证国徽面"],
                        "photo": ["使用本人社保相片", "使用社保系统相片制卡"],      # 获取图片: not chosen
                        "info": ["民族", "证件有效期是否为长期", "发送验证码", "服务银行", "参保类型"],
                        "pickup": ["网点领卡", "邮寄到付", "选择受理网点"],
                        "confirm": ["个人信息", "制卡相片", "社保卡信息", "领卡网点", "上传材料", "修改",
                                    "确认提交"]}.items():
        html = web.get(page).get_data(as_text=True)
        assert web.last.status_code == 200, page
        for text in texts:
            assert text in html, (page, text)
        assert '<label for="i-' in html or "<legend>" in html or page in ("confirm", "eligibility")


def test_happy_path_without_javascript(web):
    _to_confirm(web)
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/success")
    page = web.client.get(web.location()).get_data(as_text=True)
    assert "提交成功" in page and "受理编号" in page


def test_errors_keep_what_was_entered(web):
    web.walk_to_info()
    web.post("info", "next", {"residence_address": "天河路100号3栋501房", "mobile": "138"}, expect=422)
    html = web.text()
    assert "天河路100号3栋501房" in html            # nothing already entered is lost
    assert 'class="error-summary"' in html and 'href="#i-ethnicity"' in html
    assert ("mobile", "format.shape") in web.errors()


def test_pending_application_popup_keeps_citizen_on_guide(web):
    web.start()
    r = web.verify("pending_application")
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert 'role="alertdialog"' in html and "PRE-002" in html
    assert web.get("eligibility").status_code == 302


def test_two_cards_popup_leads_to_cleanup_and_back(web):
    web.start()
    web.verify("two_cards")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=409)
    assert "一人一卡" in web.text() or "cleanup" in web.text()
    adult = web.id
    r = web.client.post(f"/a/{adult}/_redirect", data={"_csrf": web._csrf()})
    assert r.status_code == 302 and r.headers["Location"].endswith("/guide")
    web.id = r.headers["Location"].split("/")[2]
    assert web.id != adult
    web.post("guide", "start", {"consent": "true"}, expect=302)
    cards = web.get("cards").get_data(as_text=True)
    assert "A40127356" in cards and "A60288941" in cards
    web.post("cards", "next", expect=302)
    web.post("confirm", "clean", expect=200)              # first the confirmation dialog
    assert "确定要提交清理吗" in web.text() and 'name="_confirmed"' in web.text()
    web.post("confirm", "clean", _confirmed="1", expect=302)
    assert web.location().endswith("/success")
    web.post("success", "continue", expect=302)
    assert web.location() == f"/a/{adult}/eligibility"
    web.id = adult
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    assert web.location().endswith("/upload")


def test_upload_preview_delete_and_wrong_type(web):
    web.start()
    web.verify("mainland_adult")
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    web.post("upload", "next", {"document_set": "id_card"}, expect=422)
    assert "拍照" in web.text() and "从手机相册选择" in web.text() and 'capture="environment"' in web.text()
    web.post("upload", "next", {"document_set": "id_card"}, files={"id_card_emblem": b"not an image"}, expect=422)
    assert ("id_card_emblem", "upload.not_image") in web.errors()
    web.post("upload", "next", {"document_set": "id_card"},
             files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}, expect=302)
    html = web.get("upload").get_data(as_text=True)
    assert html.count('class="thumb"') == 2 and "删除身份证国徽面" in html
    upload_id = web.journey.env.store.applications.get(web.id).answers["upload"]["id_card_emblem"]
    assert web.client.get(f"/a/{web.id}/_uploads/{upload_id}").mimetype == "image/jpeg"
    other = HtmlWalker(web.client.application.test_client(), web.client.application)
    other.start()
    assert other.client.get(f"/a/{web.id}/_uploads/{upload_id}").status_code == 404   # owner only
    web.post("upload", "next", {"document_set": "id_card", "id_card_emblem": upload_id,
                                "id_card_portrait": "x"}, _delete="id_card_emblem", expect=200)
    assert web.journey.env.store.uploads.get(web.id, upload_id) is None
    assert 'name="id_card_emblem" accept' in web.text()         # can be chosen again


def test_post_without_csrf_token_is_refused(web):
    web.start()
    r = web.client.post(f"/a/{web.id}/guide", data={"_action": "start", "consent": "true"})
    assert r.status_code == 400


def test_sms_outbox_page_in_simulator_mode(web):
    _to_confirm(web)
    assert "验证码" in web.client.get("/dev/sms").get_data(as_text=True)


def test_edit_link_on_review_returns_to_review(web):
    _to_confirm(web)
    html = web.get("confirm").get_data(as_text=True)
    assert f'/a/{web.id}/photo?return_to=confirm' in html
    page = web.get("photo", return_to="confirm").get_data(as_text=True)
    assert 'name="_return_to" value="confirm"' in page
    web.post("photo", "use_photo", {"photo_source": "receipt", "photo_receipt_number": "XP2025010316"},
             _return_to="confirm", expect=302)
    assert web.location().endswith("/confirm")


def test_guardian_walks_the_minor_application_without_javascript(web):
    web.start("sscard_minor")
    assert "代未成年子女办理" in web.get("guide").get_data(as_text=True)
    assert web.verify("guardian_parent").headers["Location"].endswith("/eligibility")
    page = web.get("eligibility").get_data(as_text=True)
    assert "法定监护人与申领人关系" in page and "张伟" in page
    web.post("eligibility", "check", {"relationship": "51", "applicant_name": "张子轩",
                                       "applicant_id_type": "household_register",
                                       "applicant_id_number": "440305201906010573", "issuing_city": "440300"},
             expect=302)
    upload = web.get("upload").get_data(as_text=True)
    assert "户口本子女页" in upload and "出生医学证明" not in upload
    files = {n: jpeg() for n in ("guardian_id_emblem", "guardian_id_portrait", "household_main_page",
                                 "household_head_page", "household_child_page")}
    web.post("upload", "next", files=files, expect=302)
    web.post("photo", "use_photo", {"photo_source": "receipt", "photo_receipt_number": "XP2024090907"}, expect=302)
    data = {**{k: v for k, v in ADULT_INFO.items() if k != "occupation"}, "insurance_type": "MEDICAL_RESIDENT",
            "mobile": "13927781506", "valid_from": "2019-06-01", "valid_to": "2035-06-01"}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, expect=302)
    branch = web.journey.env.services.branches.search(None, "南山")[0].id
    web.post("pickup", "next", {"pickup_method": "branch", "branch_id": branch}, expect=302)
    review = web.get("confirm").get_data(as_text=True)
    assert "监护人信息" in review and "申领人信息" in review and "张子轩" in review
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/success")


# -- the guardian check and whose photo may be shown (issue 10, item 1) ------------------------------

def _minor_eligibility(web, persona, name, id_type, number, relationship="51", expect=302):
    web.start("sscard_minor")
    assert web.verify(persona).headers["Location"].endswith("/eligibility")
    return web.post("eligibility", "check", {"relationship": relationship, "applicant_name": name,
                                             "applicant_id_type": id_type, "applicant_id_number": number,
                                             "issuing_city": "440300"}, expect=expect)


def test_non_relative_sees_nothing_of_the_child_in_the_html_pages(web):
    _minor_eligibility(web, "mainland_adult", "张明辉", "resident_id_card", "440305201407070459", expect=422)
    page = web.text()
    assert ("applicant_id_number", "MIN-005") in web.errors()
    assert "您不是该申领人的法定监护人" in page and "民法典" in page          # the message and its basis
    for secret in ("B51203377", "B71940062", "招商银行", "中国银行", "多张社保卡"):
        assert secret not in page
    for later in ("upload", "photo", "info", "confirm"):
        assert web.get(later).status_code == 302 and web.location().endswith("/eligibility")
    assert web.client.get(f"/a/{web.id}/_photo").status_code == 404
    assert web.client.post(f"/a/{web.id}/_redirect", data={"_csrf": web._csrf()}).status_code == 404


def _ref(walker, receipt):
    """The photo URL's sealed receipt number, as the photo widget makes it."""
    with walker.client.application.test_request_context():
        return photo_ref(walker.id, receipt)


def test_registry_photo_only_for_the_verified_child(web):
    _minor_eligibility(web, "mainland_adult", "张欣怡", "resident_id_card", "440305201511200049", expect=422)
    assert web.client.get(f"/a/{web.id}/_photo").status_code == 404          # a stranger: no photo
    other = HtmlWalker(web.client.application.test_client(), web.client.application)
    _minor_eligibility(other, "guardian_parent", "张欣怡", "resident_id_card", "440305201511200049")
    photo = other.client.get(f"/a/{other.id}/_photo")
    assert photo.status_code == 200 and photo.data[:2] == b"\xff\xd8"      # her father: her photo
    brother = {"ref": _ref(other, "XP2024090907")}                       # her brother's receipt
    assert other.client.get(f"/a/{other.id}/_photo", query_string=brother).status_code == 404


def test_photo_before_the_child_is_accepted_is_refused(web):
    web.start("sscard_minor")
    web.verify("guardian_parent")
    assert web.client.get(f"/a/{web.id}/_photo").status_code == 404          # no child named yet
    _minor_eligibility(web, "guardian_parent", "张子轩", "household_register", "440305201906010573")
    receipt = web.client.get(f"/a/{web.id}/_photo", query_string={"ref": _ref(web, "XP2024090907")})
    assert receipt.status_code == 200 and receipt.data[:2] == b"\xff\xd8"    # 张子轩's own receipt


def test_a_receipt_of_another_person_is_refused_in_the_form(web):
    web.start()
    web.verify("rejected_once")                                             # 黄丽华 ...
    web.post("eligibility", "check", {"issuing_city": "440100"}, expect=302)
    web.post("upload", "next", {"document_set": "id_card"},
             files={"id_card_emblem": jpeg(), "id_card_portrait": jpeg()}, expect=302)
    web.post("photo", "use_photo", {"photo_source": "receipt", "photo_receipt_number": "XP2024051301"},
             expect=422)                                                    # ... with 李嘉欣's receipt
    assert web.errors() == [("photo_receipt_number", "photo_receipt.not_subject")]
    assert "不是申领人本人的相片" in web.text()
    assert web.client.get(f"/a/{web.id}/_photo", query_string={"ref": _ref(web, "XP2024051301")}).status_code == 404
    own = web.client.get(f"/a/{web.id}/_photo")
    assert own.status_code == 200                                           # her own registry photo


def test_branch_chooser_offers_the_areas_of_the_fields_regions_list(web):
    """The pickup page's branch field says `regions:` (a cascade pick-list): the no-JS chooser and
    the live search list its cities and counties; nothing in the code names the list."""
    web.walk_to_info()
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001"}
    data["mobile_code"] = web.sms("info", "mobile_code", data)
    web.post("info", "next", data, expect=302)
    flow = web.journey.flow("sscard_adult")
    field = flow.pages["pickup"].fields["branch_id"]
    regions = web.journey.env.picklists.get(field.regions)
    city = regions.options[0]
    county = regions.children(city["value"])[0]
    chooser = web.client.get(f"/a/{web.id}/pickup/branches/branch_id").get_data(as_text=True)
    assert f'value="{county["value"]}"' in chooser and county["label"] in chooser
    assert f'value="{county["value"]}"' in web.get("pickup").get_data(as_text=True)
