"""Any connector implementation served over HTTP, as the declarations say: the wire protocol
of docs/connectors-http.md in executable form, on the serving side (http.py is the calling side).

`make_app(catalog, implementation)` is a WSGI application answering each declared endpoint:
a look-up answers its fact object (200), or 503 `{"code", "message"}` when the implementation
raises LookupFailed; an operation answers 200 with its response, 422 `{"code", "message"}` when
refused and 503 when it could not be done now (retry). In the tests it stands in front of a fake;
in a deployment (`govflow connector-server`) in front of the simulator, so that the adapter and
the network between can be tried without the real systems.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from werkzeug.wrappers import Request, Response

from .model import ACCEPTED, REFUSED, Catalog, Implementation, Lookup, LookupFailed, Operation
from .wire import json_ready, path_pattern, path_values

log = logging.getLogger(__name__)

REFUSED_STATUS = 422
RETRY_STATUS = 503


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern
    target: Lookup | Operation


def routes(catalog: Catalog) -> list[_Route]:
    """Every declared endpoint (a look-up or operation without `http:` is not served)."""
    out = []
    targets: list[Lookup | Operation] = [*catalog.lookups, *catalog.operations.values()]
    for target in targets:
        if target.http is not None:
            out.append(_Route(target.http.method.upper(), path_pattern(target.http.path), target))
    return out


def make_app(catalog: Catalog, implementation: Implementation):
    """The WSGI application serving `implementation` at `catalog`'s declared endpoints."""
    served = routes(catalog)

    @Request.application
    def app(request: Request) -> Response:
        raw = _raw_path(request)
        found = [(route, values) for route in served
                 if (values := path_values(route.pattern, raw)) is not None]
        if not found:
            return _error(404, "connector.not_found", "no such endpoint")
        for route, values in found:
            if route.method == request.method:
                try:
                    return _answer(route.target, values, request, implementation)
                except Exception:       # the implementation's own mistake: a 5xx, tried again
                    log.exception("serving %s", route.target.name)
                    return _error(500, "connector.error", "the implementation failed")
        allowed = ", ".join(sorted({route.method for route, _ in found}))
        response = _error(405, "connector.method_not_allowed", f"allowed: {allowed}")
        response.headers["Allow"] = allowed
        return response

    return app


def _answer(target: Lookup | Operation, values: dict, request: Request, implementation: Implementation) -> Response:
    if isinstance(target, Lookup):
        return _lookup(target, values, request, implementation)
    return _operation(target, values, request, implementation)


def _lookup(lookup: Lookup, values: dict, request: Request, implementation: Implementation) -> Response:
    given = dict(request.args.items()) if request.method == "GET" else _body(request)
    if given is None:
        return _error(400, "connector.bad_request", "the body is not a JSON object")
    inputs = {name: values[name] if name in values else given[name]
              for name in lookup.inputs if name in values or name in given}
    try:
        answer = implementation.lookup(lookup, inputs)
    except LookupFailed as exc:
        return _error(RETRY_STATUS, exc.code, str(exc))
    return _json(200, json_ready(answer))


def _operation(operation: Operation, values: dict, request: Request, implementation: Implementation) -> Response:
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        return _error(400, "connector.bad_request", "no Idempotency-Key header")
    body = _body(request)
    if body is None:
        return _error(400, "connector.bad_request", "the body is not a JSON object")
    for name, value in values.items():        # the body holds the path parameters too
        body.setdefault(name, value)
    answer = implementation.call(operation, request.headers.get("X-Application-Id", ""), body, key)
    if answer.kind == ACCEPTED:
        return _json(200, json_ready(answer.response))
    status = REFUSED_STATUS if answer.kind == REFUSED else RETRY_STATUS
    return _error(status, answer.code or "connector.unavailable", answer.reason or "")


def _raw_path(request: Request) -> str:
    """The request's path as sent (percent-encoded), below the application's mount point."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        path = urlsplit(raw).path if "://" in raw else raw.split("?", 1)[0]
    else:
        path = quote(request.path, safe="/")
    root = quote(request.root_path, safe="/")
    return path[len(root):] if root and path.startswith(root) else path


def _body(request: Request) -> dict | None:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _json(status: int, body) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, {"code": code, "message": message})
