"""Custom::ProductData: sharded loading, one answer per request, and every failure path."""

from __future__ import annotations

import gzip
import json
import time
from decimal import Decimal

import boto3
from allstore_common import catalogue
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from ..api.conftest import ITEMS_TABLE
from .conftest import DATA_BUCKET, REGION, put_object

PRODUCT_COUNT = 60


def _products_jsonl(count: int = PRODUCT_COUNT) -> str:
    lines = []
    for number in range(count):
        record = {
            "asin": f"P{number:03d}",
            "title": f"Product number {number}",
            "image": [f"https://example.com/p{number}.jpg"],
            "category": ["Sports", "Cycling" if number % 2 else "Camping"],
            "price": f"${number}.99",
            "also_buy": ["P000"],
        }
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def _interactions_csv() -> str:
    rows = ["USER_ID,ITEM_ID,TIMESTAMP"]
    for number in range(10):  # P000 once, P001 twice, ... P009 ten times
        rows.extend(f"u{user},P{number:03d},{1_600_000_000 + user}" for user in range(number + 1))
    return "\n".join(rows) + "\n"


def _items() -> dict[str, dict]:
    table = boto3.resource("dynamodb", region_name=REGION).Table(ITEMS_TABLE)
    return {item["asin"]: item for item in table.scan()["Items"]}


def _properties(source: str, shards: int = 3, interactions: str = "") -> dict:
    return {
        "Source": source,
        "InteractionSource": interactions,
        "TableName": ITEMS_TABLE,
        "Shards": str(shards),
    }


def test_sharded_create_loads_every_product_and_answers_once(setup_function):
    source = put_object("products/items.jsonl.gz", gzip.compress(_products_jsonl().encode()))
    interactions = put_object("interactions/interactions.csv", _interactions_csv())

    answer = setup_function.request("Custom::ProductData", _properties(source, 3, interactions))

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["Written"] == str(PRODUCT_COUNT)
    assert [call["Payload"]["AllStoreShard"]["shard"] for call in setup_function.lambda_service.calls] in (
        [1, 2],
        [2, 1],
    )
    assert {call["InvocationType"] for call in setup_function.lambda_service.calls} == {"RequestResponse"}
    items = _items()
    assert len(items) == PRODUCT_COUNT
    assert items["P009"]["popularity"] == 10
    assert items["P042"]["popularity"] == 0
    assert items["P003"]["category"] == "Cycling"
    assert items["P003"]["price"] == Decimal("3.99")
    assert items["P003"]["imUrl"] == "https://example.com/p3.jpg"
    assert "also_buy" not in items["P003"]
    assert {item["popularityGroup"] for item in items.values()} == {"all"}

    table = boto3.resource("dynamodb", region_name=REGION).Table(ITEMS_TABLE)
    popular = table.query(
        IndexName="popular-index",
        KeyConditionExpression=Key("popularityGroup").eq("all"),
        ScanIndexForward=False,
    )["Items"]
    assert [item["asin"] for item in popular[:3]] == ["P009", "P008", "P007"]
    assert len(popular) == PRODUCT_COUNT


def test_original_csv_with_bom_loads_in_one_shard(setup_function):
    csv_text = "\ufeffITEM_ID,TITLE,IMGURL,GENRE\nB1,Tent,https://img/b1.jpg,Camping\nB2,,,\n"
    source = put_object("products/items.csv", csv_text)

    answer = setup_function.request("Custom::ProductData", _properties(source, shards=1))

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"] == {
        "Written": "2",
        "Repaired": "0",
        "Defaulted": "1",
        "Invalid": "0",
        "BadRows": "0",
    }
    assert setup_function.lambda_service.calls == []
    items = _items()
    assert items["B1"]["title"] == "Tent"
    assert items["B1"]["genre"] == "Camping"
    assert items["B2"]["title"] == "Product B2"


def test_missing_source_object_fails_with_the_reason(setup_function):
    answer = setup_function.request("Custom::ProductData", _properties(f"s3://{DATA_BUCKET}/nope.jsonl", 2))

    assert answer["Status"] == "FAILED"
    assert "cannot read Source s3://allstore-data/nope.jsonl" in answer["Reason"]
    assert "NoSuchKey" in answer["Reason"]


def test_a_file_with_no_products_fails(setup_function):
    source = put_object("products/garbage.jsonl", "this is not\nproduct data\n")

    answer = setup_function.request("Custom::ProductData", _properties(source, 2))

    assert answer["Status"] == "FAILED"
    assert "no products could be read" in answer["Reason"]
    assert "2 bad rows" in answer["Reason"]
    assert _items() == {}


