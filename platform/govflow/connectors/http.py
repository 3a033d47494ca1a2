"""The HTTP/JSON adapter: each look-up and operation of connectors/*.yaml called over HTTP, as
its declaration says (the connector's `http:` settings, each call's `http: {method, path}`).

The wire protocol is in docs/connectors-http.md; serve.py is the same protocol on the serving
side. Timeouts, connection errors and 5xx answers are tried again (`http.retries` more times,
with a short backoff); what is left is a LookupFailed for a look-up and an Answer of kind retry
for an operation, so the outbox tries again later. An operation never raises for a network
problem. Nothing personal is logged: no path (it may hold an ID number), no body.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ..catalog import text
from ..services.interfaces import ServiceConfigError
from .model import ACCEPTED, REFUSED, RETRY, Answer, Catalog, Connector, Lookup, LookupFailed, Operation
from .wire import WrongType, fill_path, json_ready, path_names, query_text, typed_fields

log = logging.getLogger(__name__)

UNAVAILABLE = "connector.unavailable"            # the system did not answer, after every try
BAD_ANSWER = "connector.bad_answer"              # it answered what was not declared
UNDECLARED = "connector.undeclared_failure"      # it refused with a code the operation does not declare
BAD_REQUEST = "connector.bad_request"            # a path parameter has no value (the request is incomplete)
REFUSED_LOOKUP = "connector.refused"             # a look-up answered 4xx


@dataclass(frozen=True)
class _Target:
    base_url: str
    timeout: float
    retries: int


@dataclass(frozen=True)
class _Exchange:
    """The last response (None: no response at all) and whether every try failed (5xx, network)."""

    response: httpx.Response | None
    gave_up: bool
    problem: str = ""


class HttpImplementation:
    """model.Implementation over HTTP. `config[<connector.http.base_url_setting>]` is each
    connector's base URL; raises ServiceConfigError when a connector cannot be reached so."""

    def __init__(self, catalog: Catalog, config: dict, client: httpx.Client | None = None, *,
                 sleep: Callable[[float], None] = time.sleep, backoff: float = 0.1):
        self._targets = {c.id: _target(c, config) for c in catalog.connectors.values()}
        self._client = client if client is not None else httpx.Client(headers={"Accept": "application/json"})
        self._own_client = client is None
        self._sleep = sleep
        self._backoff = backoff

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    # -- look-ups -------------------------------------------------------------------------

    def lookup(self, lookup: Lookup, inputs: dict) -> dict:
        where = f"{lookup.connector}.{lookup.name}"
        endpoint = lookup.http
        assert endpoint is not None                     # checked when constructed
        try:
            path = fill_path(endpoint.path, inputs)
        except KeyError as exc:
            raise LookupFailed(BAD_REQUEST, f"{where}: no value for path parameter {exc.args[0]}") from None
        in_path = set(path_names(endpoint.path))
        rest = {k: v for k, v in inputs.items() if k not in in_path and v is not None}
        method = endpoint.method.upper()
        if method == "GET":
            sent = self._exchange(lookup.connector, method, path, params={k: query_text(v) for k, v in rest.items()})
        else:
            sent = self._exchange(lookup.connector, method, path, json=json_ready(rest))
        response = sent.response
        if sent.gave_up or response is None:
            raise LookupFailed(UNAVAILABLE, f"{where}: {sent.problem}")
        if 400 <= response.status_code < 500:
            code, _ = _error_body(response)
            raise LookupFailed(REFUSED_LOOKUP, f"{where}: HTTP {response.status_code} {code or ''}".rstrip())
        try:
            return typed_fields(_json_object(response), lookup.returns)
        except WrongType as exc:
            raise LookupFailed(BAD_ANSWER, f"{where}: {exc}") from None

    # -- operations -----------------------------------------------------------------------

    def call(self, operation: Operation, application_id: str, request: dict, idempotency_key: str) -> Answer:
        where = f"{operation.connector}.{operation.name}"
        endpoint = operation.http
        assert endpoint is not None                     # checked when constructed
        try:
            path = fill_path(endpoint.path, request)
        except KeyError as exc:
            log.error("%s: the request has no value for path parameter %s", where, exc.args[0])
            return Answer(REFUSED, code=BAD_REQUEST, reason=text(BAD_REQUEST))
        headers = {"Idempotency-Key": idempotency_key, "X-Application-Id": application_id}
        method = endpoint.method.upper()
        rest = {k: v for k, v in request.items() if k not in path_names(endpoint.path)}
        body = {"params": {k: query_text(v) for k, v in rest.items()}} if method == "GET" \
            else {"json": json_ready(request)}            # a GET (a status query) sends no body
        sent = self._exchange(operation.connector, method, path, headers=headers, **body)
        response = sent.response
        if sent.gave_up or response is None:
            return _unavailable(operation, where, sent)
        status = response.status_code
        if 200 <= status < 300:
            return _accepted(operation, where, response)
        if 400 <= status < 500:
            return _refused(operation, where, response)
        log.error("%s: unexpected HTTP status %s", where, status)
        return Answer(RETRY, code=BAD_ANSWER, reason=text(BAD_ANSWER))

    # -- one call, tried again ------------------------------------------------------------

    def _exchange(self, connector_id: str, method: str, path: str, **request) -> _Exchange:
        target = self._targets[connector_id]
        url = target.base_url + path
        last: httpx.Response | None = None
        problem = ""
        for attempt in range(target.retries + 1):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = self._client.request(method, url, timeout=target.timeout, **request)
            except httpx.TimeoutException:
                last, problem = None, f"no answer within {target.timeout:g} s"
                continue
            except httpx.HTTPError as exc:
                last, problem = None, f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code < 500:
                return _Exchange(response, False)
            last, problem = response, f"HTTP {response.status_code}"
        tries = target.retries + 1
        return _Exchange(last, True, f"{problem} ({tries} {'try' if tries == 1 else 'tries'})")


