"""Staff pages (/staff): read-only views for policy staff and auditors, behind their own login.

Flows with their diagrams, the rule catalogue, applications with their decision trails, and the
definition bundles with readable diffs. Accounts are `staff_users` (store/staff.py); the staff
member is kept in the server-side session under STAFF_KEY, which only this login sets, so a
citizen's session never opens these pages. Every answer is `Cache-Control: no-store`.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, session, url_for

from ..catalog import text as msg
from ..diagram import flow_to_mermaid
from ..diffs.describe import describe_condition, describe_outcome, describe_value, fact_titles, fact_types
from ..formats import SHANGHAI
from ..publishing.diff import bundle_diff
from ..store.staff import (
    DEMO_CASEWORKER,
    DEMO_CASEWORKER_PASSWORD,
    DEMO_PASSWORD,
    DEMO_REVIEWER,
    DEMO_REVIEWER_PASSWORD,
    DEMO_USER,
    StaffAccounts,
    counts,
)
from . import csrf, headers
from .common import client_address, journey, no_store, problem_response

blueprint = Blueprint("staff", __name__)
STAFF_KEY = "staff_user"
OPEN = ("staff.login",)


@blueprint.record_once
def _demo_account(state):
    """Simulator only: a demo account when there is none, so the pages can be tried at once."""
    app = state.app
    if app.config.get("SERVICES") == "simulator":
        if StaffAccounts(app.extensions["govflow"].env.store, demo_allowed=True).ensure_demo():
            app.logger.warning("staff pages: demo accounts '%s' / '%s' (every role), '%s' / '%s' (reviewer, "
                               "publisher, auditor) and '%s' / '%s' (viewer, caseworker) created (simulator only; "
                               "add real ones with `govflow staff-add USER --roles ...`)", DEMO_USER, DEMO_PASSWORD,
                               DEMO_REVIEWER, DEMO_REVIEWER_PASSWORD, DEMO_CASEWORKER, DEMO_CASEWORKER_PASSWORD)


def accounts() -> StaffAccounts:
    return StaffAccounts(journey().env.store, demo_allowed=current_app.config.get("SERVICES") == "simulator")


def _event(action: str, actor: str | None = None, application_id: str | None = None, **detail: object) -> None:
    """An audit event of the staff member (login, logout, export ...), about one application or
    none: no personal data in it."""
    journey().env.store.staff_events.record(actor or session.get(STAFF_KEY) or "-", action,
                                            application_id=application_id, detail=detail or None,
                                            client=client_address())


def _wants_html() -> bool:
    accept = request.accept_mimetypes
    return request.headers.get("HX-Request") != "true" and (not accept or accept.accept_html)


@blueprint.before_request
def _guard():
    csrf.protect()
    if request.endpoint in OPEN:
        return None
    if accounts().exists(session.get(STAFF_KEY)):
        return None
    session.pop(STAFF_KEY, None)
    if _wants_html():
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    return problem_response(401, msg("staff.login.required"), code="staff.login_required")


@blueprint.after_request
def _headers(response):
    response.headers["X-Robots-Tag"] = "noindex"       # the security headers: web/headers.py
    return no_store(response)


def _vocab() -> tuple[dict, dict]:
    """Fact and field titles and types (for sentences), per current bundle."""
    env = journey().env
    cached = current_app.extensions.get("govflow.staff_vocab")
    if cached is None or cached[0] != env.bundle:
        root = Path(current_app.config["PROJECT_DIR"])
        cached = (env.bundle, (fact_titles(root, env.flows), fact_types(root, env.flows)))
        current_app.extensions["govflow.staff_vocab"] = cached
    return cached[1]


@blueprint.context_processor
def _template_globals():
    def cond(when):
        titles, types = _vocab()
        return describe_condition(when, titles, types)

    def outcome(then):
        return describe_outcome(then, _vocab()[0])

    def value(v):
        return describe_value(v, _vocab()[0])

    return {"msg": msg, "csrf_token": csrf.token, "staff_user": session.get(STAFF_KEY),
            "cond": cond, "outcome": outcome, "value": value, "fact_title": lambda p: _vocab()[0].get(p, p),
            "when": lambda moment: moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if moment else ""}


def _rotate_session() -> None:
    """A new session id on login and logout (no fixation); the old row is deleted."""
    sid = getattr(session, "sid", None)
    if sid:
        journey().env.store.sessions.delete(sid)
        session.sid = None  # type: ignore[attr-defined]
    session.pop("csrf", None)
    session.modified = True


def _next_url() -> str:
    target = request.values.get("next", "")
    if target.startswith("/staff/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("staff.overview")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    error, status, username, retry = None, 200, "", 0
    if request.method == "GET" and accounts().exists(session.get(STAFF_KEY)):
        return redirect(_next_url())
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        found = accounts()
        result = found.authenticate(username, request.form.get("password", ""), client=client_address())
        if result.ok:
            _rotate_session()
            session[STAFF_KEY] = result.username
            _event("login", result.username)
            current_app.logger.info("staff login: %s", result.username)
            return redirect(_next_url())
        # a failed login names the account only when it exists (a typed password is never recorded)
        _event("login_failed", username if found.exists(username) else "-", reason=result.reason)
        retry = result.retry_after_s
        if result.reason == "blocked":
            error, status = msg("staff.login.blocked", minutes=max(1, -(-result.retry_after_s // 60))), 429
        elif result.reason == "wait":
            error, status = msg("staff.login.wait", seconds=result.retry_after_s), 429
        else:
            error, status = msg("staff.login.failed"), 401
    response = make_response(render_template("staff/login.html", error=error, username=username,
                                             next=request.values.get("next", "")), status)
    if status == 429:
        response.headers["Retry-After"] = str(retry)
    return response


@blueprint.post("/logout")
def logout():
    if session.get(STAFF_KEY):
        _event("logout")
    session.pop(STAFF_KEY, None)
    _rotate_session()
    return redirect(url_for("staff.login"))


@blueprint.get("/")
def overview():
    env = journey().env
    rulesets = list(env.rulebook.rulesets.values())
    numbers = {"flows": len(env.flows), "pages": sum(len(f.pages) for f in env.flows.values()),
               "fields": sum(len(p.fields) for f in env.flows.values() for p in f.pages.values()),
               "rulesets": len(rulesets), "rules": sum(len(rs.rules) for rs in rulesets),
               **counts(env.store)}
    return render_template("staff/overview.html", flows=list(env.flows.values()), rulesets=rulesets,
                           numbers=numbers, bundle=env.bundle)


@blueprint.get("/flows/<flow_id>")
def flow(flow_id):
    env = journey().env
    found = env.flows.get(flow_id)
    if found is None:
        abort(404)
    diagram = flow_to_mermaid(found, env.flows, env.rulebook, _vocab()[0])
    headers.inline_styles()                     # Mermaid's SVG carries its own styles
    return render_template("staff/flow.html", flow=found, flows=env.flows, diagram=diagram,
                           rulesets=env.rulebook.rulesets)


@blueprint.get("/rules", defaults={"name": None})
@blueprint.get("/rules/<name>")
def rules(name):
    rulesets = journey().env.rulebook.rulesets
    if name is not None and name not in rulesets:
        abort(404)
    shown = [rulesets[name]] if name else [rulesets[n] for n in sorted(rulesets)]
    return render_template("staff/rules.html", rulesets=shown, single=name is not None,
                           examples=_example_facts)


def _example_facts(given: dict, prefix: str = "") -> list[tuple[str, object]]:
    """A rule example's nested `given` as (fact path, value) pairs."""
    out: list = []
    for key, val in (given or {}).items():
        path = f"{prefix}{key}"
        out += _example_facts(val, path + ".") if isinstance(val, dict) else [(path, val)]
    return out


@blueprint.get("/versions/diff")
def versions_diff():
    env = journey().env
    archive = env.store.versions
    bundles = archive.versions("bundle", "manifest")
    known = [v for v, _ in bundles]
    old = request.args.get("from") or next((v for v in known if v != env.bundle), env.bundle)
    new = request.args.get("to") or env.bundle
    if old not in known or new not in known:
        return render_template("staff/diff.html", bundles=bundles, old=old, new=new, files=None,
                               error=msg("staff.diff.unknown")), 404
    files = bundle_diff(journey().bundles.files(old), journey().bundles.files(new))
    return render_template("staff/diff.html", bundles=bundles, old=old, new=new, files=files, error=None)


# more views on this blueprint: the files of a version (web/staff_files.py), the dashboards (web/staff_dashboard.py),
# one case (web/staff_case.py), the case list (web/staff_cases.py), the audit log (web/staff_audit.py)
from . import staff_audit, staff_case, staff_cases, staff_dashboard, staff_files  # noqa: E402,F401
