from steps import *
def test_scratch(citizen):
    c = citizen
    start_application(c); verify_face(c, "mainland_adult"); check_eligibility(c)
    upload_documents(c, "居民身份证", ["身份证国徽面", "身份证人像面"]); use_system_photo(c)
    c.sees("申请信息")
    c.page.get_by_label("常住地区", exact=True).select_option(label="广州市"); c.settle()
    print(c.page.locator("#f-residence_region").evaluate("e => e.outerHTML")[:1500])
    print(c.page.locator("#f-residence_region").aria_snapshot()[:1500])
