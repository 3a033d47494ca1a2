"""A draft's citizen pages, before anyone else sees them: /preview/<ticket>/… (marked 预览).

A staff member who may see the draft asks for a preview on its page and gets a ticket (signed
with SECRET_KEY, naming the draft and who asked, valid PREVIEW_HOURS); any worker answers it.
What is served there is a whole app of its own, built from the draft's files as they are now:
its own databases and uploads under var/preview/<bundle>/, always the simulated outside systems
(the face check lets the staff member choose the demo persona), its own session cookie limited
to the preview's path. Nothing it does touches the live databases, applications or outside
systems. Each worker keeps the last PREVIEW_APPS preview apps it built.
"""
from __future__ import annotations

import shutil
import threading
from collections import OrderedDict
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..definitions.bundle import lay_out_project, manifest_version

PREFIX = "/preview/"
PREVIEW_HOURS = 4
PREVIEW_APPS = 2
_SALT = "govflow-preview"


def ticket(app, draft_id: int, user: str) -> str:
    return URLSafeTimedSerializer(str(app.config["SECRET_KEY"]), salt=_SALT).dumps({"d": draft_id, "u": user})


def _read(app, value: str) -> dict | None:
    try:
        data = URLSafeTimedSerializer(str(app.config["SECRET_KEY"]), salt=_SALT).loads(
            value, max_age=PREVIEW_HOURS * 3600)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("d"), int) else None


class Previews:
    """WSGI middleware in front of the live app: /preview/<ticket>/… goes to the draft's app."""

    def __init__(self, app, wsgi_app):
        self.app = app                       # the live Flask app
        self.wsgi_app = wsgi_app
        self._apps: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.wsgi_app(environ, start_response)
        value, _, rest = path[len(PREFIX):].partition("/")
        data = _read(self.app, value)
        preview = self._preview(data["d"]) if data else None
        if preview is None:
            environ["PATH_INFO"] = "/preview-unavailable"       # the live app's Chinese 404 page
            return self.wsgi_app(environ, start_response)
        environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + PREFIX + value,
                       PATH_INFO="/" + rest)
        return preview(environ, start_response)

    def _preview(self, draft_id: int):
        """The preview app of the draft's files as they are now (None: no such draft, or its files
        do not load)."""
        with self.app.app_context():
            engine = self.app.extensions["govflow"]
            draft = engine.env.store.drafts.get(draft_id)
            if draft is None:
                return None
        version = manifest_version(draft.manifest)
        key = f"{draft_id}-{version}"
        with self._lock:
            found = self._apps.get(key)
            if found is not None:
                self._apps.move_to_end(key)
                return found
            with self.app.app_context():
                files = engine.bundles.texts(draft.manifest)
            built = self._build(draft_id, version, files)
            if built is not None:
                self._apps[key] = built
                while len(self._apps) > PREVIEW_APPS:
                    _, old = self._apps.popitem(last=False)
                    old.extensions["govflow"].env.store.close()       # type: ignore[attr-defined]
            return built

    def _build(self, draft_id: int, version: str, files: dict[str, str]):
        from ..errors import DefinitionError
        from . import create_app
        config = self.app.config
        root = Path(config["PROJECT_DIR"])
        home = Path(config["UPLOAD_DIR"]).parent / "preview" / version
        project = home / "project"
        if not project.exists():
            staging = home / "staging"
            shutil.rmtree(staging, ignore_errors=True)
            lay_out_project(staging, files, root, ("renderers", "demo"))    # the live templates and simulated world
            try:
                staging.rename(project)
            except OSError:                       # another worker made it first
                shutil.rmtree(staging, ignore_errors=True)
        try:
            return create_app({
                "PROJECT_DIR": project, "SERVICES": "simulator", "PREVIEW": {"draft": draft_id, "version": version},
                "DATABASE_URL": f"sqlite:///{home / 'preview.db'}",
                "SIMULATOR_DATABASE_URL": f"sqlite:///{home / 'simulators.db'}",
                "UPLOAD_DIR": home / "uploads", "SECRET_KEY": f"{config['SECRET_KEY']}|preview|{version}",
                "KEYRING": self.app.extensions["govflow"].env.store.keyring,
                "CLAMD_SOCKET": "", "CLAMD_HOST": "",
                **{k: config[k] for k in ("TODAY", "CLOCK", "TESTING") if k in config}})
        except DefinitionError:
            return None
