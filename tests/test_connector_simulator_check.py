"""check_simulator: the problems of an operation's simulator: block, with their paths."""
from dataclasses import replace

import pytest

from govflow import say
from govflow.connectors.simulator_check import check_simulator
from test_connector_simulator import CATALOG, OPS

BACKEND = CATALOG.connectors["card_backend"]
REGISTRY = CATALOG.connectors["registry"]


def problems(block, op="card_loss_report", connector=REGISTRY):
    return check_simulator(connector, replace(OPS[op], simulator=block), CATALOG)


def test_the_real_declarations_have_no_problems():
    for connector in CATALOG.connectors.values():
        for operation in connector.operations.values():
            assert check_simulator(connector, operation, CATALOG) == [], operation.name


def test_the_world_of_another_connector_is_known_through_the_catalog():
    op = OPS["card_application"]
    assert check_simulator(BACKEND, op, CATALOG) == []
    assert {c for _, c, _ in check_simulator(BACKEND, op)} == {"simulator.unknown_field"}


BASE = ("operations", "card_loss_report", "simulator")


@pytest.mark.parametrize("block, path, code", [
    ({"keys": "ssn"}, ("keys",), "simulator.unknown_key"),
    ({"key": "person"}, ("key",), "simulator.unknown_request_field"),
    ({"outage": "registry.nope"}, ("outage",), "simulator.unknown_failure"),
    ({"refuse_first": "registry.card_not_normal", "outage": "registry.card_not_normal"}, ("outage",),
     "simulator.outage_not_transient"),
    ({"reference": {"prefix": "GS", "digits": 0}}, ("reference",), "simulator.reference"),
    ({"reference": {"prefix": "GS", "digits": 8, "start": 1}}, ("reference", "start"), "simulator.unknown_key"),
    ({"once_per_application": "yes"}, ("once_per_application",), "simulator.shape"),
    ({"refuse": {"code": "x"}}, ("refuse",), "simulator.shape"),
    ({"refuse": [{"code": "registry.unknown_card"}]}, ("refuse", 0), "simulator.shape"),
    ({"refuse": [{"code": "registry.gone", "if": {"field": "pending_applications", "gt": 0}}]},
     ("refuse", 0, "code"), "simulator.unknown_failure"),
    ({"refuse": [{"code": "registry.unknown_card", "if": {"field": "pending", "gt": 0}}]},
     ("refuse", 0, "if", "field"), "simulator.unknown_field"),
    ({"refuse": [{"code": "registry.unknown_card", "if": {"field": "pending_applications", "above": 0}}]},
     ("refuse", 0, "if", "above"), "simulator.unknown_key"),
    ({"refuse": [{"code": "registry.unknown_card", "if": {"field": "pending_applications"}}]},
     ("refuse", 0, "if"), "simulator.no_test"),
    ({"refuse": [{"code": "registry.unknown_card", "if": {"where": 1}}]}, ("refuse", 0, "if"),
     "simulator.condition"),
    ({"refuse": [{"code": "registry.unknown_card", "if": {"any": [{"request": "card", "eq": 1}]}}]},
     ("refuse", 0, "if", "any", 0, "request"), "simulator.unknown_request_field"),
    ({"refuse": [{"code": "registry.unknown_card", "if": {"count": {"list": "insurance_types"}, "eq": 0}}]},
     ("refuse", 0, "if", "count", "list"), "simulator.not_a_list"),
    ({"refuse": [{"code": "registry.unknown_card", "if": {"count": {"where": {}}, "eq": 0}}]},
     ("refuse", 0, "if", "count"), "simulator.selection"),
    ({"refuse": [{"code": "registry.unknown_card",
                  "if": {"count": {"list": "cards", "where": {"colour": "red"}}, "eq": 0}}]},
     ("refuse", 0, "if", "count", "where", "colour"), "simulator.unknown_item_field"),
    ({"refuse": [{"code": "registry.unknown_card",
                  "if": {"count": {"list": "cards", "where": {"status": {"like": "x"}}}, "eq": 0}}]},
     ("refuse", 0, "if", "count", "where", "status"), "simulator.match"),
    ({"refuse": [{"code": "registry.unknown_card",
                  "if": {"count": {"list": "cards", "where": {"card_number": {"in_request": "numbers"}}}, "eq": 0}}]},
     ("refuse", 0, "if", "count", "where", "card_number", "in_request"), "simulator.unknown_request_field"),
    ({"refuse": [{"code": "registry.unknown_card", "if": {"request": "card_number", "not_in": {"list": "cards"}}}]},
     ("refuse", 0, "if", "not_in"), "simulator.selection"),
    ({"refuse": [{"code": "registry.unknown_card",
                  "if": {"request": "card_number", "not_in": {"list": "cards", "pick": "number"}}}]},
     ("refuse", 0, "if", "not_in", "pick"), "simulator.unknown_item_field"),
    ({"change": [{"list": "cards", "remove": True}]}, ("change", 0), "simulator.change"),
    ({"change": [{"field": "pending_applications", "add": 1, "where": {}}]}, ("change", 0, "where"),
     "simulator.unknown_key"),
    ({"change": [{"field": "pending", "set": 1}]}, ("change", 0, "field"), "simulator.unknown_field"),
    ({"change": [{"field": "pending_applications", "set": {"answer": "x"}}]}, ("change", 0, "set"),
     "simulator.value"),
    ({"change": [{"list": "cards", "set": {"colour": "red"}}]}, ("change", 0, "set", "colour"),
     "simulator.unknown_item_field"),
    ({"change": [{"list": "cards", "append": {"status": {"request": "state"}}}]},
     ("change", 0, "append", "status", "request"), "simulator.unknown_request_field"),
    ({"change": [{"list": "cards", "set": "注销"}]}, ("change", 0, "set"), "simulator.shape"),
])
def test_each_mistake_is_reported_at_its_path(block, path, code):
    found = problems(block)
    assert [(p, c) for p, c, _ in found] == [(BASE + path, code)]
    assert all(message for _, _, message in found)


def test_a_connector_without_a_world_cannot_simulate():
    found = check_simulator(replace(REGISTRY, world=None), OPS["card_loss_report"], CATALOG)
    assert [c for _, c, _ in found] == ["simulator.no_world"]
    assert check_simulator(replace(REGISTRY, world=None), replace(OPS["card_loss_report"], simulator={})) == []


def test_messages_speak_both_languages():
    block = {"key": "person"}
    say.set_language("en")
    try:
        assert problems(block)[0][2] == "the request has no field 'person'; its fields: ssn, card_number"
    finally:
        say.set_language("zh")
    assert problems(block)[0][2] == "请求中没有字段“person”，本业务的请求字段：ssn、card_number"
