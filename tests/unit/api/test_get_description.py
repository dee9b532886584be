"""GET /description?asin=."""

import boto3
import pytest

from tests.unit.api.conftest import ITEMS_TABLE, api_event, asin, assert_cors, assert_error, invoke


def describe(handler, **query: str):
    return invoke(handler, api_event("/description", query=query))


@pytest.fixture
def handler(items_table, load):
    table = boto3.resource("dynamodb").Table(ITEMS_TABLE)
    table.update_item(
        Key={"asin": asin(1)},
        UpdateExpression="SET feature = :f, description = :d",
        ExpressionAttributeValues={
            ":f": ["Waterproof", "  ", "Sleeps two"],
            ":d": ["A light tent for two.", "Waterproof"],
        },
    )
    table.update_item(
        Key={"asin": asin(2)},
        UpdateExpression="SET description = :d",
        ExpressionAttributeValues={":d": "One paragraph of text."},
    )
    return load("get_description", ITEMS_TABLE=ITEMS_TABLE)


def test_feature_bullets_then_description_without_blanks_or_repeats(handler):
    response = describe(handler, asin=asin(1))
    assert response.status == 200
    assert response.body == {"ASIN": asin(1), "Items": ["Waterproof", "Sleeps two", "A light tent for two."]}
    assert_cors(response)


def test_description_as_a_single_string(handler):
    assert describe(handler, asin=asin(2)).body["Items"] == ["One paragraph of text."]


def test_item_without_text_has_no_bullets(handler):
    assert describe(handler, asin=asin(3)).body == {"ASIN": asin(3), "Items": []}


def test_errors(handler):
    assert_error(describe(handler), 400, "asin is required")
    assert_error(describe(handler, asin=" "), 400, "asin is required")
    assert_error(describe(handler, asin="a" * 300), 400, "asin is too long")
    assert_error(describe(handler, asin="NOPE"), 404, "NOPE", "not found")