def test_a_crashed_shard_turns_the_answer_into_failed(setup_function):
    source = put_object("products/items.jsonl", _products_jsonl())
    setup_function.lambda_service.crash_shards = {2}

    answer = setup_function.request("Custom::ProductData", _properties(source, 3))

    assert answer["Status"] == "FAILED"
    assert "1 of 3 shards failed" in answer["Reason"]
    assert "shard 2 crashed: Runtime exited: out of memory" in answer["Reason"]


def test_a_shard_that_overruns_fails_the_request_within_the_time_limit(setup_function):
    source = put_object("products/items.jsonl", _products_jsonl())
    setup_function.module.update(WORK_MARGIN_MS=1_500, ANSWER_MARGIN_MS=500)
    setup_function.lambda_service.delay_seconds = 5.0

    started = time.monotonic()
    answer = setup_function.request("Custom::ProductData", _properties(source, 2), timeout_seconds=3.0)

    assert time.monotonic() - started < 3.0
    assert answer["Status"] == "FAILED"
    assert "shard 1 did not finish in time" in answer["Reason"]


def test_work_that_hangs_is_answered_failed_by_the_timer(setup_function):
    source = put_object("products/items.jsonl", _products_jsonl())
    setup_function.module.update(WORK_MARGIN_MS=0, ANSWER_MARGIN_MS=1_000)
    real_get_object = setup_function.module["s3"].get_object

    def slow_get_object(**kwargs):
        time.sleep(2.5)
        return real_get_object(**kwargs)

    setup_function.module["s3"].get_object = slow_get_object
    try:
        answer = setup_function.request("Custom::ProductData", _properties(source, 1), timeout_seconds=2.0)
    finally:
        setup_function.module["s3"].get_object = real_get_object

    assert answer["Status"] == "FAILED"
    assert "did not finish within the setup function's time limit" in answer["Reason"]


def test_unprocessed_items_from_a_throttled_batch_write_are_retried(setup_function, monkeypatch):
    source = put_object("products/items.jsonl", _products_jsonl())
    client = setup_function.module["dynamodb"].meta.client
    real_batch_write = client.batch_write_item
    throttled = []

    def throttle_half(RequestItems):
        requests = RequestItems[ITEMS_TABLE]
        if not throttled:  # the first batch: half of it comes back unprocessed, as when throttled
            throttled.append(len(requests))
            half = len(requests) // 2
            real_batch_write(RequestItems={ITEMS_TABLE: requests[:half]})
            return {"UnprocessedItems": {ITEMS_TABLE: requests[half:]}}
        return real_batch_write(RequestItems=RequestItems)

    monkeypatch.setattr(client, "batch_write_item", throttle_half)

    answer = setup_function.request("Custom::ProductData", _properties(source, 1))

    assert throttled
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert len(_items()) == PRODUCT_COUNT


def test_persistent_throttling_fails_the_request(setup_function, monkeypatch):
    source = put_object("products/items.jsonl", _products_jsonl())
    client = setup_function.module["dynamodb"].meta.client

    def always_throttled(RequestItems):
        error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}
        raise ClientError(error, "BatchWriteItem")

    monkeypatch.setattr(client, "batch_write_item", always_throttled)

    answer = setup_function.request("Custom::ProductData", _properties(source, 1))

    assert answer["Status"] == "FAILED"
    assert f"into table {ITEMS_TABLE} failed" in answer["Reason"]
    assert "ProvisionedThroughputExceededException" in answer["Reason"]


def test_update_reloads_only_when_the_source_changed(setup_function):
    first = put_object("products/v1.jsonl", _products_jsonl(5))
    second = put_object("products/v2.jsonl", _products_jsonl(8))
    created = setup_function.request("Custom::ProductData", _properties(first, 1))
    physical_id = created["PhysicalResourceId"]
    boto3.client("s3", region_name=REGION).delete_object(Bucket=DATA_BUCKET, Key="products/v1.jsonl")

    unchanged = setup_function.request(
        "Custom::ProductData",
        _properties(first, 2),
        request_type="Update",
        old_properties=_properties(first, 1),
        physical_id=physical_id,
    )
    changed = setup_function.request(
        "Custom::ProductData",
        _properties(second, 1),
        request_type="Update",
        old_properties=_properties(first, 1),
        physical_id=physical_id,
    )

    assert unchanged["Status"] == "SUCCESS", unchanged["Reason"]
    assert changed["Status"] == "SUCCESS", changed["Reason"]
    assert changed["Data"]["Written"] == "8"
    assert unchanged["PhysicalResourceId"] == changed["PhysicalResourceId"] == physical_id
    assert len(_items()) == 8


