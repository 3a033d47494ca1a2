"""The case document: everything that decided one application, as one JSON-ready dict.

Built under the definitions the application was decided by (its pinned bundle, `journey.bound`),
so each rule's title and 依据 are those of the rule file at that version. It is what the staff
case view shows (web/staff_case.py), what its JSON download is, and what `case_pdf` lays out
(cases/export.py; the shape is tests/fixtures/case_document.json):

- the header: id, flow (id, title, version), bundle, rule set versions, status, times, reference;
- `contents`: the answers page by page, names, ID numbers and phones masked (`shown`); `full`
  only for the keys in `revealed` (a reveal with a recorded reason) or when `personal` is set;
- `uploads`: what was uploaded per slot (id, type, size, dimensions, time), never the image;
- `path`: every step the citizen took (store/steps.py), with page, button and result titles;
- `evaluations`: every rule set evaluated at every step, from the sealed rule inputs
  (store/decisions.py RuleInputs), each rule fired or passed, with the facts it read masked as
  the decision trail masks them (journey/audit.py mask_facts);
- `submissions`: each submission (the outbox entry queued by 【确认提交】) and each answer of the
  back end to it, with the reason of a refusal, the tries, and the reference;
- `files`: the pinned flow and rule files, with the staff page that shows them at that version.

No Flask here: links come from the `file_url(version, name)` callable the web layer passes in.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .. import formats
from ..catalog import has as has_msg
from ..catalog import text as msg
from ..diffs.describe import describe_outcome, describe_value
from ..errors import Unavailable
from ..journey.audit import mask_facts
from ..journey.display import display

IDENTITY_MASKS = {"name": formats.mask_name, "id_number": formats.mask_id, "ssn": formats.mask_id,
                  "phone": formats.mask_phone}
SUBMIT_PREFIX = "submit:"


def pinned(journey, app):
    """The journey under the definitions the application was decided by (else the current ones)."""
    try:
        return journey.bound(app)
    except Unavailable:
        return journey


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _title(key: str, fallback: str = "", **values) -> str:
    return msg(key, **values) if has_msg(key) else fallback


def contents(journey, app, revealed: frozenset[str] = frozenset(), personal: bool = False) -> list[dict]:
    """What the application holds about the person, page by page as the citizen answered it:
    ID numbers, phones and names masked; a value in `revealed` (asked for with a recorded reason),
    or every value when `personal`, in full. Each item says whether it can be revealed (its
    masked form differs)."""
    bound = pinned(journey, app)
    env = bound.env
    flow = env.flows.get(app.flow_id)
    identity = app.context.get("identity") or {}
    items: list[dict] = [{"section": msg("staff.app.identity"), "key": f"identity.{name}",
                          "title": msg(f"staff.app.identity.{name}"),
                          "shown": IDENTITY_MASKS[name](str(identity[name])), "full": str(identity[name])}
                         for name in IDENTITY_MASKS if identity.get(name)]
    for page in (flow.pages.values() if flow is not None else ()):
        answers = app.answers.get(page.id) or {}
        for field in page.input_fields():
            value = answers.get(field.name)
            if value is None or value == "" or field.type == "upload":
                continue
            items.append({"section": page.title, "key": f"{page.id}.{field.name}", "title": field.title,
                          "shown": display(field, value, env), "full": display(field, value, env, masked=False)})
    for item in items:
        item["maskable"] = item["shown"] != item["full"]
        if not (personal or item["key"] in revealed) or not item["maskable"]:
            item["full"] = None          # never in the page or a file unless revealed
    return items


def _upload_titles(flow) -> dict[str, str]:
    titles: dict[str, str] = {}
    for page in (flow.pages.values() if flow is not None else ()):
        for field in page.fields.values():
            if field.type == "upload":
                titles.setdefault(field.name, field.title)
    return titles


def uploads(env, app, flow) -> list[dict]:
    titles = _upload_titles(flow)
    return [{"id": u.id, "slot": u.slot, "title": titles.get(u.slot, u.slot), "content_type": u.content_type,
             "size": u.size, "width": u.width, "height": u.height, "created_at": _iso(u.created_at)}
            for u in env.store.uploads.for_application(app.id)]


def _page_title(flow, page_id: str | None) -> str:
    page = flow.pages.get(page_id) if flow is not None and page_id else None
    return page.title if page is not None else (page_id or "")


def _step_title(flow, step: str) -> str:
    """`info.next` as 申请信息 · 下一步 (`on_enter` as 进入页面)."""
    page_id, _, action_id = step.partition(".")
    page = flow.pages.get(page_id) if flow is not None else None
    if page is None:
        return step
    if action_id == "on_enter":
        return f"{page.title} · {msg('staff.case.on_enter')}"
    action = page.action(action_id)
    return f"{page.title} · {action.label if action is not None else action_id}"


def path(env, app, flow) -> list[dict]:
    out = []
    for step in env.store.case_steps.for_application(app.id):
        page = flow.pages.get(step.page) if flow is not None else None
        action = page.action(step.action) if page is not None else None
        out.append({"at": _iso(step.at), "page": step.page, "page_title": _page_title(flow, step.page),
                    "action": step.action, "action_title": action.label if action is not None else step.action,
                    "status": step.status, "status_title": _title(f"staff.case.step.{step.status}", step.status),
                    "to_page": step.to_page, "to_page_title": _page_title(flow, step.to_page) if step.to_page else ""})
    return out


def _facts(paths, seen: dict, titles: dict) -> list[dict]:
    return [{"path": p, "title": titles.get(p, p), "value": describe_value(seen[p], titles)}
            for p in paths if p in seen]


def _evaluation(rulebook, flow, at, step, ruleset, version, fired, inputs, decision, titles, file_url,
                bundle) -> dict:
    rs = rulebook.rulesets.get(ruleset)
    outcomes = ((decision.outcome or {}).get("outcomes") or {}) if decision is not None else {}
    masked = mask_facts(inputs or {})
    seen = {**masked, **(decision.facts if decision is not None else {})}    # the decision's: derived facts too
    rules = []
    known = list(rs.rules) if rs is not None else []
    for rule in known:
        is_fired = rule.id in fired
        then = outcomes.get(rule.id, rule.then) if is_fired else None
        rules.append({"id": rule.id, "title": rule.title, "basis": rule.basis, "fired": is_fired,
                      "outcome": describe_outcome(then, titles) if then else None,
                      "facts": _facts(rule.facts_read or tuple(seen), seen, titles)})
    for rule_id in fired:                       # fired under a rule set this bundle no longer has
        if rule_id not in {r.id for r in known}:
            rules.append({"id": rule_id, "title": "", "basis": "", "fired": True,
                          "outcome": describe_outcome(outcomes.get(rule_id), titles) if outcomes.get(rule_id) else None,
                          "facts": _facts(tuple(seen), seen, titles)})
    file = rs.file if rs is not None else ""
    return {"at": _iso(at), "step": step, "step_title": _step_title(flow, step), "ruleset": ruleset,
            "ruleset_title": rs.title if rs is not None else ruleset, "version": version, "file": file,
            "file_url": file_url(bundle, file) if file and bundle else None,
            "fired": list(fired), "rules": rules}


def evaluations(env, app, flow, rulebook, decisions, titles, file_url, bundle) -> list[dict]:
    """Every rule set of every step, in time order; a decision without its sealed inputs (recorded
    before they were kept) still shows the rules that fired."""
    pending = [d for d in decisions if not d.ruleset.startswith(SUBMIT_PREFIX)]
    out = []
    for entry in env.store.rule_inputs.for_application(app.id):
        match = next((d for d in pending if d.ruleset == entry.ruleset and d.ruleset_version == entry.ruleset_version
                      and (d.outcome or {}).get("when") == entry.step and list(d.rule_ids) == list(entry.fired)),
                     None) if entry.fired else None
        if match is not None:
            pending.remove(match)
        out.append(_evaluation(rulebook, flow, entry.at, entry.step, entry.ruleset, entry.ruleset_version,
                               entry.fired, entry.inputs, match, titles, file_url, bundle))
    for d in pending:
        out.append(_evaluation(rulebook, flow, d.at, (d.outcome or {}).get("when", ""), d.ruleset, d.ruleset_version,
                               d.rule_ids, {}, d, titles, file_url, bundle))
    out.sort(key=lambda e: e["at"] or "")
    return out


def submissions(decisions) -> list[dict]:
    """Each 【确认提交】 (queued: attempt n) and each answer of the back end to it (try m of n)."""
    out: list[dict] = []
    attempt = 0
    for d in decisions:
        if not d.ruleset.startswith(SUBMIT_PREFIX):
            continue
        outcome = d.outcome or {}
        operation = d.ruleset[len(SUBMIT_PREFIX):]
        if "queued" in outcome:
            attempt = int(outcome.get("attempt") or attempt + 1)
            status, tries = "queued", None
        else:
            status, tries = str(outcome.get("status") or ""), outcome.get("attempt")
        out.append({"at": _iso(d.at), "operation": operation, "attempt": attempt or 1, "try": tries,
                    "status": status, "status_title": _title(f"staff.case.submission.{status}", status),
                    "reason_code": outcome.get("reason_code") or "", "reason": outcome.get("reason") or "",
                    "reference": outcome.get("reference") or ""})
    return out


def files(flow, rulebook, app, file_url, bundle) -> list[dict]:
    names = list(flow.files) if flow is not None else []
    for name in sorted(app.rule_versions or {}):
        rs = rulebook.rulesets.get(name)
        if rs is not None and rs.file not in names:
            names.append(rs.file)
    return [{"name": name, "url": file_url(bundle, name) if bundle else None} for name in names]


def case_document(journey, app, *, revealed: frozenset[str] = frozenset(), personal: bool = False,
                  titles: dict | None = None, file_url: Callable[[str, str], str | None] | None = None,
                  exported: dict | None = None) -> dict[str, Any]:
    """The case document of `app` (see the module docstring). `titles`: fact path -> title for
    the facts' names; `exported`: who exports it, when, with personal data or not, and why."""
    bound = pinned(journey, app)
    env = bound.env                      # shares the store with the current journey
    flow = env.flows.get(app.flow_id)
    titles = titles or {}
    link = file_url or (lambda version, name: None)
    bundle = app.context.get("bundle")
    decisions = env.store.decisions.for_application(app.id)
    doc: dict[str, Any] = {
        "id": app.id,
        "flow": {"id": app.flow_id, "title": flow.title if flow is not None else app.flow_id,
                 "version": app.flow_version},
        "bundle": bundle,
        "status": app.status,
        "status_title": _title(f"staff.case.status.{app.status}", app.status),
        "reference": app.reference or "",
        "parent_id": app.parent_id,
        "created_at": _iso(app.created_at),
        "updated_at": _iso(app.updated_at),
        "rule_versions": dict(app.rule_versions or {}),
        "contents": contents(journey, app, revealed, personal),
        "uploads": uploads(env, app, flow),
        "path": path(env, app, flow),
        "evaluations": evaluations(env, app, flow, env.rulebook, decisions, titles, link, bundle),
        "submissions": submissions(decisions),
        "files": files(flow, env.rulebook, app, link, bundle),
    }
    if exported is not None:
        doc["exported"] = exported
    return doc

