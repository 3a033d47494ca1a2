"""A page as data for the renderers: fields with values, options, errors; content; review; actions.

The HTML templates and the API's page endpoint both render this one structure, so what a
citizen sees and what a client reads cannot drift apart.
"""
from __future__ import annotations

from .. import catalog, formats
from ..definitions.model import PLACEHOLDER, FieldDef, PageDef
from ..rules import holds
from ..rules.model import Test
from . import fieldcheck, records
from .display import display, masked, option_label
from .facts import resolve
from .identity import verified_subject
from .validation import applying, coerce_posted, restrictions_for, sole_choices, unanswered


def _all_options(field: FieldDef, env) -> tuple[dict, ...]:
    """Every option of the field, built once per loaded field and shared (read-only)."""
    key = f"_options:{id(env.picklists)}"
    cached = field.__dict__.get(key)
    if cached is not None:
        return cached
    if isinstance(field.options, list):
        opts = tuple(dict(o) for o in field.options)
    elif isinstance(field.options, str) and env.picklists.get(field.options) is not None:
        pl = env.picklists.get(field.options)
        if pl.is_cascade:
            opts = tuple({"value": v, "label": option_label(field, v, env.picklists)} for v in pl.leaves())
        else:
            opts = tuple(dict(o) for o in pl.options)
    else:
        opts = ()
    field.__dict__[key] = opts
    return opts


def _options(field: FieldDef, env, allowed: list | None) -> tuple[dict, ...] | list[dict]:
    opts = _all_options(field, env)
    if allowed is None:
        return opts
    return [o for o in opts if o["value"] in allowed]


def field_view(field: FieldDef, value, env, facts, allowed, error=None) -> dict:
    basis = error.hint if error is not None else None      # a rule's policy basis, shown with its message
    error_code, error = (error.code, error.message) if error is not None else (None, None)
    view = {"name": field.name, "title": field.title, "type": field.type, "widget": field.widget,
            "required": field.required, "readonly": field.readonly, "help": field.help,
            "placeholder": field.placeholder, "notice": field.notice, "value": value, "format": field.format,
            "display": display(field, value, env), "error": error, "error_code": error_code,
            "error_basis": basis}
    if field.regions:
        view["regions"] = field.regions
    if field.options:
        view["options"] = _options(field, env, allowed)
        pl = env.picklists.get(field.options) if isinstance(field.options, str) else None
        if pl is not None and pl.is_cascade:
            view["picklist"] = field.options
            view["path"] = pl.ancestors(value) if value else []
    if field.sms_phone_field:
        view["phone_field"] = field.sms_phone_field
    return view


def _records(block: dict, app) -> list[dict]:
    """The records of a list fact `<prefix>.<name>` of the application's look-ups (journey/records.py)."""
    rows = records.select(app.context, block["source"], block.get("where"))
    ident = app.context.get("subject_person") or app.context.get("identity") or {}
    holder = {"name": ident.get("name"), "id_number": formats.mask_id(ident.get("id_number") or ""),
              "ssn": formats.mask_id(ident.get("ssn") or "")}
    def shown(value):
        if isinstance(value, bool):
            return catalog.text("ui.yes" if value else "ui.no")
        return "" if value is None else value
    return [{k: shown(({**holder, **row}).get(k)) for k in block["columns"]} for row in rows]


def _record_choices(view: dict, field: FieldDef, app) -> None:
    """`options_from`: the records offered (rows and the `enum` of their values); one record is chosen."""
    rows = records.choices(field, app.context)
    view.update(records=rows, enum=[r["value"] for r in rows], columns=records.columns(field),
                empty=records.empty_text(field) if not rows else None)
    if len(rows) == 1 and view["value"] is None:
        view["value"] = rows[0]["value"]


def _with_outcome(block: dict, outcome: dict | None) -> bool:
    """Fill the block's outcome placeholders in place; whether it had any."""
    used = False
    for key in ("title", "text"):
        text = block.get(key)
        if isinstance(text, str) and PLACEHOLDER.search(text):
            block[key] = PLACEHOLDER.sub(lambda m: str((outcome or {}).get(m.group(1)) or ""), text).strip()
            used = True
    return used


def content_view(page: PageDef, app, facts, outcome: dict | None = None) -> list[dict]:
    """The blocks whose `when:` holds; a block that names the outcome (`{outcome.reason}`) is marked
    `outcome: true`, and the page then shows the reason there only."""
    out = []
    for block, condition in zip(page.content, page.content_conditions or [None] * len(page.content), strict=True):
        if not holds(condition, facts):
            continue
        block = dict(block)
        if block.get("kind") == "records":
            block["rows"] = _records(block, app)
        if _with_outcome(block, outcome):
            block["outcome"] = True
            block["code"] = (outcome or {}).get("code")
        out.append(block)
    return out


