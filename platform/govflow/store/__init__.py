"""Persistence: applications, decisions, uploads, SMS codes, web sessions, definition versions.

SQLAlchemy 2 (SQLite by default, PostgreSQL by URL). No Flask here: the web layer
adapts SessionStore to its session interface.
"""
from .database import database_url
from .imaging import Limits
from .records import Application, Decision, IssueResult, StaleApplication, Upload
from .store import Store, open_store

__all__ = ["open_store", "Store", "Application", "Decision", "Upload", "IssueResult",
           "StaleApplication", "Limits", "database_url"]
