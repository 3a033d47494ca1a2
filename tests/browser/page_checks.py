"""What every page of every flow must be, read from the DOM alone (no page, field or persona names):
used by tests/browser/test_phone_personas.py on each page state a walk reaches.

- only what applies: no field is rendered hidden, greyed ("inactive") or with a "…时填写" note;
- the error summary is the page's: its links are exactly the fields that show an error, with the
  same words, and each link leads to its field;
- nothing lost: the answers in the form (typed, chosen, uploaded) are what the page shows again
  after a reload (with JavaScript: saved as the citizen goes) or after a no-JS step (确定, 下一级,
  发送验证码, the branch chooser: the page comes back with everything typed).
"""
from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from steps import Citizen

# Every answer in the page's form: name -> value (a radio: the checked one; a box: ticked or not), the
# upload previews, and which fields are on the page. Controls of the page's machinery (names starting
# with "_": revision, CSRF, the errors shown) and the branch search box (a search, not an answer) are
# left out; so are controls hidden for this mode (no-JS buttons with JavaScript and the other way),
# and a one-time code (autocomplete=one-time-code: it proves a phone once and is never kept).
_FORM_STATE = """() => {
  const shown = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  const values = {}, hidden = [];
  for (const e of document.querySelectorAll('main form [name]')) {
    const type = (e.type || '').toLowerCase();
    if (e.tagName === 'BUTTON' || ['submit', 'button', 'file', 'search', 'reset'].includes(type)) continue;
    if (e.closest('.branch-search')) continue;
    if (e.autocomplete === 'one-time-code') continue;      // an SMS code proves a phone once: not kept (entries.py)
    if (type === 'hidden' ? e.name.startsWith('_') : !shown(e)) continue;
    if (type === 'radio') {
      if (e.checked) values[e.name] = e.value; else if (!(e.name in values)) values[e.name] = '';
    }
    else if (type === 'checkbox') values[e.name + '=' + e.value] = e.checked;
    else if (e.tagName === 'SELECT') values[e.name] = e.value ? e.options[e.selectedIndex].text.trim() : '';
    else values[e.name] = e.value;
    if (type === 'hidden') hidden.push(e.name);
  }
  const previews = [...document.querySelectorAll('main form fieldset.upload')]
      .map(f => f.id + ':' + [...f.querySelectorAll('img')].map(i => new URL(i.src).pathname).join(','));
  const fields = [...document.querySelectorAll('main form .field')].map(f => f.id);
  return {values, hidden, previews, fields};
}"""

_APPLIES = """() => {
  const shown = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  const main = document.querySelector('main');
  return {
    inactive: [...main.querySelectorAll('.inactive, .conditional.inactive, .field[aria-disabled=true]')]
        .map(e => e.id || e.className),
    hidden_fields: [...main.querySelectorAll('.field')].filter(f => !shown(f)).map(f => f.id),
    disabled: [...main.querySelectorAll('.field input:disabled, .field select:disabled, .field textarea:disabled')]
        .map(e => e.name),
    only_when: (main.innerText.match(/[^\\n。]*时填写[^\\n。]*/g) || []),
  };
}"""

_SUMMARY = """() => {
  const box = document.getElementById('error-summary');
  const links = box ? [...box.querySelectorAll('li')].map(li => {
      const a = li.querySelector('a');
      return {href: a ? a.getAttribute('href') : null, text: li.innerText.trim()};
  }) : [];
  const inline = [...document.querySelectorAll('main .field p.error:not(.client-error)')].map(p => {
      const field = p.closest('.field');
      return {href: '#i-' + field.id.replace(/^f-/, ''), text: p.innerText.trim()};
  });
  const targets = links.filter(l => l.href).map(l => [l.href, !!document.getElementById(l.href.slice(1))]);
  return {links, inline, targets, shown: !!(box && box.classList.contains('error-summary'))};
}"""


def form_state(page: Page) -> dict:
    return page.evaluate(_FORM_STATE)


def only_what_applies(page: Page) -> list[str]:
    """Problems with "only what applies" on the page as it is now."""
    found = page.evaluate(_APPLIES)
    problems = []
    if found["inactive"]:
        problems.append(f"greyed-out (inactive) fields are on the page: {found['inactive']}")
    if found["hidden_fields"]:
        problems.append(f"fields are in the page but hidden: {found['hidden_fields']}")
    if found["disabled"]:
        problems.append(f"disabled controls stand for fields that do not apply: {found['disabled']}")
    if found["only_when"]:
        problems.append(f"'…时填写' notes: {found['only_when']}")
    return problems


def summary_problems(page: Page) -> list[str]:
    """Where the error summary and the errors next to the fields disagree."""
    s = page.evaluate(_SUMMARY)
    problems = []
    with_field = sorted((item["href"], item["text"]) for item in s["links"] if item["href"])
    beside = sorted((item["href"], item["text"]) for item in s["inline"])
    if with_field != beside:
        problems.append(f"the summary lists {with_field}, the fields show {beside}")
    if s["links"] and not s["shown"] or s["shown"] and not s["links"]:
        problems.append(f"an error summary shown={s['shown']} with {len(s['links'])} item(s)")
    broken = [href for href, there in s["targets"] if not there]
    if broken:
        problems.append(f"summary links lead nowhere: {broken}")
    return problems