def test_delete_leaves_the_table_alone(setup_function):
    source = put_object("products/items.jsonl", _products_jsonl(4))
    created = setup_function.request("Custom::ProductData", _properties(source, 1))

    deleted = setup_function.request(
        "Custom::ProductData",
        _properties(source, 1),
        request_type="Delete",
        physical_id=created["PhysicalResourceId"],
    )

    assert deleted["Status"] == "SUCCESS"
    assert deleted["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert len(_items()) == 4


def _reviews_jsonl() -> str:
    """P000 has 1 review, P001 2, ... P005 6, each a day apart; P006 ratings without words."""
    lines = []
    for number in range(7):
        for day in range(number + 1):
            review = {"reviewerID": f"u{day}", "asin": f"P{number:03d}", "overall": float(1 + day % 5),
                      "unixReviewTime": 1_600_000_000 + day * 86_400}  # fmt: skip
            if number < 6:
                review |= {
                    "reviewerName": f"Shopper {day}",
                    "summary": f"Day {day}",
                    "reviewText": "Fine. " * day,
                }
            lines.append(json.dumps(review))
    return "\n".join(lines) + "\n"


def test_items_carry_their_three_newest_reviews_from_the_review_source(setup_function):
    source = put_object("products/items.jsonl", _products_jsonl())
    interactions = put_object("interactions/interactions.csv", _interactions_csv())
    reviews = put_object("reviews/reviews.json.gz", gzip.compress(_reviews_jsonl().encode()))

    answer = setup_function.request(
        "Custom::ProductData", _properties(source, 3, interactions) | {"ReviewSource": reviews}
    )

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    items = _items()
    assert items["P009"]["popularity"] == 10  # popularity still from the interactions
    assert [review["headline"] for review in items["P005"]["reviews"]] == ["Day 5", "Day 4", "Day 3"]
    assert items["P005"]["reviews"][0] == {
        "name": "Shopper 5", "stars": 1, "headline": "Day 5", "text": "Fine. Fine. Fine. Fine. Fine.",
        "date": "2020-09-18",
    }  # fmt: skip
    assert [review["headline"] for review in items["P001"]["reviews"]] == ["Day 1", "Day 0"]
    assert items["P000"]["reviews"] == [
        {"name": "Shopper 0", "stars": 1, "headline": "Day 0", "date": "2020-09-13"}
    ]
    assert "reviews" not in items["P006"] and "reviews" not in items["P042"]
    # The stars and count of an item's reviews (P006's are ratings without words); none without any.
    assert (items["P005"]["rating"], items["P005"]["ratingCount"]) == (Decimal("2.7"), 6)
    assert (items["P006"]["rating"], items["P006"]["ratingCount"]) == (Decimal("2.6"), 7)
    assert "rating" not in items["P009"] and "ratingCount" not in items["P009"]


def test_reviews_come_from_the_interactions_when_they_are_reviews_and_a_shard_keeps_only_its_own(
    setup_function, monkeypatch
):
    source = put_object("products/items.jsonl", _products_jsonl())
    interactions = put_object("interactions/Gift_Cards_5.json", _reviews_jsonl())
    kept: list[catalogue.NewestReviews] = []

    class Recorded(catalogue.NewestReviews):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            kept.append(self)

    monkeypatch.setattr(catalogue, "NewestReviews", Recorded)
    answer = setup_function.request("Custom::ProductData", _properties(source, 3, interactions))

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    items = _items()
    assert [review["headline"] for review in items["P004"]["reviews"]] == ["Day 4", "Day 3", "Day 2"]
    assert items["P004"]["rating"] == Decimal("3.0") and items["P004"]["ratingCount"] == 5
    # Each shard held the reviews of its own items only: together exactly the six reviewed items.
    held = [{f"P{n:03d}" for n in range(7) if reviews.of(f"P{n:03d}")} for reviews in kept]
    assert len(held) == 3 and sum(map(len, held)) == 6  # no item held twice
    assert set().union(*held) == {f"P{n:03d}" for n in range(6)}
