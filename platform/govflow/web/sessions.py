"""Server-side sessions in the database: the cookie carries only a random id (HttpOnly, SameSite=Lax)."""
from __future__ import annotations

from flask import request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None):
        def on_update(self):
            self.modified = True
        super().__init__(initial, on_update)
        self.sid = sid
        self.modified = False


class StoreSessionInterface(SessionInterface):
    def __init__(self, sessions):
        self.sessions = sessions

    def open_session(self, app, request):
        sid = request.cookies.get(self.get_cookie_name(app))
        data = self.sessions.get(sid) if sid else None
        if data is None:
            return ServerSession()
        return ServerSession(data, sid)

    def save_session(self, app, session, response):
        name = self.get_cookie_name(app)
        if not session and not session.sid:
            return
        response.vary.add("Cookie")
        if session.sid is None:
            session.sid = self.sessions.create(dict(session))
        elif session.modified:
            self.sessions.save(session.sid, dict(session))
        elif request.cookies.get(name) == session.sid:
            return                        # the browser has this cookie already (it never expires by itself)
        response.set_cookie(name, session.sid, httponly=True, samesite=self.get_cookie_samesite(app),
                            secure=self.get_cookie_secure(app), path=self.get_cookie_path(app))
