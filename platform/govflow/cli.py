"""Command line: `python -m govflow.cli check|serve|outbox-worker|personas|diagram|diff|staff-add|migrate|
sim-reset|connector-server|purge|import|export`.

`serve` is what `make run` runs (gunicorn, the outbox worker); `serve --dev` is `make dev`;
`outbox-worker` delivers submissions (more may run beside the server, on other machines).
`check` is what `make check` runs (check_command.py): every flow, rule and reference file
checked, the rule examples and the scenarios run, each problem printed as file:line, in Chinese
(`--lang en`: English).
"""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from getpass import getpass
from pathlib import Path

from .check_command import check
from .errors import DefinitionError
from .say import say, set_language
from .store import database_url, open_store
from .store.crypto import KeyMissing, attach, load_keyring
from .store.staff import StaffAccounts

ROOT = Path(__file__).resolve().parents[2]


def serve(root: Path, host: str, port: int, dev: bool = False) -> int:
    """gunicorn with several workers and the outbox worker (`make run`), or the reloading
    development server (`make dev`); see server.py."""
    from . import server
    try:
        server.prepare(root)
    except DefinitionError as exc:
        print(say("publishing.server.refused") + "\n")
        for p in exc.problems:
            print(f"  {p}  [{p.code}]")
        return 1
    except KeyMissing as exc:
        print(say("publishing.server.keys") + f"\n\n  {exc}", file=sys.stderr)
        return 1
    if dev:
        return server.run_development(root, host, port)
    return server.run_production(root, host, port)


def personas(root: Path) -> int:
    from .services.personas import load_personas
    found, _ = load_personas(root / "demo")
    for p in found:
        print(f"{p.id:24} {p.person.name:6} {p.title}")
    return 0


def _open(root: Path):
    """The store of DATABASE_URL (default var/govflow.db), or None with the error printed."""
    var = Path(root) / "var"
    try:
        return open_store(database_url(default=f"sqlite:///{var / 'govflow.db'}"), var / "uploads",
                          secrets.token_bytes(32),   # the SMS code key is not used here
                          keyring=load_keyring(os.environ, _var(root)))
    except KeyMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def publishing_command(root: Path, args) -> int:
    from .publishing.commands import export_files, import_files
    store = _open(root)
    if store is None:
        return 1
    try:
        if args.command == "import":
            return import_files(store, root, args.source or root, args.reason, args.author)
        return export_files(store, root, args.target, args.version, args.draft)
    finally:
        store.close()


def staff_add(root: Path, username: str, password_env: str | None = None, roles: str | None = None) -> int:
    """Ask the password twice (or read it from $VAR) and store the account in DATABASE_URL's store."""
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            print(f"error: environment variable {password_env} is not set", file=sys.stderr)
            return 2
    else:
        password = getpass(f"Password for {username}: ")
        if getpass("Repeat the password: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    store = _open(root)
    if store is None:
        return 1
    wanted = [r.strip() for r in roles.split(",") if r.strip()] if roles is not None else None
    try:
        created = StaffAccounts(store).add(username, password, roles=wanted)
        now_roles = StaffAccounts(store).roles(username)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"staff account {username} {'created' if created else 'updated (new password)'}; roles: "
          f"{', '.join(now_roles) or 'none'}")
    return 0