def _target(connector: Connector, config: dict) -> _Target:
    """Where a connector is reached, or ServiceConfigError saying what is missing."""
    settings = connector.http
    if settings is None:
        raise ServiceConfigError(f"connector {connector.id} ({connector.file}) has no http: settings; "
                                 "CONNECTORS = http needs them")
    base_url = str(config.get(settings.base_url_setting) or "").strip()
    if not base_url:
        raise ServiceConfigError(f"connector {connector.id}: setting {settings.base_url_setting} (its base URL) "
                                 "is not configured; CONNECTORS = http needs it")
    if not base_url.startswith(("http://", "https://")):
        raise ServiceConfigError(f"connector {connector.id}: setting {settings.base_url_setting} = {base_url!r} "
                                 "is not an http:// or https:// URL")
    calls: list[Lookup | Operation] = [*connector.lookups.values(), *connector.operations.values()]
    missing = [c.name for c in calls if c.http is None]
    if missing:
        raise ServiceConfigError(f"connector {connector.id}: {', '.join(missing)} declare no http: "
                                 "{method, path}; CONNECTORS = http needs them")
    return _Target(base_url.rstrip("/"), float(settings.timeout_seconds), max(0, int(settings.retries)))


def _json_object(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise WrongType("answer", "not JSON") from None
    if not isinstance(body, dict):
        raise WrongType("answer", "not a JSON object")
    return body


def _error_body(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) of a `{"code": ..., "message": ...}` answer; (None, "") otherwise."""
    try:
        body = response.json()
    except ValueError:
        return None, ""
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        return None, ""
    message = body.get("message")
    return body["code"], message if isinstance(message, str) else ""


def _accepted(operation: Operation, where: str, response: httpx.Response) -> Answer:
    try:
        return Answer(ACCEPTED, response=typed_fields(_json_object(response), operation.response))
    except WrongType as exc:
        # it may have been accepted: tried again with the same idempotency key, never refused
        log.error("%s: HTTP %s with an undeclared answer (%s)", where, response.status_code, exc)
        return Answer(RETRY, code=BAD_ANSWER, reason=text(BAD_ANSWER))


def _refused(operation: Operation, where: str, response: httpx.Response) -> Answer:
    code, _ = _error_body(response)
    failure = operation.failures.get(code) if code else None
    if failure is not None:
        return Answer(RETRY if failure.transient else REFUSED, code=code, reason=failure.title)
    log.warning("%s: HTTP %s with %s, not a failure the operation declares", where, response.status_code,
                f"code {code!r}" if code else "no {code, message} body")
    return Answer(REFUSED, code=UNDECLARED, reason=text(UNDECLARED))


def _unavailable(operation: Operation, where: str, sent: _Exchange) -> Answer:
    """Every try failed: a declared failure of the last 5xx answer, or connector.unavailable."""
    code, _ = _error_body(sent.response) if sent.response is not None else (None, "")
    failure = operation.failures.get(code) if code else None
    if failure is not None:
        return Answer(RETRY, code=code, reason=failure.title)
    log.warning("%s: %s", where, sent.problem)
    return Answer(RETRY, code=UNAVAILABLE, reason=text(UNAVAILABLE))
