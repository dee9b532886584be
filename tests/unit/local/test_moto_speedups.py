"""The fast DynamoDB answer path gives boto3 exactly what moto's own serialiser gives."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.responses import DynamoResult

from allstore.local import moto_speedups

ITEMS = [
    {
        "asin": f"B{n:03d}",
        "category": "Tents" if n % 2 else "Stoves",
        "popularity": n,
        "price": Decimal("19.99"),
        "description": ["Light.", "Strong."],
        "details": {"weight": Decimal("1.5"), "colours": ["red", "green"], "ok": True, "none": None},
        "tags": {"camp", "hike"},
        "blob": b"\x00\xffbinary",
    }
    for n in range(12)
]


def run_operations() -> list[Any]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        table = dynamodb.create_table(
            TableName="items",
            AttributeDefinitions=[
                {"AttributeName": "asin", "AttributeType": "S"},
                {"AttributeName": "category", "AttributeType": "S"},
                {"AttributeName": "popularity", "AttributeType": "N"},
            ],
            KeySchema=[{"AttributeName": "asin", "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-category",
                    "KeySchema": [
                        {"AttributeName": "category", "KeyType": "HASH"},
                        {"AttributeName": "popularity", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        answers: list[Any] = [table.put_item(Item=item, ReturnValues="ALL_OLD") for item in ITEMS]
        answers.append(table.put_item(Item=ITEMS[0], ReturnValues="ALL_OLD")["Attributes"])
        answers.append(table.get_item(Key={"asin": "B001"})["Item"])
        answers.append(table.get_item(Key={"asin": "missing"}).get("Item"))
        keys = [{"asin": item["asin"]} for item in ITEMS[:5]] + [{"asin": "missing"}]
        batch = dynamodb.batch_get_item(RequestItems={"items": {"Keys": keys}})
        answers.append(sorted(batch["Responses"]["items"], key=lambda item: item["asin"]))
        query = table.query(
            IndexName="by-category",
            KeyConditionExpression="category = :c",
            ExpressionAttributeValues={":c": "Tents"},
            ScanIndexForward=False,
            Limit=3,
        )
        answers.append((query["Items"], query["Count"], query.get("LastEvaluatedKey")))
        scan = table.scan(Limit=5)
        answers.append((scan["Items"], scan["Count"], scan["ScannedCount"], scan.get("LastEvaluatedKey")))
        answers.append(
            table.update_item(
                Key={"asin": "B002"},
                UpdateExpression="SET popularity = :p",
                ExpressionAttributeValues={":p": 99},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        )
        answers.append(table.delete_item(Key={"asin": "B003"}, ReturnValues="ALL_OLD")["Attributes"])
        with pytest.raises(dynamodb.meta.client.exceptions.ResourceNotFoundException):
            dynamodb.Table("nope").get_item(Key={"asin": "x"})
        return [_without_metadata(answer) for answer in answers]


def _without_metadata(answer: Any) -> Any:
    if isinstance(answer, dict):
        return {key: value for key, value in answer.items() if key != "ResponseMetadata"}
    return answer


@pytest.fixture
def restore_moto() -> Iterator[None]:
    original = DynamoResult.execute_result
    yield
    DynamoResult.execute_result = original  # type: ignore[method-assign]


def test_fast_answers_equal_motos_own(restore_moto: None) -> None:
    expected = run_operations()
    moto_speedups.install()
    assert DynamoResult.execute_result is moto_speedups._execute_result
    assert run_operations() == expected