def error_fields(page: Page) -> list[str]:
    """The ids of the fields that show an error now (page order)."""
    return page.evaluate("() => [...document.querySelectorAll('main .field p.error:not(.client-error)')]"
                         ".map(p => p.closest('.field').id.replace(/^f-/, ''))")


def kept(before: dict, after: dict) -> list[str]:
    """What was in the form `before` and is not the same `after` (a value given, an upload)."""
    def gone(name, value):
        now = after["values"].get(name)
        # a hidden value stands for what the visible controls say (a region chosen level by level, a
        # branch chosen on its own page): it may become more precise, never empty
        return now in ("", None) if name in before["hidden"] else now != value
    lost = [f"{name}: {value!r} → {after['values'].get(name)!r}" for name, value in before["values"].items()
            if value not in ("", False, None) and gone(name, value)]
    lost += [f"upload {p} → missing" for p in before["previews"] if p not in after["previews"]]
    return lost


def same_form(before: dict, after: dict) -> list[str]:
    """A reload shows exactly the same form: the same fields, values and upload previews."""
    problems = kept(before, after)
    gained = {k: v for k, v in after["values"].items()
              if k not in before["values"] or before["values"][k] != v}
    if gained:
        problems.append(f"after the reload the form has {gained} (before: "
                        f"{ {k: before['values'].get(k) for k in gained} })")
    if before["fields"] != after["fields"]:
        problems.append(f"the fields changed from {before['fields']} to {after['fields']}")
    if sorted(before["previews"]) != sorted(after["previews"]):
        problems.append(f"the upload previews changed from {before['previews']} to {after['previews']}")
    return problems


class CheckedCitizen(Citizen):
    """A citizen whose every page state is checked (a), (c), and whose every press is checked (b)."""

    def __init__(self, page, server, recorder):
        super().__init__(page, server, recorder)
        self.found: list[str] = []
        self.pending: dict[str, dict] = {}      # no JS: the form before a step that left the page

    # -- what is looked at on every page state ------------------------------------------------------
    def title(self) -> str:
        h1 = self.page.get_by_role("heading", level=1).first
        expect(h1).to_be_visible()
        return h1.inner_text().strip()

    def check(self, where: str) -> None:
        self.settle()
        for problem in only_what_applies(self.page) + summary_problems(self.page):
            self.found.append(f"[{self.recorder.count:02d} {where}] {problem}")

    def sees(self, title: str, note: str = "") -> None:
        super().sees(title, note)
        self.check(title)
        before = self.pending.pop(title, None)
        if before is not None:                  # back from the branch chooser (no JS)
            self._kept(before, f"{title}: back on the page")

    def snapshot(self, note: str) -> None:
        super().snapshot(note)
        self.check(note)

    def _kept(self, before: dict, where: str) -> None:
        for lost in kept(before, form_state(self.page)):
            self.found.append(f"[{self.recorder.count:02d} {where}] lost: {lost}")

    # -- what is looked at on every press -------------------------------------------------------------
    def click(self, button: Locator) -> None:
        where, label = button.evaluate("b => [!b.closest('main form') || b.closest('dialog, [role=alertdialog]') "
                                       "? 'other' : b.closest('.actions') ? 'leaves' : 'step', b.innerText.trim()]")
        title = self.title()
        if where == "leaves" and self.recorder.javascript and self.page.locator("main form .field").count():
            self.reload_keeps(title)
        if where == "other":
            button.click()
            return
        before = form_state(self.page)
        if self.recorder.javascript:
            button.click()
            self.settle()
        else:
            with self.page.expect_navigation():
                button.click()
        if where == "leaves":
            return
        if self.title() == title:
            self._kept(before, f"{title}: after 【{label}】")
        else:
            self.pending[title] = before

    def reload_keeps(self, title: str) -> None:
        """(b) with JavaScript: what the page holds now is what a reload shows."""
        self.settle()
        before = form_state(self.page)
        codes = self.page.locator("main input[autocomplete=one-time-code]")
        typed = [(codes.nth(i).get_attribute("id"), codes.nth(i).input_value()) for i in range(codes.count())]
        self.page.reload()
        expect(self.heading(title)).to_be_visible()
        self.settle()
        for ident, value in typed:              # an SMS code is never kept: typed again from the SMS
            if value:
                box = self.page.locator(f"#{ident}")
                box.fill(value)
                box.blur()
                self.settle()
        for problem in same_form(before, form_state(self.page)):
            self.found.append(f"[{self.recorder.count:02d} {title}: reload] {problem}")

    def done(self) -> None:
        assert not self.found, "\n".join(self.found)
