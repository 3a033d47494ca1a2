"""Reading connectors/*.yaml into a Catalog, every mistake a Problem with file:line.

Checked here, file by file: the declaration's JSON Schema (schemas/connector.schema.json),
the id against the file name, the sources of look-up inputs and request fields, and the
`simulator:` block (simulator.check_simulator). Across files: one operation name, one facts
prefix per look-up. Whether a flow can fill an operation's request, and whether a rule reads
a fact nobody supplies, is checked with the flows (connectors/checks.py).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import Problem
from ..rules.catalogue import schema_problems
from ..rules.model import FactType
from ..say import say
from ..yamlsource import Source, load_file
from .model import (
    Catalog,
    Connector,
    Endpoint,
    Failure,
    HttpSettings,
    Lookup,
    Operation,
    RequestField,
    Status,
)
from .model import (
    Source as ValueSource,
)
from .wire import path_names

CONNECTORS_DIR = "connectors"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schemas" / "connector.schema.json"
DOC = "docs/connectors.md"
# where a source may come from besides look-up facts and form fields (model.Source's docstring)
PLAIN_SOURCES = ("subject", "applicant", "answers", "flow.id", "flow.version", "application.id",
                 "application.reference")
SOURCE_PREFIXES = ("identity.", "form.")

_SCHEMA: dict | None = None


def schema() -> dict:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return _SCHEMA


def load_connectors(root: Path) -> tuple[Catalog, list[Problem]]:
    """Every connectors/*.yaml of the project at `root` (no directory: no connectors)."""
    catalog, problems = Catalog(), []
    folder = Path(root) / CONNECTORS_DIR
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    sources = []
    for path in paths:
        source, found = load_file(path, f"{CONNECTORS_DIR}/{path.name}")
        problems += found
        if source is None:
            continue
        connector = read_connector(source, path.stem, _version(path), problems)
        if connector is not None:
            catalog.connectors[connector.id] = connector
            sources.append((connector, source))
    problems += _across(sources)
    problems += simulator_problems(catalog, sources)
    return catalog, problems


def _version(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def read_connector(source: Source, stem: str, version: str, problems: list[Problem]) -> Connector | None:
    found = schema_problems(source, schema(), "connector.schema", lambda p: False, doc=DOC)
    problems += found
    data = source.data
    if found or not isinstance(data, dict):
        return None
    if data["id"] != stem:
        problems.append(source.problem(("id",), "connector.id_not_file_name",
                                       say("connectors.id_not_file_name", id=data["id"], stem=stem),
                                       say("connectors.id_not_file_name.hint", stem=stem)))
        return None
    http = data.get("http")
    settings = HttpSettings(http["base_url_setting"], float(http.get("timeout_seconds", 5.0)),
                            int(http.get("retries", 2))) if http else None
    lookups = {name: _lookup(source, data["id"], name, spec, problems)
               for name, spec in (data.get("lookups") or {}).items()}
    connector = Connector(id=data["id"], title=data["title"], file=source.file, lookups=lookups, operations={},
                          http=settings, world=data.get("world"), version=version)
    for name, spec in (data.get("operations") or {}).items():
        connector.operations[name] = _operation(source, connector, name, spec, problems)
    return connector


def simulator_problems(catalog: Catalog, sources: list[tuple[Connector, Source]]) -> list[Problem]:
    """The `simulator:` blocks, checked once every connector is read (an operation may change the
    records of another connector's look-up: the world they share)."""
    try:
        from .simulator_check import check_simulator
    except ImportError:          # the simulator is optional in a deployment with real adapters only
        return []
    return [source.problem(tuple(where), code, message)
            for connector, source in sources for operation in connector.operations.values() if operation.simulator
            for where, code, message in check_simulator(connector, operation, catalog)]


def fact_type(spec: dict) -> FactType:
    """A declared value type (`type`, `title`, `enum`, `labels`, `items`, `properties`)."""
    enum = tuple(spec["enum"]) if isinstance(spec.get("enum"), list) else None
    labels: dict = spec["labels"] if isinstance(spec.get("labels"), dict) else {}
    items = fact_type(spec["items"]) if isinstance(spec.get("items"), dict) else None
    fields = tuple((n, fact_type(s)) for n, s in (spec.get("properties") or {}).items())
    return FactType(spec["type"], enum, spec.get("title"), tuple(labels.items()), items, fields)


def _endpoint(spec) -> Endpoint | None:
    return Endpoint(spec["method"], spec["path"]) if isinstance(spec, dict) else None


def _lookup(source: Source, connector: str, name: str, spec: dict, problems: list) -> Lookup:
    path = ("lookups", name)
    inputs = {key: _source(source, path + ("input", key), value, problems)
              for key, value in spec["input"].items()}
    returns = {key: fact_type(value) for key, value in spec["returns"].items()}
    lookup = Lookup(connector, name, spec["title"], spec["facts"], inputs, returns, _endpoint(spec.get("http")),
                    source.line(path))
    problems += _path_parameters(source, path, lookup.http, set(inputs))
    return lookup


def _operation(source: Source, connector: Connector, name: str, spec: dict, problems: list) -> Operation:
    path = ("operations", name)
    request = {}
    for key, value in spec["request"].items():
        where = path + ("request", key)
        given = _source(source, where, value, problems) if ("from" in value or "value" in value) else None
        request[key] = RequestField(key, value["type"], value["title"], given, bool(value.get("required", True)),
                                    source.line(where))
    failures = {code: Failure(code, f["title"], bool(f.get("transient", False)))
                for code, f in (spec.get("failures") or {}).items()}
    operation = Operation(connector.id, name, spec["title"], request,
                          {key: fact_type(value) for key, value in spec["response"].items()}, failures,
                          _endpoint(spec.get("http")), dict(spec.get("simulator") or {}), source.line(path),
                          **_status_parts(source, path, spec, problems))
    problems += _path_parameters(source, path, operation.http, set(request))
    return operation


def _status_parts(source: Source, path: tuple, spec: dict, problems: list) -> dict:
    """A status operation's `reports_on`, `statuses` and `notify` (the other keys of Operation)."""
    if not spec.get("statuses"):
        return {}
    notify = spec.get("notify") or {}
    to = tuple(s for i, given in enumerate(notify.get("to") or [])
               if (s := _source(source, path + ("notify", "to", i), given, problems)) is not None)
    texts = dict(notify.get("texts") or {})
    for code in texts:
        if code not in spec["statuses"]:
            problems.append(source.problem(path + ("notify", "texts", code), "connector.unknown_status",
                                           say("connectors.unknown_status", code=code,
                                               known="、".join(spec["statuses"]))))
    return {"reports_on": tuple(spec.get("reports_on") or ()), "notify_to": to, "notify_texts": texts,
            "statuses": {code: Status(code, s["title"], bool(s.get("final", False)))
                         for code, s in spec["statuses"].items()}}


def _source(source: Source, path: tuple, spec: dict, problems: list) -> ValueSource | None:
    if "value" in spec:
        return ValueSource(value=spec["value"], line=source.line(path), file=source.file)
    written = spec.get("from")
    if not isinstance(written, str) or not written:
        problems.append(source.problem(path, "connector.bad_source", say("connectors.bad_source"),
                                       say("connectors.bad_source.hint")))
        return None
    where: dict = spec["where"] if isinstance(spec.get("where"), dict) else {}
    return ValueSource(path=written, where=tuple(where.items()), pick=spec.get("pick"),
                       line=source.line(path), file=source.file)


def _path_parameters(source: Source, path: tuple, endpoint: Endpoint | None, names: set[str]) -> list[Problem]:
    """Every `{name}` of an HTTP path is one of the inputs or request fields."""
    if endpoint is None:
        return []
    used = set(path_names(endpoint.path))
    return [source.problem(path + ("http", "path"), "connector.unknown_path_parameter",
                           say("connectors.unknown_path_parameter", name=name, path=endpoint.path),
                           say("connectors.unknown_path_parameter.hint"))
            for name in sorted(used - names)]


def _across(sources: list[tuple[Connector, Source]]) -> list[Problem]:
    """One operation name over all connectors (a flow's `submit:` names it); one prefix per look-up."""
    problems: list[Problem] = []
    operations: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    reserved = ("identity", "relation", "form", "today", "subject", "subject_person", "looked_up", "id", "sid")
    for connector, source in sources:
        for name in connector.operations:
            if name in operations:
                problems.append(source.problem(("operations", name), "connector.duplicate_operation",
                                               say("connectors.duplicate_operation", name=name,
                                                   other=operations[name])))
            operations.setdefault(name, connector.file)
        for name, operation in connector.operations.items():
            for i, reported in enumerate(operation.reports_on):
                if reported not in {n for c, _ in sources for n in c.operations}:
                    problems.append(source.problem(("operations", name, "reports_on", i), "connector.unknown_operation",
                                                   say("connectors.unknown_reported", name=reported)))
        for lookup in connector.lookups.values():
            if lookup.prefix in reserved:
                problems.append(source.problem(("lookups", lookup.name, "facts"), "connector.reserved_prefix",
                                               say("connectors.reserved_prefix", prefix=lookup.prefix,
                                                   names="、".join(reserved))))
            if lookup.prefix in prefixes:
                problems.append(source.problem(("lookups", lookup.name, "facts"), "connector.duplicate_prefix",
                                               say("connectors.duplicate_prefix", prefix=lookup.prefix,
                                                   other=prefixes[lookup.prefix])))
            prefixes.setdefault(lookup.prefix, connector.file)
    return problems
