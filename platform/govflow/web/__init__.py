"""Flask app factory: the thin web layer over the journey (HTML pages, JSON API, simulator pages).

`create_app(config)` takes its configuration like Flask's flaskr tutorial; nothing is built
at import time. A broken flow or rule file stops the app with the checker's messages.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, request, url_for

from .. import catalog
from ..definitions.bundle import Bundles
from ..journey import Env, Journey
from ..journey.delivery import Deliverer, RetryPolicy
from ..journey.env import connectors_for
from ..journey.progress import DEFAULT_POLL_SECONDS
from ..say import say
from ..services import build_services
from ..services.simstate import url_beside
from ..store import database_url, open_store
from ..store.crypto import load_keyring
from ..store.retention import Retention
from . import api, errors, headers, html, keep, limits, preferences, progress, resume, sim, staff, widgets
from . import staff_forms as staff_forms  # its routes join the staff blueprint
from . import staff_publishing as staff_publishing  # its routes join the staff blueprint
from .preview import PREFIX as PREVIEW_PREFIX
from .preview import Previews
from .sessions import StoreSessionInterface

PROJECT_DIR = Path(__file__).resolve().parents[3]


def var_dir(root: Path) -> Path:
    """The working directory: database, uploads, development keys, the simulators' database."""
    return Path(os.environ.get("GOVFLOW_VAR") or root / "var")


