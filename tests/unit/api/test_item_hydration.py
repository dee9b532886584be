"""ItemStore.hydrate: one BatchGetItem per 100 ids, UnprocessedKeys retried, order kept, missing reported."""

from decimal import Decimal

import boto3
import pytest
from allstore_common.items import CARD_PROJECTION, ItemStore
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from botocore.stub import Stubber

from tests.unit.api.conftest import ITEMS_TABLE, asin, create_items_table, make_item

CARD_NAMES = {
    "#c0": "asin",
    "#c1": "title",
    "#c2": "imUrl",
    "#c3": "genre",
    "#c4": "price",
    "#c5": "brand",
    "#c6": "category",
    "#c7": "main_cat",
    "#c8": "rating",
    "#c9": "ratingCount",
}


def wire_item(number: int) -> dict:
    """An item as DynamoDB's wire format has it (what a stubbed BatchGetItem returns)."""
    return {"asin": {"S": asin(number)}, "title": {"S": f"t{number}"}, "price": {"N": f"{number}.5"}}


def wire_keys(*numbers: int) -> dict:
    """RequestItems (and UnprocessedKeys, which DynamoDB returns in the same form) for the cards of `numbers`."""
    return {
        ITEMS_TABLE: {
            "Keys": [{"asin": {"S": asin(number)}} for number in numbers],
            "ProjectionExpression": CARD_PROJECTION,
            "ExpressionAttributeNames": CARD_NAMES,
        }
    }


@pytest.fixture
def stubbed():
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    sleeps: list[float] = []
    store = ItemStore(ITEMS_TABLE, dynamodb=dynamodb, sleep=sleeps.append, cache_seconds=0)
    with Stubber(dynamodb) as stubber:
        yield store, stubber, sleeps
        stubber.assert_no_pending_responses()


def test_unprocessed_keys_are_requested_again_after_a_backoff(stubbed):
    store, stubber, sleeps = stubbed
    stubber.add_response(
        "batch_get_item",
        {"Responses": {ITEMS_TABLE: [wire_item(3)]}, "UnprocessedKeys": wire_keys(1, 2)},
        {"RequestItems": wire_keys(1, 2, 3)},
    )
    stubber.add_response(
        "batch_get_item",
        {"Responses": {ITEMS_TABLE: [wire_item(2)]}, "UnprocessedKeys": wire_keys(1)},
        {"RequestItems": wire_keys(1, 2)},
    )
    stubber.add_response("batch_get_item", {"Responses": {ITEMS_TABLE: []}}, {"RequestItems": wire_keys(1)})
    hydrated = store.hydrate([asin(1), asin(2), asin(3)])
    assert [item["asin"] for item in hydrated.items] == [asin(2), asin(3)]
    assert hydrated.items[0]["price"] == Decimal("2.5")
    assert hydrated.missing == [asin(1)]
    assert len(sleeps) == 2
    assert all(0 <= pause <= 1.0 for pause in sleeps)


def test_keys_still_unprocessed_after_every_attempt_is_503(stubbed):
    store, stubber, sleeps = stubbed
    for _ in range(6):
        stubber.add_response(
            "batch_get_item", {"Responses": {ITEMS_TABLE: []}, "UnprocessedKeys": wire_keys(1)}, None
        )
    with pytest.raises(ServiceError) as raised:
        store.hydrate([asin(1)])
    assert raised.value.status_code == 503
    assert "throttling" in raised.value.msg
    assert len(sleeps) == 5


def test_order_kept_duplicates_dropped_and_more_than_100_ids_split(aws):
    create_items_table([make_item(number, "Camping", number) for number in range(1, 151)], "big-items")
    dynamodb = boto3.client("dynamodb")
    calls: list[int] = []
    dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.BatchGetItem",
        lambda params, **_: calls.append(len(params["RequestItems"]["big-items"]["Keys"])),
    )
    wanted = [asin(number) for number in range(150, 0, -1)] + [asin(7), "NOT-THERE"]
    hydrated = ItemStore("big-items", dynamodb=dynamodb).hydrate(wanted)
    assert [item["asin"] for item in hydrated.items] == [asin(number) for number in range(150, 0, -1)]
    assert hydrated.missing == ["NOT-THERE"]
    assert sorted(calls) == [51, 100]
    assert all("popularityGroup" not in item for item in hydrated.items)


def test_empty_list_makes_no_call(stubbed):
    store, _, _ = stubbed
    assert store.hydrate([]).items == []
