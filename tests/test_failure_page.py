"""提交失败 leads with 【重新提交】 and says why (issue 16, item 8): the shared failure page's text
names `{outcome.reason}`, filled from the back end's last answer (the connector's declared
failure title); HTML and API show the same."""
from __future__ import annotations

import re

from test_html_walks import _to_confirm
from walkers import VALIDITY, HtmlWalker

REASON = "制卡系统退回了您的申请：相片审核未通过，请核对信息后重新提交。"   # connectors/card_backend.yaml


def html_failure_page(app) -> tuple[HtmlWalker, str]:
    """黄丽华 (`rejected_once`) submits through the HTML forms; the back end refuses: the failure page."""
    web = HtmlWalker(app.test_client(), app)
    valid_from, valid_to = VALIDITY["rejected_once"]
    _to_confirm(web, persona="rejected_once", valid_from=valid_from, valid_to=valid_to)
    web.post("confirm", "submit", expect=302)
    assert web.location().endswith("/failure")
    return web, web.get("failure").get_data(as_text=True)


def test_html_failure_page_gives_the_reason_and_leads_with_resubmit(app):
    web, page = html_failure_page(app)
    message = re.search(r'<section class="message failure"[^>]*>(.*?)</section>', page, re.S)
    assert message and REASON in message.group(1)
    assert 'data-code="backend.rejected"' in message.group(0)
    assert page.count(REASON) == 1                        # said once, in the page's own text
    buttons = re.findall(r'<button type="submit" name="_action" value="([a-z_]+)" class="([a-z]+)">([^<]+)<', page)
    assert buttons[0] == ("resubmit", "primary", "重新提交")
    assert ("home", "secondary", "返回首页") in buttons
    web.post("failure", "resubmit", expect=302)
    assert web.location().endswith("/confirm")


def test_api_failure_page_view_gives_the_reason_and_resubmit_first(api):
    api.walk_to_confirm("rejected_once")
    api.act("confirm", "submit", expect=502)
    status, view = api.page("failure")
    assert status == 200
    assert view["application"]["outcome"]["code"] == "backend.rejected"
    result = next(b for b in view["content"] if b.get("outcome"))
    assert result["text"] == REASON and result["code"] == "backend.rejected"
    assert "{outcome" not in str(view["content"])
    assert [a["id"] for a in view["actions"]][:1] == ["resubmit"]
    assert api.act("failure", "resubmit")["page"] == "confirm"
