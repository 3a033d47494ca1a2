"""What tests need to build an app: the project root, the fixed 'today', and `make_app`.

A plain module (not conftest.py) so that test modules and tests/browser can import it by name.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from govflow.store.crypto import Keyring
from govflow.web import create_app

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 27)
STORE_SECRET = b"test-secret-0123456789abcdef"
KEYRING = Keyring("test-1", {"test-1": bytes(range(32))}, bytes(range(100, 132)))   # encryption at rest


def make_app(tmp_path: Path, definitions, **extra):
    """An app with its own database and simulated world (files in tmp_path), sharing the loaded
    definitions. Two apps made on one tmp_path share both databases and the uploads: two worker
    processes, or one server before and after a restart."""
    config = {"PROJECT_DIR": ROOT, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}",
              "SIMULATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'simulators.db'}",
              "UPLOAD_DIR": tmp_path / "uploads", "SECRET_KEY": "test-secret-" + "x" * 32, "TESTING": True,
              "DEFINITIONS": definitions, "TODAY": lambda: TODAY, "KEYRING": KEYRING}
    config.update(extra)
    return create_app(config)
