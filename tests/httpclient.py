"""A small HTTP client with the Flask test client's calling convention (post/get with json=,
data=, headers=, query_string=; responses with status_code, headers, get_json(), get_data()),
so the walkers in walkers.py can walk a real server over the network — the multi-worker tests
and bench/bench_load.py. Standard library only; one new connection per request by default, so
successive requests land on whichever server worker accepts them."""
from __future__ import annotations

import http.client
import json as jsonlib
import secrets
import time
from urllib.parse import urlencode, urlsplit


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status_code = status
        self.headers = {k.title(): v for k, v in headers}
        self.data = body

    def get_json(self):
        try:
            return jsonlib.loads(self.data) if self.data else None
        except ValueError:
            return None

    def get_data(self, as_text: bool = False):
        return self.data.decode("utf-8") if as_text else self.data


class HttpClient:
    def __init__(self, base_url: str, timeout: float = 30.0, keep_alive: bool = False, think: float = 0.0):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.keep_alive = keep_alive
        self.think = think                                        # seconds a person waits before each request
        self._conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}                       # name -> value (one site, no expiry)
        self.latencies: list[tuple[str, float, int]] = []      # (method path, seconds, status)
        self.served_by: list[str] = []                            # X-Served-By of each answer (a worker pid)

    def get(self, path, headers=None, query_string=None):
        return self.open("GET", path, headers=headers, query_string=query_string)

    def post(self, path, json=None, data=None, headers=None, query_string=None, content_type=None):
        return self.open("POST", path, json=json, data=data, headers=headers, query_string=query_string)

    def open(self, method, path, json=None, data=None, headers=None, query_string=None):
        headers = dict(headers or {})
        body: bytes | None = None
        if json is not None:
            body = jsonlib.dumps(json).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body, headers["Content-Type"] = _multipart(data)
        if query_string:
            path = f"{path}?{urlencode(query_string)}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.think:
            time.sleep(self.think)
        started = time.perf_counter()
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            response = Response(r.status, r.getheaders(), r.read())
            for header, value in r.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
        except (ConnectionError, http.client.HTTPException):
            self._close()
            raise
        finally:
            if not self.keep_alive:
                self._close()
        self.latencies.append((f"{method} {path.split('?')[0]}", time.perf_counter() - started, response.status_code))
        self.served_by.append(response.headers.get("X-Served-By", ""))
        return response

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _multipart(fields: dict) -> tuple[bytes, str]:
    boundary = "govflow" + secrets.token_hex(12)
    out = bytearray()
    for name, value in fields.items():
        out += f"--{boundary}\r\n".encode()
        if isinstance(value, tuple):
            stream, filename = value[0], value[1]
            content = stream.read() if hasattr(stream, "read") else bytes(stream)
            out += (f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: application/octet-stream\r\n\r\n").encode()
            out += content + b"\r\n"
        else:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"
