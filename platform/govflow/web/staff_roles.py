"""What each staff role may do on the back-office pages: a table of permissions, checked per view.

The roles are the accounts' (store/staff.py ROLES), shared with publishing (editor, reviewer,
publisher: publishing/workflow.py checks those by name). The back office adds:

- viewer      finds cases and sees them masked, and the dashboards;
- caseworker  also reveals a masked value (with a reason) and exports cases masked;
- auditor     also exports with personal data (with a reason) and reads and exports the audit log;
- admin       everything above.

A view says which permission it needs with `@require("...")`; templates ask `can("...")` to
leave out what the staff member may not do. A refusal is a 403 page (or problem JSON) in Chinese
naming the roles that would allow it, and an audit event (`forbidden`).
"""
from __future__ import annotations

from functools import wraps

from flask import render_template, session

from ..catalog import text as msg
from .common import problem_response

CASE_ROLES = ("viewer", "caseworker", "auditor", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "cases.view": frozenset(CASE_ROLES),
    "dashboard.view": frozenset(CASE_ROLES),
    "cases.reveal": frozenset({"caseworker", "auditor", "admin"}),
    "cases.export": frozenset({"caseworker", "auditor", "admin"}),
    "cases.export_personal": frozenset({"auditor", "admin"}),
    "audit.view": frozenset({"auditor", "admin"}),
    "audit.export": frozenset({"auditor", "admin"}),
}


REASON_MIN, REASON_MAX = 4, 200      # the reason a reveal or a personal export must give


def stated_reason() -> str:
    """The reason the staff member typed (form field `reason`), its whitespace collapsed."""
    from flask import request
    return " ".join(request.values.get("reason", "").split())


def reason_ok(reason: str) -> bool:
    return REASON_MIN <= len(reason) <= REASON_MAX


def roles() -> tuple[str, ...]:
    """The signed-in staff member's roles (once per request)."""
    from flask import g

    from .staff import STAFF_KEY, accounts
    found = g.get("staff_roles")
    if found is None:
        found = g.staff_roles = accounts().roles(session.get(STAFF_KEY))
    return found


def can(permission: str) -> bool:
    return bool(PERMISSIONS[permission] & set(roles()))


def role_names(permission: str) -> str:
    return "、".join(msg(f"staff.role.{r}") for r in CASE_ROLES if r in PERMISSIONS[permission])


def refuse(permission: str):
    """The 403 answer for a permission the staff member lacks (and its audit event)."""
    from .staff import _event, _wants_html
    _event("forbidden", permission=permission)
    text = msg("staff.forbidden", roles=role_names(permission))
    if _wants_html():
        return render_template("staff/forbidden.html", message=text), 403
    return problem_response(403, text, code="staff.forbidden")


def require(permission: str):
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def wrap(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not can(permission):
                return refuse(permission)
            return view(*args, **kwargs)
        return checked
    return wrap
