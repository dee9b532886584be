"""GET /items/{id}."""

from decimal import Decimal

import boto3

from tests.unit.api.conftest import ITEMS_TABLE, ORIGIN, api_event, asin, assert_cors, assert_error, invoke


def get_item_event(item_id: str, origin: str | None = ORIGIN) -> dict:
    return api_event(
        f"/items/{item_id}", resource="/items/{id}", path_parameters={"id": item_id}, origin=origin
    )


def test_returns_the_item_with_numbers_as_json_numbers(items_table, load):
    handler = load("get_item", ITEMS_TABLE=ITEMS_TABLE)
    response = invoke(handler, get_item_event(asin(3)))
    assert response.status == 200
    assert response.body["asin"] == asin(3)
    assert response.body["title"] == "Camping thing 3"
    assert response.body["price"] == 3.99
    assert response.body["popularity"] == 97
    assert "popularityGroup" not in response.body  # index plumbing stays internal
    assert response.headers["Content-Type"] == "application/json"
    assert_cors(response)


def test_unknown_item_is_404_with_message(items_table, load):
    handler = load("get_item", ITEMS_TABLE=ITEMS_TABLE)
    assert_error(invoke(handler, get_item_event("NOPE")), 404, "not found", "NOPE")


def test_over_long_id_is_400(items_table, load):
    handler = load("get_item", ITEMS_TABLE=ITEMS_TABLE)
    assert_error(invoke(handler, get_item_event("x" * 300)), 400, "too long")


def test_missing_table_is_502_without_a_trace(aws, load):
    handler = load("get_item", ITEMS_TABLE="no-such-table")
    assert_error(invoke(handler, get_item_event(asin(1))), 502, "GetItem", "ResourceNotFoundException")


def test_set_attributes_serialize_as_sorted_lists(items_table, load):
    boto3.resource("dynamodb").Table(ITEMS_TABLE).put_item(
        Item={"asin": "SET1", "title": "t", "tags": {"b", "a"}, "sizes": {Decimal(2), Decimal("1.5")}}
    )
    response = invoke(load("get_item", ITEMS_TABLE=ITEMS_TABLE), get_item_event("SET1"))
    assert response.body["tags"] == ["a", "b"]
    assert response.body["sizes"] == [1.5, 2]


def test_no_cors_headers_without_an_origin(items_table, load):
    handler = load("get_item", ITEMS_TABLE=ITEMS_TABLE)
    response = invoke(handler, get_item_event(asin(1), origin=None))
    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_unknown_route_is_404_json(items_table, load):
    handler = load("get_item", ITEMS_TABLE=ITEMS_TABLE)
    assert_error(invoke(handler, api_event("/nothing/here")), 404, "Not found")