def migrate(root: Path) -> int:
    """Bring DATABASE_URL's schema to this version's newest migration (the server does it too when
    it starts; this is for deploying with the server stopped, or to see the revision)."""
    from .store import schema
    from .store.database import make_engine
    url = database_url(default=f"sqlite:///{Path(root) / 'var' / 'govflow.db'}")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        attach(engine, load_keyring(os.environ, _var(root)))     # migration 0003 seals rows written in clear
        before, after = schema.upgrade(engine)
    except (RuntimeError, KeyMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        print(f"{where}: schema at revision {after} (the newest), nothing to do")
    else:
        print(f"{where}: schema migrated from {before or 'nothing'} to revision {after}")
    return 0


def _var(root: Path) -> Path:
    from .web import var_dir
    return var_dir(Path(root))


def _simulator_url(root: Path) -> str:
    """The simulators' database `serve` uses (SIMULATOR_DATABASE_URL, or beside DATABASE_URL)."""
    from .services.simstate import url_beside
    from .web import var_dir
    var = var_dir(Path(root))
    return os.environ.get("SIMULATOR_DATABASE_URL") or url_beside(
        database_url(default=f"sqlite:///{var / 'govflow.db'}"), var)


def connector_app(root: Path):
    """The simulated outside systems of connectors/*.yaml behind the HTTP wire protocol
    (connectors/serve.py, docs/connectors-http.md), on the simulators' database `serve` uses.
    Raises DefinitionError for bad connector or demo files."""
    from .connectors.loader import load_connectors
    from .connectors.serve import make_app
    from .services import build_services
    catalog, problems = load_connectors(root)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DefinitionError(errors)
    config = {"CONNECTORS": "simulator", "SIMULATOR_DATABASE_URL": _simulator_url(root),
              "SIMULATOR_FAILURE_RATE": os.environ.get("SIMULATOR_FAILURE_RATE", "0")}
    services = build_services(config, Path(os.environ.get("GOVFLOW_DEMO") or Path(root) / "demo"), catalog)
    return make_app(catalog, services.connector_implementation)


def connector_server(root: Path, host: str, port: int) -> int:
    """`connector-server`: for CONNECTORS=http, point each connector's base URL setting (e.g. the
    `http.base_url_setting` of connectors/*.yaml) at http://HOST:PORT."""
    from werkzeug.serving import run_simple
    try:
        app = connector_app(root)
    except DefinitionError as exc:
        for p in exc.problems:
            print(f"  {p}  [{p.code}]", file=sys.stderr)
        return 1
    run_simple(host, port, app, threaded=True)
    return 0


def sim_reset(root: Path) -> int:
    """Empty the simulators' database (the one `serve` uses): the simulated world as demo/ describes it.
    Safe while the server runs; drafts in govflow's own database are not touched."""
    from .services.simstate import SimState
    state = SimState.open(_simulator_url(root))
    try:
        state.reset()
    finally:
        state.close()
    print(f"simulated world reset ({state.engine.url.render_as_string(hide_password=True)})")
    return 0


def purge(root: Path) -> int:
    """Delete what is past its retention period now (the outbox worker also does it every hour)."""
    from .web import create_app
    app = create_app({"PROJECT_DIR": root})
    journey = app.extensions["govflow"]
    counts = journey.deliverer.purge()
    journey.env.store.close()
    if counts is None:
        print("error: the purge failed (see the log above); nothing was deleted", file=sys.stderr)
        return 1
    r = journey.retention
    print(f"deleted: {counts['drafts']} abandoned drafts (untouched {r.draft_days} days), {counts['uploads']} "
          f"uploads ({r.upload_days} days after submission or with their draft), {counts['sessions']} expired "
          f"sessions, {counts['codes']} old SMS codes")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="govflow")
    parser.add_argument("--root", type=Path, default=ROOT)
    sub = parser.add_subparsers(dest="command", required=True)
    parser.add_argument("--lang", choices=("zh", "en"), help="language of the messages (default: zh, or $GOVFLOW_LANG)")
    chk = sub.add_parser("check", help="check flows, rules, reference data; run the rule examples and scenarios")
    chk.add_argument("--no-scenarios", action="store_true", help="leave out the scenario walks")
    chk.add_argument("--lang", dest="check_lang", choices=("zh", "en"), help="as --lang before the command")
    run = sub.add_parser("serve", help="start the web server")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--dev", action="store_true", help="development server: reloads on code edits, one process")
    worker = sub.add_parser("outbox-worker", help="deliver submissions to the outside systems (retries)")
    worker.add_argument("--poll", type=float, default=1.0, help="seconds between looks when idle")
    sub.add_parser("personas", help="list the demo personas")
    staff = sub.add_parser("staff-add", help="add a staff account for /staff (or set its password)")
    staff.add_argument("user")
    staff.add_argument("--password-env", metavar="VAR", help="read the password from this variable (scripts)")
    staff.add_argument("--roles", help="comma-separated: editor, reviewer, publisher, auditor (new accounts: auditor)")
    imp = sub.add_parser("import", help="make a draft of the definition files in a folder (default: this project)")
    imp.add_argument("source", nargs="?", type=Path)
    imp.add_argument("--reason", default="", help="why (shown in the draft's history)")
    imp.add_argument("--author", help="who (default: $GOVFLOW_AUTHOR or the login name)")
    exp = sub.add_parser("export", help="write the files of the live version (or --version, --draft) to a folder")
    exp.add_argument("target", type=Path)
    exp.add_argument("--version")
    exp.add_argument("--draft", type=int)
    sub.add_parser("migrate", help="bring the database (DATABASE_URL) to the newest schema revision")
    sub.add_parser("purge", help="delete abandoned drafts, old uploads, expired sessions and codes now")
    sub.add_parser("sim-reset", help="reset the simulated outside systems (cards, applications, SMS, face checks)")
    conn = sub.add_parser("connector-server", help="the simulated outside systems over HTTP (for CONNECTORS=http)")
    conn.add_argument("--host", default="127.0.0.1")
    conn.add_argument("--port", type=int, default=8100)
    draw = sub.add_parser("diagram", help="a flow as a Mermaid flowchart")
    draw.add_argument("flow")
    draw.add_argument("--out", type=Path)
    diff = sub.add_parser("diff", help="changes of a flow or rule file, in policy terms")
    diff.add_argument("files", nargs="+", type=Path, help="FILE (with --from) or OLD NEW")
    diff.add_argument("--from", dest="rev_from")
    diff.add_argument("--to", dest="rev_to")
    args = parser.parse_args(argv)
    if args.lang or getattr(args, "check_lang", None):
        set_language(getattr(args, "check_lang", None) or args.lang)
    if args.command == "diagram":
        from .diagram import diagram_command
        return diagram_command(args.root, args.flow, args.out)
    if args.command == "diff":
        from .diffs import diff_command
        return diff_command(args.root, args.files, args.rev_from, args.rev_to)
    if args.command == "staff-add":
        return staff_add(args.root, args.user, args.password_env, args.roles)
    if args.command in ("import", "export"):
        return publishing_command(args.root, args)
    if args.command == "migrate":
        return migrate(args.root)
    if args.command == "check":
        return check(args.root, scenarios=not args.no_scenarios)
    if args.command in ("sim-reset", "connector-server"):
        return (sim_reset(args.root) if args.command == "sim-reset"
                else connector_server(args.root, args.host, args.port))
    if args.command == "purge":
        return purge(args.root)
    if args.command == "serve":
        return serve(args.root, args.host, args.port, args.dev)
    if args.command == "outbox-worker":
        from .server import run_outbox_worker
        return run_outbox_worker(args.root, args.poll)
    return personas(args.root)


if __name__ == "__main__":
    sys.exit(main())