def review_view(draft, page: PageDef, facts) -> list[dict]:
    flow, env, answers = draft.flow, draft.env, draft.answers
    sections = []
    for section in page.review:
        if not holds(section.condition, facts):
            continue
        names = list(section.fields)
        target = flow.pages.get(section.page) if section.page else None
        if target is not None:
            names += (target.groups[section.group]["fields"] if section.group is not None else list(target.fields))
        items = []
        for name in names:
            f = (target.fields.get(name) if target is not None else None) or flow.field(name)
            if f is None or not (f.readonly or holds(f.condition, facts)):
                continue
            value = resolve(facts.facts, f.source) if f.readonly else answers.get(name)
            if value is None:
                continue
            items.append({"name": name, "title": f.title, "widget": f.widget, "type": f.type,
                          "value": masked(f, value), "display": display(f, value, env)})
        sections.append({"title": section.title, "edit": section.edit, "items": items, "receipt": section.receipt})
    return sections


def _sms_status(fields: list[dict], env, draft) -> None:
    """A code already sent to the phone now in the form: say so, and how long until another."""
    values = {f["name"]: f["value"] for f in fields}
    answers, app = draft.answers, draft.app
    proven = app.context.get("verified_phones") or {}
    for view in fields:
        phone_field = view.get("phone_field")
        phone = values.get(phone_field) or answers.get(phone_field) if phone_field else None
        if not phone or proven.get(phone_field) == phone:     # a proven phone's code is used up
            continue
        wait = env.store.codes.wait_seconds(app.id, str(phone), phone_field)
        if wait is not None:
            view["sms"] = {"seconds": wait, "message": catalog.text("sms.sent", phone=formats.mask_phone(str(phone)))}


def _photo_previews(fields: list[dict], env, draft) -> None:
    """【获取图片】 and 使用本人社保相片 show the photo in place (or say why not); only photos of the
    verified person applied for are shown."""
    for view in fields:
        if view["widget"] == "photo_receipt" and view["value"]:
            found = env.services.photos.lookup(view["value"])
            code = "photo_receipt.not_found" if found is None else \
                "photo_receipt.not_subject" if found.ssn != verified_subject(draft) else None
            view["photo_found"] = code is None
            if code is not None and not view["error"]:
                view["error"] = catalog.text(code)
                view["error_code"] = code
        elif view["widget"] == "system_photo":
            ssn = verified_subject(draft)
            view["photo_available"] = bool(ssn) and env.services.people.system_photo(ssn) is not None


def outcome_view(app) -> dict | None:
    """The back end's last answer as the citizen reads it: a refusal's reason in the catalogue's
    words when it has its own for the code, else the outside system's own text."""
    outcome = app.last_outcome
    if not outcome:
        return None
    if outcome.get("accepted"):
        return {"accepted": True, "reference": outcome.get("reference")}
    code = str(outcome.get("reason_code") or "")
    reason = catalog.text(code) if catalog.has(code) or not outcome.get("reason") else str(outcome["reason"])
    return {"accepted": False, "code": code or None, "reason": reason,
            "note": catalog.text("submit.gave_up") if outcome.get("gave_up") else None}


def _unavailable(draft, page: PageDef) -> dict:
    """Choices the person has nothing for: a `system_photo` field shown by one option of a choice
    on the page (`when: {field: <choice>, eq: <option>}`) takes that option away, and says why up
    front, when the registry holds no photo of the person applied for."""
    out: dict = {}
    for f in page.input_fields():
        cond = f.condition
        if f.verify != "system_photo" or not isinstance(cond, Test) or cond.op != "eq" \
                or cond.path[5:] not in page.fields or not cond.path.startswith("form."):
            continue
        ssn = verified_subject(draft)
        if ssn and draft.env.services.people.system_photo(ssn) is None:
            out[cond.path[5:]] = (cond.value, catalog.text("system_photo.unavailable"))
    return out


def _narrowed(allowed: dict, unavailable: dict, page: PageDef, env) -> dict:
    if not unavailable:
        return allowed
    out = dict(allowed)
    for name, (value, _) in unavailable.items():
        offered = out[name] if name in out else [o["value"] for o in _options(page.fields[name], env, None)]
        out[name] = [v for v in offered if v != value]
    return out


