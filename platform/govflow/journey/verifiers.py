"""Checks that need the application and the outside services (the `verify:` key of a field).

Dispatched from a table, one small function per kind, like jsonschema's keyword functions.
"""
from __future__ import annotations

from typing import Callable

from ..definitions.model import FieldDef
from ..errors import Problem
from . import fieldcheck
from .identity import verified_subject


def phone_for(field: FieldDef, values: dict, draft) -> str | None:
    name = field.sms_phone_field
    return values.get(name) or draft.answers.get(name)


def already_verified(field: FieldDef, values: dict, draft) -> bool:
    """An SMS code field needs no new code while its phone number is the one already proven."""
    name = field.sms_phone_field
    if not name or draft is None:
        return False
    phone = phone_for(field, values, draft)
    return bool(phone) and (draft.app.context.get("verified_phones") or {}).get(name) == phone


def _sms(env, field, value, values, draft, verified, use: bool = True):
    phone = phone_for(field, values, draft)
    if not phone:
        return fieldcheck.problem(field, "sms.phone_invalid")
    code = env.store.codes.verify(draft.app.id, phone, field.sms_phone_field, value, use=use)
    if code:
        return fieldcheck.problem(field, code)
    if use:
        verified[field.sms_phone_field] = phone
    return None


def _upload(env, field, value, values, draft, verified):
    upload = env.store.uploads.get(draft.app.id, value)
    if upload is None or upload.slot != field.name:      # one file answers one upload field
        return fieldcheck.problem(field, "upload.not_found")
    return None


def _photo_receipt(env, field, value, values, draft, verified):
    photo = env.services.photos.lookup(value)
    if photo is None:
        return fieldcheck.problem(field, "photo_receipt.not_found")
    if photo.ssn != verified_subject(draft):          # a receipt is one person's photo
        return fieldcheck.problem(field, "photo_receipt.not_subject")
    return None


def _system_photo(env, field, value, values, draft, verified):
    ssn = verified_subject(draft)
    if not ssn or env.services.people.system_photo(ssn) is None:
        return fieldcheck.problem(field, "system_photo.none")
    return None


def _branch(env, field, value, values, draft, verified):
    if env.services.branches.get(value) is None:
        return fieldcheck.problem(field, "branch.not_found")
    return None


VERIFIERS = {"photo_receipt": _photo_receipt, "system_photo": _system_photo, "branch": _branch}


def run(env, page, values: dict, draft, verified: dict, verify_sms: bool = True, skip=frozenset(),
        use_codes: bool = True) -> tuple[list[Problem], set[str]]:
    """The checks of the fields in `values` (but not those in `skip`: they have an error already), and
    the fields left unchecked. The other checks run first; an SMS code is checked last, and used up
    only when `use_codes` and nothing else on the page is wrong (a right code given with other errors
    stays valid for the next round; a wrong one counts as a try). `verify_sms=False` leaves SMS
    codes unchecked."""
    problems = []
    unchecked: set[str] = set()
    codes = []
    for field in page.input_fields():
        if field.name not in values or field.name in skip:
            continue
        value = values[field.name]
        check: Callable | None
        if field.type == "upload":
            check = _upload
        elif field.sms_phone_field:
            if field.sms_phone_field in skip:        # the phone is wrong: its error says what to do
                continue
            if verify_sms:
                codes.append(field)
            else:
                unchecked.add(field.name)
            continue
        else:
            check = VERIFIERS.get(field.verify) if isinstance(field.verify, str) else None
        found = check(env, field, value, values, draft, verified) if check is not None else None
        if found:
            problems.append(found)
    use = use_codes and not problems
    for field in codes:
        found = _sms(env, field, values[field.name], values, draft, verified, use)
        if found:
            problems.append(found)
    return problems, unchecked
