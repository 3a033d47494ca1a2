"""Connectors against the flows and facts: what only the whole project can tell.

- `flow.unknown_operation`: a `submit:` naming no declared operation;
- `flow.operation_request_incomplete`: a request field the operation needs that neither the
  operation (`from:`) nor the flow's `submit: {request: ...}` says where to take from;
- `flow.unknown_request_field`: the flow gives a request field the operation does not have;
- `connector.unknown_source`: a source (`from:`) that is no fact, no field of the flow and no
  platform value; `connector.bad_selection`: `where`/`pick` on what is not a list of records.
"""
from __future__ import annotations

from ..errors import Problem
from ..rules.conditions import did_you_mean
from ..say import say
from .loader import PLAIN_SOURCES
from .model import Catalog, Operation, Source


def check_connectors(flows: dict, catalog: Catalog, types: dict) -> list[Problem]:
    """Problems of the look-ups' inputs and of every flow's submitting actions."""
    out: list[Problem] = []
    for connector in catalog.connectors.values():
        for lookup in connector.lookups.values():
            for source in lookup.inputs.values():
                if source is not None:
                    out += _source_problems(source, types, None, connector.file)
        for operation in connector.operations.values():
            for request_field in operation.request.values():
                if request_field.source is not None and not _needs_flow(request_field.source):
                    out += _source_problems(request_field.source, types, None, connector.file)
    for flow in flows.values():
        for page in flow.pages.values():
            for action in page.actions:
                if action.submit:
                    out += _action_problems(flow, page, action, catalog, types)
    return list(dict.fromkeys(out))


def _needs_flow(source: Source) -> bool:
    return bool(source.path and source.path.startswith("form."))


def _action_problems(flow, page, action, catalog: Catalog, types: dict) -> list[Problem]:
    operation = catalog.operations.get(action.submit)
    if operation is None:
        return [action.origin.problem("flow.unknown_operation",
                                      say("connectors.unknown_operation", flow=flow.id, page=page.id,
                                          action=action.id, name=action.submit),
                                      did_you_mean(action.submit, catalog.operations)
                                      or say("connectors.unknown_operation.hint"), sub=("submit",))]
    out: list[Problem] = []
    given = action.submit_request
    for name in given:
        if name not in operation.request:
            out.append(action.origin.problem("flow.unknown_request_field",
                                             say("connectors.unknown_request_field", operation=_op(operation),
                                                 name=name),
                                             did_you_mean(name, operation.request)
                                             or say("connectors.request_fields", names="、".join(operation.request)),
                                             sub=("submit", "request", name)))
    for name, request_field in operation.request.items():
        written = given.get(name)
        if isinstance(written, dict) and ("from" in written or "value" in written):
            source: Source | None = flow_source(written)
        else:
            source = request_field.source
        if source is None:
            if request_field.required:
                out.append(action.origin.problem(
                    "flow.operation_request_incomplete",
                    say("connectors.request_incomplete", flow=flow.id, page=page.id, action=action.id,
                        operation=_op(operation), field=request_field.title, name=name),
                    say("connectors.request_incomplete.hint", name=name), sub=("submit",)))
            continue
        if source is request_field.source and not _needs_flow(source):
            continue                      # checked once, with the connector
        for problem in _source_problems(source, types, flow, None):
            out.append(action.origin.problem(problem.code, problem.message, problem.hint, sub=("submit",)))
    return out


def flow_source(written: dict) -> Source:
    where: dict = written["where"] if isinstance(written.get("where"), dict) else {}
    if "value" in written:
        return Source(value=written["value"])
    return Source(path=str(written.get("from")), where=tuple(where.items()), pick=written.get("pick"))


def _op(operation: Operation) -> str:
    return f"“{operation.title}”（{operation.name}）"


def _source_problems(source: Source, types: dict, flow, file: str | None) -> list[Problem]:
    """A source names something the application will have: a platform value, a fact, a field."""
    if source.path is None:
        return []
    path = source.path
    found: str | None
    if path in PLAIN_SOURCES:
        found = "plain"
    elif path.startswith("form."):
        found = "field" if flow is None or flow.field(path[5:]) is not None else None
    else:
        found = "fact" if path in types else None
    if found is None:
        known = list(types) + [f"form.{f}" for f in (flow.input_fields() if flow is not None else [])] \
            + list(PLAIN_SOURCES)
        return [_problem(source, file, "connector.unknown_source",
                         say("connectors.unknown_source", source=path, flow=flow.id if flow else "-"),
                         did_you_mean(path, known) or say("connectors.unknown_source.hint"))]
    if source.where or source.pick:
        ftype = types.get(path) if found == "fact" else None
        items = ftype.items if ftype is not None and ftype.type == "array" else None
        if items is None or items.type != "object":
            return [_problem(source, file, "connector.bad_selection", say("connectors.not_records", source=path),
                             say("connectors.not_records.hint"))]
        names = [n for n, _ in items.fields]
        wrong = [str(n) for n, _ in source.where if n not in names] + \
            ([source.pick] if source.pick and source.pick not in names else [])
        if wrong:
            return [_problem(source, file, "connector.bad_selection",
                             say("connectors.unknown_record_field", source=path, names="、".join(wrong)),
                             say("connectors.record_fields", names="、".join(names)))]
    return []


def _problem(source: Source, file: str | None, code: str, message: str, hint: str | None) -> Problem:
    return Problem(code, "", message, file or source.file, source.line, hint)