def default_config(root: Path) -> dict:
    var = var_dir(root)
    return {
        "PROJECT_DIR": root,
        "PREVIEW": None,             # {draft, version} in a draft's preview app (web/preview.py)
        "DATABASE_URL": database_url(default=f"sqlite:///{var / 'govflow.db'}"),
        "UPLOAD_DIR": var / "uploads",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or _dev_secret(var),
        "SERVICES": os.environ.get("SERVICES", "simulator"),
        # the simulated outside systems' own database; empty: beside DATABASE_URL (see create_app)
        "SIMULATOR_DATABASE_URL": os.environ.get("SIMULATOR_DATABASE_URL", ""),
        "SIMULATOR_FAILURE_RATE": float(os.environ.get("SIMULATOR_FAILURE_RATE", "0")),
        "CONNECTORS": os.environ.get("CONNECTORS", "simulator"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE") == "1",
        # citizen and staff sessions end after this long idle, and in any case this long after they began
        "SESSION_IDLE_MINUTES": float(os.environ.get("SESSION_IDLE_MINUTES", "15")),
        "SESSION_ABSOLUTE_MINUTES": float(os.environ.get("SESSION_ABSOLUTE_MINUTES", "240")),
        # the page warns this long before an idle session ends
        "SESSION_WARN_SECONDS": int(os.environ.get("SESSION_WARN_SECONDS", "120")),
        # abuse limits, per client address (and per application for SMS codes): see store/codes.py
        "APPLICATIONS_PER_ADDRESS_PER_HOUR": int(os.environ.get("APPLICATIONS_PER_ADDRESS_PER_HOUR", "20")),
        "SMS_PER_ADDRESS_PER_HOUR": int(os.environ.get("SMS_PER_ADDRESS_PER_HOUR", "20")),
        # the reverse proxies whose X-Forwarded-For names the client (gunicorn's forwarded_allow_ips)
        "FORWARDED_ALLOW_IPS": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # this site's origin as browsers see it (e.g. https://sscard.example.gov.cn), for the check of
        # posts from other sites; empty: the request's scheme and Host (web/headers.py)
        "PUBLIC_ORIGIN": os.environ.get("PUBLIC_ORIGIN", ""),
        # other sites a citizen's form may be redirected to (a real face-verification service), added
        # to the Content-Security-Policy's form-action; space-separated origins
        "HANDOFF_ORIGINS": os.environ.get("HANDOFF_ORIGINS", ""),
        # uploads: per file, per request that carries files, per application (web/limits.py)
        **limits.default_config(),
        # the virus scanner, ClamAV's clamd (services/scanning.py); none set: no scan, with a WARNING
        "CLAMD_SOCKET": os.environ.get("CLAMD_SOCKET", ""), "CLAMD_HOST": os.environ.get("CLAMD_HOST", ""),
        "CLAMD_PORT": int(os.environ.get("CLAMD_PORT") or 3310),
        "CLAMD_TIMEOUT_SECONDS": float(os.environ.get("CLAMD_TIMEOUT_SECONDS") or 10),
    }


def _dev_secret(var: Path) -> str:
    """A per-checkout secret kept in var/ so sessions and code hashes survive a restart."""
    path = var / "secret_key"
    if not path.exists():
        var.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def build_journey(config: dict) -> Journey:
    root = Path(config["PROJECT_DIR"])
    Path(config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    options: dict = {"clock": config["CLOCK"]} if "CLOCK" in config else {}      # tests move time on
    for option, key in (("session_idle", "SESSION_IDLE_MINUTES"), ("session_absolute", "SESSION_ABSOLUTE_MINUTES")):
        if key in config:
            options[option] = timedelta(minutes=float(config[key]))
    # the keys of encryption at rest: config KEYRING (tests), else GOVFLOW_KEYS / GOVFLOW_KEY_FILE,
    # else var/keys.json made on first start (store/crypto.py); KeyMissing stops the start
    keyring = config.get("KEYRING") or load_keyring(os.environ, var_dir(root))
    options["upload_limits"] = limits.upload_limits({**limits.default_config(), **config})
    store = open_store(config["DATABASE_URL"], Path(config["UPLOAD_DIR"]), str(config["SECRET_KEY"]).encode(),
                       keyring=keyring, **options)
    bundles = Bundles(root, store.versions, store.publications)
    definitions = bundles.start(config.get("DEFINITIONS"))   # tests load them once per session
    services = build_services(config, Path(config.get("DEMO_DIR") or os.environ.get("GOVFLOW_DEMO") or root / "demo"),
                              definitions.connectors)
    env = Env(flows=definitions.flows, picklists=definitions.picklists, rulebook=definitions.rulebook,
              services=services, store=store, bundle=bundles.current_version,
              connectors=connectors_for(definitions, services))
    if "TODAY" in config:
        env.today = config["TODAY"]
    journey = Journey(env, bundles)
    journey.deliverer = Deliverer(journey, RetryPolicy.from_config(config),
                                  float(config.get("PROGRESS_POLL_SECONDS", DEFAULT_POLL_SECONDS)))
    journey.deliver_inline = bool(config.get("OUTBOX_INLINE", True))
    journey.retention = config.get("RETENTION") or Retention.from_env()
    return journey


def _follow_publications(journey: Journey, log) -> None:
    """New applications get the bundle published last, from its effective time, in every worker
    (checked at most once a second per worker); drafts under way keep theirs."""
    switched = journey.bundles.live_if_changed()
    if switched is not None:
        journey.adopt(*switched)
        log.warning(say("publishing.server.switched", version=switched[1]))


def _template_globals(app: Flask) -> None:
    """`fields(view, live_field)` renders a page's fields (web/widgets.py); `msg(key, ...)` is the
    catalogue; `asset(filename)` a static file's URL; `link(endpoint)` the URL of a page without
    arguments (both built once per mount point: url_for runs on every page otherwise)."""
    app.jinja_env.globals["fields"] = widgets.fields
    app.jinja_env.globals["msg"] = catalog.text
    urls: dict[tuple[str, str, str], str] = {}

    def built(endpoint: str, filename: str = "") -> str:
        key = (request.script_root, endpoint, filename)
        url = urls.get(key)
        if url is None:
            url = urls[key] = url_for(endpoint, filename=filename) if filename else url_for(endpoint)
        return url
    app.jinja_env.globals["asset"] = lambda filename: built("static", filename)
    app.jinja_env.globals["link"] = built


def _reads_in_one_snapshot(wsgi_app, store):
    """A GET reads its session, its application and whatever the page shows in ONE read-only
    transaction (Store.snapshot) instead of one transaction per read."""
    def app(environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            with store.snapshot():
                return wsgi_app(environ, start_response)
        return wsgi_app(environ, start_response)
    return app


def _served_by(response):
    response.headers["X-Served-By"] = str(os.getpid())
    return response


def create_app(config: dict | None = None) -> Flask:
    config = dict(config or {})
    root = Path(config.get("PROJECT_DIR", PROJECT_DIR))
    settings = {**default_config(root), **config}
    if not settings["SIMULATOR_DATABASE_URL"]:     # e.g. var/govflow.db -> var/govflow-simulators.db
        settings["SIMULATOR_DATABASE_URL"] = url_beside(settings["DATABASE_URL"], var_dir(root))
    app = Flask(__name__, template_folder=str(root / "renderers/html/templates"),
                static_folder=str(root / "renderers/html/static"), static_url_path="/static")
    app.config.update(settings)
    app.json.ensure_ascii = False   # type: ignore[attr-defined]   # readable Chinese in API answers
    journey = build_journey(settings)
    app.extensions["govflow"] = journey
    preview = settings.get("PREVIEW")            # a draft's preview app (web/preview.py)
    app.session_interface = (StoreSessionInterface(journey.env.store.sessions) if not preview else
                             StoreSessionInterface(journey.env.store.sessions, path=PREVIEW_PREFIX,
                                                   name=f"preview_{preview['draft']}_{preview['version']}"))
    preferences.register(app)     # first: the script is chosen before any other hook may refuse
    errors.register(app)
    headers.register(app)
    limits.register(app)
    _template_globals(app)
    app.wsgi_app = _reads_in_one_snapshot(app.wsgi_app, journey.env.store)  # type: ignore[method-assign]
    app.register_blueprint(api.blueprint, url_prefix="/api/v1")
    app.register_blueprint(html.blueprint)
    app.register_blueprint(resume.blueprint)
    app.register_blueprint(progress.blueprint)
    app.register_blueprint(keep.blueprint)
    if not preview:
        app.register_blueprint(staff.blueprint, url_prefix="/staff")
        app.wsgi_app = Previews(app, app.wsgi_app)  # type: ignore[method-assign]
    if settings["SERVICES"] == "simulator":
        app.register_blueprint(sim.blueprint)
    if os.environ.get("SERVED_BY_HEADER") == "1":       # which worker answered (multi-worker tests)
        app.after_request(_served_by)
    app.before_request(lambda: _follow_publications(journey, app.logger))
    if journey.bundles.disk_differs:
        app.logger.warning(say("publishing.server.disk_differs", version=journey.bundles.current_version))
    return app
