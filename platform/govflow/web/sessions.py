"""Server-side sessions in the database: the cookie carries only a random id.

Cookie: `__Host-session` when served over https (Secure, Path=/, no Domain: a `__Host-` cookie
cannot be set by a sibling subdomain), plain `session` over http (a developer's machine);
HttpOnly and SameSite=Lax always. https is `request.is_secure` (behind the reverse proxy:
gunicorn's forwarded_allow_ips and X-Forwarded-Proto, server.py) or SESSION_COOKIE_SECURE=1.
No row is made until something must be remembered (an anonymous GET / leaves none).
`renew(session)` gives the same data a new id (after face and SMS verification, against
session fixation: the old cookie no longer works); `end(session)` deletes the row (退出).
"""
from __future__ import annotations

from flask import request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

SECURE_NAME, PLAIN_NAME = "__Host-session", "session"
PERSON_KEY = "person"        # the face-verified person's keyed hash, once 继续办理 verified them


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None, expires_in: int | None = None):
        def on_update(self):
            self.modified = True
        super().__init__(initial, on_update)
        self.sid = sid
        self.modified = False
        self.renewed = False
        self.ended = False
        self.expires_in = expires_in      # seconds until it ends if idle (None: no session yet)
        self.lost = False                 # the browser sent the id of a session that has ended


def renew(session) -> None:
    """A new id for this session's data when the response is sent; the old id is deleted."""
    session.renewed = True
    session.modified = True


def end(session) -> None:
    """End the session now: the row is deleted and the browser told to drop the cookie."""
    session.clear()
    session.ended = True


def secure(app) -> bool:
    return request.is_secure or bool(app.config.get("SESSION_COOKIE_SECURE"))


class StoreSessionInterface(SessionInterface):
    """`name`, `path`: a cookie of its own under a path (a draft's preview, web/preview.py)."""

    def __init__(self, sessions, name: str | None = None, path: str = "/"):
        self.sessions = sessions
        self.name = name
        self.path = path

    def get_cookie_name(self, app) -> str:
        if self.name:
            return self.name
        return SECURE_NAME if secure(app) else PLAIN_NAME

    def open_session(self, app, request):
        sid = request.cookies.get(self.get_cookie_name(app))
        found = self.sessions.get_with_expiry(sid) if sid else None
        if found is None:
            fresh = ServerSession()
            fresh.lost = bool(sid)
            return fresh
        data, expires_in = found
        return ServerSession(data, sid, expires_in)

    def save_session(self, app, session, response):
        name = self.get_cookie_name(app)
        if session.ended:
            if session.sid:
                self.sessions.delete(session.sid)
            if request.cookies.get(name):
                response.delete_cookie(name, path=self.path, secure=secure(app), httponly=True,
                                       samesite=self.get_cookie_samesite(app))
            return
        if not session and not session.sid:
            if session.lost:              # the browser drops the dead id (the next visit starts afresh)
                response.delete_cookie(name, path=self.path, secure=secure(app), httponly=True,
                                       samesite=self.get_cookie_samesite(app))
            return
        response.vary.add("Cookie")
        if session.renewed and session.sid:
            session.sid = self.sessions.rotate(session.sid, dict(session))
        if session.sid is None:
            session.sid = self.sessions.create(dict(session))
        elif session.modified:
            self.sessions.save(session.sid, dict(session))
        elif request.cookies.get(name) == session.sid:
            return                        # the browser has this cookie already (it never expires by itself)
        response.set_cookie(name, session.sid, httponly=True, samesite=self.get_cookie_samesite(app) or "Lax",
                            secure=secure(app), path=self.path)