def _page_state(draft, page: PageDef, posted: dict | None, check, unavailable: dict) -> tuple:
    """What the page is shown with: the posted values (typed), the facts, the allowed options, the
    rule evaluations, and the answers chosen for the citizen (a default the rules allow, else a
    single allowed option)."""
    env, answers = draft.env, draft.answers
    typed = check.typed if check is not None else (coerce_posted(page, posted, True) if posted else {})
    chosen: dict = {}
    if posted is None:
        given = {k: v for k, v in answers.items() if k in page.input_names}
        sent = unanswered(page, given)
        facts = applying(env, page, {**given, **sent}, draft)[1] if sent else draft.facts
        allowed, evaluations = restrictions_for(env, page, facts, only_restricting=True)
        allowed = _narrowed(allowed, unavailable, page, env)
        chosen = {k: v for k, v in sent.items() if page.fields[k].default is not None   # a default the rules allow
                  and (k not in allowed or v in allowed[k])}
        chosen.update(sole_choices(env, page, given, facts, allowed))
        given.update(sent)
    elif check is not None and check.facts is not None:       # the check chose them already
        return typed, check.facts, _narrowed(check.restrictions, unavailable, page, env), check.evaluations, chosen
    else:
        today = env.today()
        given = {**{k: v for k, v in answers.items() if k in page.input_names},
                 **{k: v for k, v in typed.items()
                    if fieldcheck.check_value(page.fields[k], v, env.picklists, today) is None}}
        given, facts = applying(env, page, given, draft)
        allowed, evaluations = restrictions_for(env, page, facts, only_restricting=True)
        allowed = _narrowed(allowed, unavailable, page, env)
        chosen = sole_choices(env, page, {**given, **typed}, facts, allowed)
        typed = {**typed, **chosen}
    if chosen:
        _, facts = applying(env, page, {**given, **chosen}, draft)
    return typed, facts, allowed, evaluations, chosen


def page_view(draft, page_id: str, posted: dict | None = None, problems=None, popup=None, check=None) -> dict:
    """The page of `draft` as data. `posted`: a re-shown form shows what was posted; `check`:
    the PageCheck of that post, whose facts and restrictions are reused (not computed again)."""
    env, flow, app = draft.env, draft.flow, draft.app
    page = flow.pages[page_id]
    answers = draft.answers
    unavailable = _unavailable(draft, page)
    typed, facts, allowed, evaluations, chosen = _page_state(draft, page, posted, check, unavailable)
    reasons = {f.outcome["restrict"]["field"]: f.outcome["restrict"].get("message") or f.title
               for ev in evaluations for f in ev.fired if "restrict" in f.outcome}
    reasons.update({name: why for name, (_, why) in unavailable.items()})
    errors = {p.path: p for p in (problems or []) if p.severity == "error"}
    fields = []
    for f in page.fields.values():
        if not (f.readonly or holds(f.condition, facts)):    # does not apply: not shown (nor checked)
            continue
        if f.readonly:                 # not typed here: an ID number or phone is shown masked
            value = masked(f, resolve(facts.facts, f.source))
        elif posted is not None:       # a re-shown form shows what was posted, nothing else
            value = typed.get(f.name)
        else:
            value = answers.get(f.name)
            if value is None:                  # a default, or the one option allowed
                value = chosen.get(f.name)
        view = field_view(f, value, env, facts, allowed.get(f.name), errors.get(f.name))
        if f.options_from:
            _record_choices(view, f, app)
        if f.name in reasons:          # why some options are not offered (a rule's message)
            view["restricted"] = reasons[f.name]
        view["conditional"] = any(n in page.fields for n in f.controllers)   # shown by an answer above
        fields.append(view)
    controllers = {n for f in page.fields.values() for n in f.controllers}
    for view in fields:
        view["controls"] = view["name"] in controllers    # changing it shows or hides other fields
    _photo_previews(fields, env, draft)
    _sms_status(fields, env, draft)
    steps = flow.steps
    outcome = outcome_view(app)
    content = content_view(page, app, facts, outcome)
    if outcome is not None and any(b.get("outcome") for b in content):
        outcome["in_content"] = True          # the page's own text says it: not said again above it
    return {
        "flow": {"id": flow.id, "title": flow.title, "version": flow.version},
        "application": {"id": app.id, "status": app.status, "reference": app.reference, "revision": app.revision,
                        "outcome": outcome if page.final else None},
        "page": {"id": page.id, "title": page.title, "manual": page.manual, "final": page.final,
                 "step": steps.index(page.id) + 1 if page.id in steps else None, "steps": len(steps)},
        "content": content,
        "fields": fields,
        "groups": page.groups,
        "review": review_view(draft, page, facts) if page.review else [],
        "actions": [{"id": a.id, "label": a.label, "saves": a.saves, "confirm": a.confirm} for a in page.actions],
        "errors": [{"path": p.path, "code": p.code, "message": p.message} for p in (problems or [])
                   if p.severity == "error"],
        "notes": [p.message for p in (problems or []) if p.severity == "info"],
        "popup": popup.as_dict() if popup is not None and not isinstance(popup, dict) else popup,
    }
